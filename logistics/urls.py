from django.urls import path

from logistics import webhooks

app_name = "logistics"
urlpatterns = [
    path("webhooks/carriers/<slug:adapter>/", webhooks.carrier_push, name="carrier-push"),
]
