"""The queue's "SLA due" as one SQL expression, shared by the queue's ordering and filters and by the indexes on Ticket.

What is due next on an open case: the first response (while nobody has answered yet) or the resolution,
whichever comes first. Settled cases have nothing due (NULL), so they sort after every open one. PostgreSQL
only uses an expression index when the query repeats the indexed expression exactly, which is why both
build it here.
"""

from __future__ import annotations

from django.db.models import Case, DateTimeField, F, Q, When
from django.db.models.functions import Coalesce, Least

# The open statuses of DESIGN §4, spelled out here because tickets.models imports this module for its indexes.
OPEN_STATUS_VALUES: tuple[str, ...] = ("new", "open", "waiting_on_buyer", "waiting_on_carrier")


def open_q() -> Q:
    return Q(status__in=OPEN_STATUS_VALUES)


def _soonest_pending(reply_field: str, resolution_field: str) -> Case:
    pending_reply = Case(When(first_responded_at__isnull=True, then=F(reply_field)), output_field=DateTimeField())
    resolution = F(resolution_field)
    # LEAST is NULL on SQLite when either side is; the Coalesces make both databases agree.
    soonest = Least(Coalesce(pending_reply, resolution), Coalesce(resolution, pending_reply), output_field=DateTimeField())
    return Case(When(open_q(), then=soonest), output_field=DateTimeField())


def sla_due_expression() -> Case:
    return _soonest_pending("first_response_due", "resolution_due")


def sla_warn_expression() -> Case:
    """The earliest warning time still pending, built like sla_due_expression. A target's warning time is its due
    time less the policy's "warn before" in business hours, the same span for both targets, so the earliest
    warning belongs to the target due first: "past sla_warn, before sla_due" is "due soon"."""
    return _soonest_pending("first_response_warn_at", "resolution_warn_at")
