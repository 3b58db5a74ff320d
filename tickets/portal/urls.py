from django.urls import include, path

app_name = "portal"
urlpatterns = [
    path("accounts/", include("tickets.portal.urls_accounts")),
    path("orders/", include("tickets.portal.urls_orders")),
    path("cases/", include("tickets.portal.urls_cases")),
    path("files/", include("tickets.portal.urls_files")),
    path("notifications/", include("tickets.portal.urls_notifications")),
]
