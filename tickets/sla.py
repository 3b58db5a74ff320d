"""Service-level targets. Calendar hours for now; business hours and per-shop policies come with the agent workspace."""

from __future__ import annotations

import datetime as dt

from tickets.models import TicketPriority

# The marketplace's own promise in the seeds: support answers within 24 hours.
FIRST_RESPONSE_TARGET = dt.timedelta(hours=24)
RESOLUTION_TARGET: dict[str, dt.timedelta] = {
    TicketPriority.URGENT: dt.timedelta(hours=24),
    TicketPriority.HIGH: dt.timedelta(hours=48),
    TicketPriority.NORMAL: dt.timedelta(hours=72),
    TicketPriority.LOW: dt.timedelta(hours=120),
}


def sla_due_times(*, opened_at: dt.datetime, priority: str) -> tuple[dt.datetime, dt.datetime]:
    """(first response due, resolution due) for a case opened at `opened_at`."""
    return opened_at + FIRST_RESPONSE_TARGET, opened_at + RESOLUTION_TARGET[priority]
