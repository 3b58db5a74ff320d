"""Which SLA targets a case gets: the most specific active SlaPolicy, else the built-in default.

Built-in default (no policy configured): one business day (9 business hours, the default week being
Monday–Friday 09:00–18:00) for the first reply, which is the marketplace's "within 24 hours" of DESIGN §4
for a case opened on a working day; resolution within 1, 2, 3 or 5 business days for urgent, high,
normal and low priority (the calendar 24/48/72/120 hours it replaces); warnings 60 business minutes
before a target runs out; no automatic priority raise on a breach.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from orders.models import Shop
from tickets.models import SlaPolicy, TicketPriority
from tickets.routing_cache import routing_cached

BUSINESS_DAY_MINUTES = 9 * 60
DEFAULT_FIRST_RESPONSE_MINUTES = BUSINESS_DAY_MINUTES
DEFAULT_RESOLUTION_MINUTES: dict[str, int] = {
    TicketPriority.URGENT: 1 * BUSINESS_DAY_MINUTES,
    TicketPriority.HIGH: 2 * BUSINESS_DAY_MINUTES,
    TicketPriority.NORMAL: 3 * BUSINESS_DAY_MINUTES,
    TicketPriority.LOW: 5 * BUSINESS_DAY_MINUTES,
}
DEFAULT_WARN_BEFORE_MINUTES = 60


@dataclass(frozen=True)
class SlaTargets:
    """Business-time targets of one case; `policy_id` None means the built-in default."""

    first_response: dt.timedelta
    resolution: dt.timedelta
    warn_before: dt.timedelta
    escalate_priority: bool = False
    policy_id: int | None = None


def default_targets(priority: str) -> SlaTargets:
    return SlaTargets(
        first_response=dt.timedelta(minutes=DEFAULT_FIRST_RESPONSE_MINUTES),
        resolution=dt.timedelta(minutes=DEFAULT_RESOLUTION_MINUTES.get(priority, DEFAULT_RESOLUTION_MINUTES[TicketPriority.NORMAL])),
        warn_before=dt.timedelta(minutes=DEFAULT_WARN_BEFORE_MINUTES),
    )


def targets_of(policy: SlaPolicy) -> SlaTargets:
    return SlaTargets(
        first_response=dt.timedelta(minutes=policy.first_response_minutes),
        resolution=dt.timedelta(minutes=policy.resolution_minutes),
        warn_before=dt.timedelta(minutes=policy.warn_before_minutes),
        escalate_priority=policy.escalate_priority,
        policy_id=policy.pk,
    )


def specificity(policy: SlaPolicy) -> int:
    """A shop match outweighs a kind match, which outweighs a priority match."""
    return 4 * (policy.shop_id is not None) + 2 * bool(policy.kind) + bool(policy.priority)


def choose_policy(policies: Iterable[SlaPolicy], *, shop_id: int, kind: str, priority: str) -> SlaPolicy | None:
    """The most specific of `policies` that matches; None when none does. Pure (inactive ones never match)."""
    matching = [
        p for p in policies
        if p.is_active and p.shop_id in (None, shop_id) and p.kind in ("", kind) and p.priority in ("", priority)
    ]
    return max(matching, key=specificity, default=None)


def _shop_policies(shop_id: int) -> tuple[SlaPolicy, ...]:
    return tuple(SlaPolicy.objects.filter(Q(shop_id=shop_id) | Q(shop__isnull=True), is_active=True))


def sla_targets_for(*, shop: Shop, kind: str, priority: str) -> SlaTargets:
    """The targets for a case of `kind` and `priority` in `shop` (one query, none while memoised: tickets.routing_cache)."""
    policies = routing_cached(("sla-policies", shop.pk), lambda: _shop_policies(shop.pk))
    policy = choose_policy(policies, shop_id=shop.pk, kind=kind, priority=priority)
    return targets_of(policy) if policy is not None else default_targets(priority)
