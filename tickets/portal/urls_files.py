from django.urls import URLPattern, path

from tickets.portal import files

urlpatterns: list[URLPattern] = [
    path("<int:attachment_id>/", files.attachment_download, name="attachment"),
]
