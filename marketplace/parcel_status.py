"""Ozon's posting status onto parcels nobody else tracks (carrier adapter "manual", e.g. Ozon Логистика).

Each status Ozon reports becomes one TrackingEvent keyed by the status (so a re-sync adds nothing) and
the parcel moves to it, unless the parcel is already terminal (a stale page never revives it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from logistics.models import Carrier, Parcel, TrackingEvent
from marketplace.ozon.statuses import OZON_STATUSES

if TYPE_CHECKING:
    from marketplace.postings import PostingData


def ozon_event_key(ozon_status: str) -> str:
    return f"ozon:{ozon_status}"


def _occurred_at(data: PostingData, now: dt.datetime) -> dt.datetime:
    if data.status_changed_at is not None:
        return data.status_changed_at
    if data.ozon_status == "delivered" and data.delivered_at is not None:
        return data.delivered_at
    if data.ozon_status in ("delivering", "sent_by_seller", "driver_pickup") and data.shipped_at is not None:
        return data.shipped_at
    return now


def parcels_apply_ozon_status(pairs: Sequence[tuple[Parcel, PostingData]], *, now: dt.datetime) -> set[int]:
    """Move each manual-carrier parcel to the status of its posting; returns the order ids of the parcels that moved."""
    events: list[TrackingEvent] = []
    moved: list[Parcel] = []
    for parcel, data in pairs:
        if parcel.carrier.adapter != Carrier.Adapter.MANUAL or parcel.is_terminal:
            continue
        mapping = OZON_STATUSES[data.ozon_status]
        if parcel.status == mapping.parcel_status:
            continue
        occurred = _occurred_at(data, now)
        events.append(TrackingEvent(
            parcel=parcel, event_key=ozon_event_key(data.ozon_status), occurred_at=occurred, status=mapping.parcel_status,
            raw_code=data.ozon_status, raw_description=mapping.label, location="Ozon", received_at=now,
        ))
        parcel.status, parcel.status_changed_at, parcel.updated_at = mapping.parcel_status, now, now
        parcel.last_event_at = max(occurred, parcel.last_event_at) if parcel.last_event_at else occurred
        parcel.next_poll_at = None
        moved.append(parcel)
    if not moved:
        return set()
    TrackingEvent.objects.bulk_create(events, batch_size=1000, ignore_conflicts=True)
    Parcel.objects.bulk_update(moved, ["status", "status_changed_at", "last_event_at", "next_poll_at", "updated_at"], batch_size=1000)
    return {p.order_id for p in moved}

