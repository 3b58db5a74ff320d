from django.urls import URLPattern, path

from tickets.portal import notifications

urlpatterns: list[URLPattern] = [
    path("", notifications.notification_list, name="notification-list"),
    path("<int:pk>/read/", notifications.notification_read, name="notification-read"),
    path("read-all/", notifications.notification_read_all, name="notification-read-all"),
]
