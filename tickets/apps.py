from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Cases"

    def ready(self) -> None:
        from tickets.routing_cache import connect_signals

        connect_signals()  # the per-process memo of SLA policies, calendars and assignment rules
