from django.urls import include, path

app_name = "desk"
urlpatterns = [
    path("", include("tickets.desk.urls_queue")),
    path("cases/", include("tickets.desk.urls_case")),
    path("claims/", include("tickets.desk.urls_claims")),
    path("reports/", include("tickets.desk.urls_reports")),
    path("me/", include("tickets.desk.urls_agent")),
]
