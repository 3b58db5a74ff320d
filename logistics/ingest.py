"""Storing what carriers say: one code path for polls, pushes and demo data.

Idempotent: events are deduplicated by (parcel, event_key) in the database. A parcel takes the
status of its newest event by the carrier's own time, so an older event that arrives late never
overrides a newer one; the move is a conditional update on the last event time we read.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from logistics.carriers.base import TrackingEvent as CarrierEvent
from logistics.carriers.base import TrackingResult
from logistics.models import Carrier, Parcel, TrackingEvent
from logistics.statuses import TERMINAL_STATUSES, ParcelStatus
from orders.services import order_mark_delivered, order_mark_shipped

logger = logging.getLogger("logistics.ingest")

RETRY_MISSING_AFTER = dt.timedelta(minutes=5)
# Poll sooner when something is about to happen, later while nothing moves.
_POLL_FACTOR: dict[str, float] = {
    ParcelStatus.OUT_FOR_DELIVERY: 0.25, ParcelStatus.AVAILABLE_FOR_PICKUP: 0.5, ParcelStatus.DELIVERY_FAILED: 0.5,
    ParcelStatus.PENDING: 2.0, ParcelStatus.INFO_RECEIVED: 1.5,
}
_SHIPPED = {ParcelStatus.IN_TRANSIT, ParcelStatus.CUSTOMS, ParcelStatus.OUT_FOR_DELIVERY, ParcelStatus.AVAILABLE_FOR_PICKUP}


@dataclass
class IngestOutcome:
    updated: int = 0
    stopped: int = 0
    missing: int = 0
    changed_parcel_ids: list[int] = field(default_factory=list)


def next_poll_at(carrier: Carrier, status: str, now: dt.datetime) -> dt.datetime | None:
    """When to ask again: never after a terminal status; sooner near delivery; with ±10% jitter."""
    if status in TERMINAL_STATUSES:
        return None
    minutes = carrier.poll_interval_minutes * _POLL_FACTOR.get(status, 1.0) * random.uniform(0.9, 1.1)  # noqa: S311
    return now + dt.timedelta(minutes=minutes)


def _event_rows(parcel: Parcel, events: Sequence[CarrierEvent], now: dt.datetime) -> list[TrackingEvent]:
    return [
        TrackingEvent(
            parcel=parcel, event_key=e.event_key, occurred_at=e.occurred_at, status=e.status, raw_code=e.raw_code[:64],
            raw_description=e.raw_description, location=e.location[:200], received_at=now,
        )
        for e in events
    ]


def parcels_apply_results(
    *, parcels: Sequence[Parcel], results: dict[str, TrackingResult], now: dt.datetime, polled: bool = True,
) -> IngestOutcome:
    """Apply a carrier's answers to a batch of parcels of one carrier in a handful of queries.

    A parcel with no answer (the carrier skipped it or its item was malformed) is logged and
    retried soon; one the carrier refuses for good stops polling with the reason.
    """
    outcome = IngestOutcome()
    rows: list[TrackingEvent] = []
    moves: list[tuple[Parcel, CarrierEvent]] = []
    for parcel in parcels:
        result = results.get(parcel.tracking_number)
        if result is None:
            outcome.missing += 1
            logger.warning("no answer for %s from %s; retrying soon", parcel.tracking_number, parcel.carrier.code)
            parcel.next_poll_at = now + RETRY_MISSING_AFTER
        elif result.permanent_error:
            outcome.stopped += 1
            parcel.next_poll_at, parcel.polling_stopped_reason = None, result.error[:300]
        else:
            rows.extend(_event_rows(parcel, result.events, now))
            newest = max(result.events, key=lambda e: e.occurred_at, default=None)
            if newest is not None and (parcel.last_event_at is None or newest.occurred_at > parcel.last_event_at):
                moves.append((parcel, newest))
            parcel.next_poll_at = next_poll_at(parcel.carrier, parcel.status, now)
        if polled:
            parcel.last_polled_at = now
    with transaction.atomic():
        TrackingEvent.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        Parcel.objects.bulk_update(parcels, ["next_poll_at", "last_polled_at", "polling_stopped_reason"], batch_size=500)
        for parcel, newest in moves:
            if _parcel_move_to(parcel=parcel, event=newest, now=now):
                outcome.updated += 1
                outcome.changed_parcel_ids.append(parcel.id)
    return outcome


def _parcel_move_to(*, parcel: Parcel, event: CarrierEvent, now: dt.datetime) -> bool:
    changes: dict[str, object] = {
        "last_event_at": event.occurred_at, "status": event.status, "updated_at": now,
        "next_poll_at": next_poll_at(parcel.carrier, event.status, now),
    }
    if event.status != parcel.status:
        changes["status_changed_at"] = event.occurred_at
    # Conditional on the last event time we read: a concurrent ingest of a newer event wins.
    if Parcel.objects.filter(id=parcel.id, last_event_at=parcel.last_event_at).update(**changes) != 1:
        return False
    if parcel.direction == Parcel.Direction.FORWARD:
        _advance_order(parcel=parcel, status=event.status, at=event.occurred_at)
    return True


def _advance_order(*, parcel: Parcel, status: str, at: dt.datetime) -> None:
    if status == ParcelStatus.DELIVERED:
        order_mark_delivered(order=parcel.order, delivered_at=at)
    elif status in _SHIPPED:
        order_mark_shipped(order=parcel.order, shipped_at=at)
