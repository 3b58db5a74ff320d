"""The shop configuration every new case is routed by (SLA policies, working calendars, assignment rules), read on
each case's creation and kept per process by supportdesk.config_cache (benchmark P4: three queries per new case).

Every save and delete of those rows, in any process (admin, API, shell), sends the signals connected here by
TicketsConfig.ready, so every process loads them again. Bulk inserts and queryset updates send none: code that
writes the cached fields that way calls `routing_config_changed()` itself (the round robin's `last_assigned`
update is not cached, so it need not).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.db.models.signals import post_delete, post_save

from supportdesk.config_cache import config_cached, config_changed

SCOPE = "tickets.routing"
T = TypeVar("T")


def routing_cached(key: Hashable, load: Callable[[], T]) -> T:
    return config_cached(SCOPE, key, load)


def routing_config_changed(**_signal: Any) -> None:
    config_changed(SCOPE)


def connect_signals() -> None:
    from tickets.models_sla import AssignmentRule, ShopCalendar, SlaPolicy, SpecialDay, WorkingHours

    for model in (SlaPolicy, ShopCalendar, WorkingHours, SpecialDay, AssignmentRule):
        post_save.connect(routing_config_changed, sender=model, dispatch_uid=f"routing-saved-{model.__name__}")
        post_delete.connect(routing_config_changed, sender=model, dispatch_uid=f"routing-deleted-{model.__name__}")
