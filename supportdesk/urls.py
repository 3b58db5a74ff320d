from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from tickets.portal.accounts import SignInView

admin.site.site_header = "supportdesk"
admin.site.site_title = "supportdesk"
admin.site.index_title = "Cases, orders and parcels"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/login/", SignInView.as_view(), name="login"),  # throttled; shadows the include's login
    path("accounts/", include("django.contrib.auth.urls")),  # logout, password_reset, password_change, ...
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("desk/", include("tickets.desk.urls")),
    path("", include("logistics.urls")),
    path("", include("tickets.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler404 = "api.errors.handler404"  # problem+json under /api/, the usual page elsewhere
handler500 = "api.errors.handler500"
