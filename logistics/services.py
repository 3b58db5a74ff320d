"""Writes for parcels and their tracking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from logistics.carriers.base import TrackingEvent as CarrierEvent
from logistics.carriers.base import TrackingResult
from logistics.ingest import parcels_apply_results
from logistics.models import Carrier, Parcel
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
    """Store new events of one parcel (a push, demo data) and move it to its newest event's status.

    Idempotent; an older event arriving late never overrides a newer one (see logistics.ingest).
    """
    result = TrackingResult(tracking_number=parcel.tracking_number, events=tuple(events))
    parcels_apply_results(parcels=[parcel], results={parcel.tracking_number: result}, now=now or timezone.now(), polled=False)
    parcel.refresh_from_db()
    return parcel


def parcel_apply_tracking(*, parcel: Parcel, result: TrackingResult, now: dt.datetime | None = None) -> Parcel:
    """Apply what the carrier said of this parcel in a poll (records the poll time)."""
    parcels_apply_results(parcels=[parcel], results={parcel.tracking_number: result}, now=now or timezone.now())
    parcel.refresh_from_db()
    return parcel


def parcel_stop_polling(*, parcel: Parcel, reason: str) -> Parcel:
    """Stop polling this parcel (e.g. the carrier refuses the number) and record why."""
    Parcel.objects.filter(id=parcel.id).update(next_poll_at=None, polling_stopped_reason=reason[:300], updated_at=timezone.now())
    parcel.refresh_from_db(fields=["next_poll_at", "polling_stopped_reason", "updated_at"])
    return parcel
