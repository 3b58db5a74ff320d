"""The SLA clock of a case: due and warning times from targets and the shop's calendar, and the pause while
the case waits on the buyer or the carrier. Used by the ticket services; no writes here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from orders.models import Shop
from tickets.models import Ticket, TicketStatus
from tickets.models_sla import HolidayCountry, ShopCalendar
from tickets.routing_cache import routing_cached
from tickets.sla.business_time import DEFAULT_WEEK, BusinessCalendar, add_business_time, business_time_between, country_for_zone
from tickets.sla.policies import SlaTargets, sla_targets_for

PAUSED_STATUSES = frozenset({TicketStatus.WAITING_ON_BUYER, TicketStatus.WAITING_ON_CARRIER})
SETTLED_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})


def calendar_for_shop(shop: Shop) -> BusinessCalendar:
    """The shop's working calendar in its time zone (1 query without a ShopCalendar, 3 with one; none while
    memoised: tickets.routing_cache)."""
    return routing_cached(("calendar", shop.pk, shop.time_zone), lambda: _load_calendar(shop))


def _load_calendar(shop: Shop) -> BusinessCalendar:
    calendar = ShopCalendar.objects.filter(shop_id=shop.pk).prefetch_related("hours", "special_days").first()
    if calendar is None:
        return BusinessCalendar(time_zone=shop.time_zone, week=dict(DEFAULT_WEEK), country=country_for_zone(shop.time_zone))
    country = {"": country_for_zone(shop.time_zone), HolidayCountry.NONE: ""}.get(calendar.holiday_country, calendar.holiday_country)
    return BusinessCalendar(
        time_zone=shop.time_zone,
        week={row.weekday: (row.opens, row.closes) for row in calendar.hours.all()},
        country=country,
        special_days={
            day.date: (day.opens, day.closes) if day.opens is not None and day.closes is not None else None
            for day in calendar.special_days.all()
        },
    )


@dataclass(frozen=True)
class SlaDues:
    first_response_due: dt.datetime
    first_response_warn_at: dt.datetime
    resolution_due: dt.datetime
    resolution_warn_at: dt.datetime


def sla_dues(*, calendar: BusinessCalendar, targets: SlaTargets, opened_at: dt.datetime,
             paused: dt.timedelta = dt.timedelta(0)) -> SlaDues:
    """Due and warning times of a case opened at `opened_at` whose clock has been paused for `paused` business time."""
    def at(amount: dt.timedelta) -> dt.datetime:
        return add_business_time(calendar, opened_at, max(amount, dt.timedelta(0)) + paused)

    return SlaDues(
        first_response_due=at(targets.first_response), first_response_warn_at=at(targets.first_response - targets.warn_before),
        resolution_due=at(targets.resolution), resolution_warn_at=at(targets.resolution - targets.warn_before),
    )


def sla_fields(*, shop: Shop, kind: str, priority: str, opened_at: dt.datetime, paused_seconds: int = 0) -> dict[str, object]:
    """Ticket field values for the policy that matches now: policy, due and warning times."""
    targets = sla_targets_for(shop=shop, kind=kind, priority=priority)
    dues = sla_dues(calendar=calendar_for_shop(shop), targets=targets, opened_at=opened_at,
                    paused=dt.timedelta(seconds=paused_seconds))
    return {"sla_policy_id": targets.policy_id, **dues.__dict__}


@dataclass(frozen=True)
class ClockChange:
    """What a status change does to the clock: field values to write with it, and the event to record (or none)."""

    changes: dict[str, object]
    event: str = ""  # "sla_paused" | "sla_resumed" | ""
    old_value: str = ""
    new_value: str = ""


_SHIFTED = ("first_response_due", "first_response_warn_at", "resolution_due", "resolution_warn_at")


def sla_clock_change(*, ticket: Ticket, status: str, now: dt.datetime) -> ClockChange:
    """Pause when a working case starts waiting; on leaving the wait, move every due and warning time later by
    the business time the wait took, and add it to `sla_paused_seconds`. The resume event says how long
    (old_value: wall-clock seconds, new_value: business seconds subtracted). A move between the two
    waiting statuses keeps the clock paused."""
    if ticket.status in PAUSED_STATUSES or status in PAUSED_STATUSES:
        # The caller may hold a row older than its status (ticket_buyer_reply refreshes only that): read the clock as stored.
        ticket.refresh_from_db(fields=["sla_paused_at", "sla_paused_seconds", *_SHIFTED])
    paused_at, waiting_next = ticket.sla_paused_at, status in PAUSED_STATUSES
    if paused_at is None:
        return ClockChange({"sla_paused_at": now}, "sla_paused", new_value=status) if waiting_next else ClockChange({})
    if waiting_next:
        return ClockChange({})
    calendar = calendar_for_shop(ticket.shop)
    paused = business_time_between(calendar, paused_at, now)
    changes: dict[str, object] = {"sla_paused_at": None, "sla_paused_seconds": ticket.sla_paused_seconds + int(paused.total_seconds())}
    for name in _SHIFTED:
        value = getattr(ticket, name)
        if paused and value is not None:
            changes[name] = add_business_time(calendar, value, paused)
    wall = int((now - paused_at).total_seconds())
    return ClockChange(changes, "sla_resumed", old_value=str(wall), new_value=str(int(paused.total_seconds())))
