"""Writes for parcels and their tracking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from logistics.carriers.base import TrackingEvent as CarrierEvent
from logistics.carriers.base import TrackingResult
from logistics.models import Carrier, Parcel, TrackingEvent
from logistics.statuses import TERMINAL_STATUSES
from orders.models import Order


def parcel_create(
    *, order: Order, carrier: Carrier, tracking_number: str,
    direction: str = Parcel.Direction.FORWARD, promised_date: dt.date | None = None,
) -> Parcel:
    """Start tracking a parcel of `order`; it is due for its first poll at once.

    Raises ValidationError for a number already tracked with this carrier.
    """
    parcel = Parcel(
        order=order, carrier=carrier, tracking_number=tracking_number.strip().upper(), direction=direction,
        promised_date=promised_date if promised_date is not None else order.promised_delivery_date,
        next_poll_at=timezone.now(),
    )
    parcel.full_clean()
    parcel.save()
    return parcel


def parcel_apply_events(*, parcel: Parcel, events: Sequence[CarrierEvent], now: dt.datetime | None = None) -> Parcel:
    """Store new events and move the parcel to the status of its newest event by carrier time.

    Idempotent: an event already stored (same event key) is ignored, and an older event that
    arrives late never overrides a newer one. Polling stops once the status is terminal.
    """
    now = now or timezone.now()
    with transaction.atomic():
        TrackingEvent.objects.bulk_create(
            [
                TrackingEvent(
                    parcel=parcel, event_key=e.event_key, occurred_at=e.occurred_at, status=e.status,
                    raw_code=e.raw_code[:64], raw_description=e.raw_description, location=e.location[:200], received_at=now,
                )
                for e in events
            ],
            ignore_conflicts=True,
        )
        newest = parcel.events.order_by("-occurred_at", "-id").first()
        if newest is not None and (parcel.last_event_at is None or newest.occurred_at > parcel.last_event_at):
            _parcel_move_to(parcel=parcel, status=newest.status, event_time=newest.occurred_at, now=now)
    parcel.refresh_from_db()
    return parcel


def _parcel_move_to(*, parcel: Parcel, status: str, event_time: dt.datetime, now: dt.datetime) -> None:
    changes: dict[str, object] = {"last_event_at": event_time, "status": status}
    if status != parcel.status:
        changes["status_changed_at"] = event_time
    if status in TERMINAL_STATUSES:
        changes["next_poll_at"] = None
    # Conditional on the last event time we read: a concurrent ingest of a newer event wins.
    Parcel.objects.filter(id=parcel.id, last_event_at=parcel.last_event_at).update(**changes, updated_at=now)


def parcel_apply_tracking(*, parcel: Parcel, result: TrackingResult, now: dt.datetime | None = None) -> Parcel:
    """Apply what the carrier said of this parcel; records that it was polled."""
    now = now or timezone.now()
    Parcel.objects.filter(id=parcel.id).update(last_polled_at=now)
    return parcel_apply_events(parcel=parcel, events=result.events, now=now)


def parcel_stop_polling(*, parcel: Parcel, reason: str) -> Parcel:
    """Stop polling this parcel (e.g. the carrier refuses the number) and record why."""
    Parcel.objects.filter(id=parcel.id).update(next_poll_at=None, polling_stopped_reason=reason[:300], updated_at=timezone.now())
    parcel.refresh_from_db(fields=["next_poll_at", "polling_stopped_reason", "updated_at"])
    return parcel
