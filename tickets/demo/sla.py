"""The demo's SLA and assignment set-up: a calendar per shop, a few policies, one auto-assigned queue per shop.

Idempotent: keyed by shop (and kind); an existing row is left as an admin may have changed it.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User

from orders.models import Shop
from tickets.demo.catalog import DOM_I_SAD, SHENZHEN, TEKHNOMARKET
from tickets.models import AssignmentRule, ShopCalendar, SlaPolicy, SpecialDay, TicketKind, WorkingHours
from tickets.models_sla import AssignmentStrategy

_NINE, _SIX = dt.time(9, 0), dt.time(18, 0)
# (shop or None for every shop, kind, name, first response, resolution, warn before: business minutes; raise priority)
_POLICIES: list[tuple[str | None, str, str, int, int, int, bool]] = [
    (None, TicketKind.LOST_PARCEL, "Lost parcels: reply within 4 business hours", 240, 2700, 60, True),
    (DOM_I_SAD, "", "Дом и Сад: reply within 6 business hours", 360, 1620, 90, False),
]
# (shop, kind, strategy): the rest of each shop's cases stay manual (agents take them from the queue)
_RULES = [
    (SHENZHEN, "", AssignmentStrategy.MANUAL),
    (TEKHNOMARKET, TicketKind.LOST_PARCEL, AssignmentStrategy.LEAST_LOADED),
    (DOM_I_SAD, TicketKind.TRACKING_NUMBER, AssignmentStrategy.ROUND_ROBIN),
]


def _calendar(shop: Shop, *, saturday: bool) -> None:
    calendar, created = ShopCalendar.objects.get_or_create(shop=shop)
    if not created:
        return
    days = range(6 if saturday else 5)
    WorkingHours.objects.bulk_create(WorkingHours(calendar=calendar, weekday=day, opens=_NINE, closes=_SIX) for day in days)
    if shop.time_zone == "Europe/Moscow":  # Labour Code art. 95: the working day before a public holiday is an hour shorter
        SpecialDay.objects.create(calendar=calendar, date=dt.date(2026, 11, 3), opens=_NINE, closes=dt.time(17, 0),
                                  note="Pre-holiday short day (Unity Day)")


def ensure_sla_setup(shops: dict[str, Shop], agents: list[User]) -> None:
    """Calendars (the Chinese shop also works Saturdays), policies, and assignment rules over `agents`."""
    for slug, shop in shops.items():
        _calendar(shop, saturday=slug == SHENZHEN)
    for policy_shop, kind, name, first, resolution, warn, escalate in _POLICIES:
        SlaPolicy.objects.get_or_create(shop=shops[policy_shop] if policy_shop else None, kind=kind, priority="", defaults={
            "name": name, "first_response_minutes": first, "resolution_minutes": resolution, "warn_before_minutes": warn,
            "escalate_priority": escalate,
        })
    for slug, kind, strategy in _RULES:
        rule, created = AssignmentRule.objects.get_or_create(shop=shops[slug], kind=kind, defaults={"strategy": strategy})
        if created and strategy != AssignmentStrategy.MANUAL:
            rule.agents.add(*agents)
