from django.urls import URLPattern, URLResolver, path

from tickets.reports import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.reports, name="reports"),
]
