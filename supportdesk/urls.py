from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView

admin.site.site_header = "supportdesk"
admin.site.site_title = "supportdesk"
admin.site.index_title = "Cases, orders and parcels"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("logistics.urls")),
    path("", include("tickets.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
