from django.urls import URLPattern, URLResolver, path

from tickets.desk import queues

urlpatterns: list[URLPattern | URLResolver] = [
    path("", queues.queue, name="queue"),
    path("bulk/", queues.queue_bulk, name="queue-bulk"),
]
