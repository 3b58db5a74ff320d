"""SLA filters and ordering for the queue, in SQL (the same rules as sla_snapshot, for whole querysets).

- `sla_next_due()`: the due time that matters now: the first reply's while unanswered (or the resolution's,
  if that is earlier), else the resolution's. Annotate and order by it for "sort by SLA due".
- `q_sla_due_soon(now)`: running cases past a warning time but not yet due: the "breaching SLA soon" view.
- `q_sla_breached(now)`: running cases past a due time.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, DateTimeField, F, Q, When
from django.db.models.functions import Coalesce, Least

from tickets.models import OPEN_STATUSES


def sla_next_due() -> Case:
    # Least() is NULL on SQLite when either side is: coalesce each side to the other first.
    both = Least(Coalesce("first_response_due", "resolution_due"), Coalesce("resolution_due", "first_response_due"))
    return Case(When(first_responded_at__isnull=True, then=both), default=F("resolution_due"), output_field=DateTimeField())


def _running() -> Q:
    return Q(status__in=OPEN_STATUSES, sla_paused_at__isnull=True)


def q_sla_due_soon(now: dt.datetime) -> Q:
    reply = Q(first_responded_at__isnull=True, first_response_warn_at__lte=now, first_response_due__gt=now)
    resolution = Q(resolution_warn_at__lte=now, resolution_due__gt=now)
    return _running() & (reply | resolution) & ~q_sla_breached(now)


def q_sla_breached(now: dt.datetime) -> Q:
    return _running() & (Q(first_responded_at__isnull=True, first_response_due__lte=now) | Q(resolution_due__lte=now))
