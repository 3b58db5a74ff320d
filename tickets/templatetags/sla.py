"""`{% load sla %}{% sla_badge ticket %}`: the SLA state of a queue row, from the row alone (no queries)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from tickets.models import Ticket
from tickets.sla import sla_snapshot

register = template.Library()


def _human(delta: dt.timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return f"{days}d {hours}h" if days else f"{hours}h {minutes:02d}m"


@register.inclusion_tag("desk/_sla_clock.html")
def sla_badge(ticket: Ticket, now: dt.datetime | None = None) -> dict[str, object]:
    snapshot = sla_snapshot(ticket, now or timezone.now())
    remaining = snapshot.remaining
    return {"sla": snapshot, "remaining": _human(remaining) if remaining is not None else ""}
