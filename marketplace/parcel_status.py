"""Ozon's posting status onto parcels nobody else tracks (carrier adapter "manual", e.g. Ozon Логистика).

Each status Ozon reports becomes one TrackingEvent keyed by the status (so a re-sync adds nothing) and
the parcel moves to it, unless the parcel is already terminal (a stale page never revives it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from logistics.models import Carrier, Parcel, TrackingEvent
from logistics.statuses import TERMINAL_STATUSES
from marketplace.ozon.statuses import OZON_STATUSES
from supportdesk.sql import update_from_values

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


@dataclass(frozen=True)
class OzonMove:
    ozon_status: str
    status: str
    occurred_at: dt.datetime

    def event_row(self, now: dt.datetime) -> dict[str, object]:
        """The TrackingEvent fields (without the parcel) that record this move."""
        return {
            "event_key": ozon_event_key(self.ozon_status), "occurred_at": self.occurred_at, "status": self.status,
            "raw_code": self.ozon_status, "raw_description": OZON_STATUSES[self.ozon_status].label, "location": "Ozon", "received_at": now,
        }


def ozon_move(carrier: Carrier, status: str, last_event_at: dt.datetime | None, data: PostingData, now: dt.datetime) -> OzonMove | None:
    """Where a parcel of `carrier` in `status` goes when Ozon says `data.ozon_status`; None when it stays."""
    if carrier.adapter != Carrier.Adapter.MANUAL or status in TERMINAL_STATUSES:
        return None
    target = OZON_STATUSES[data.ozon_status].parcel_status
    if status == target:
        return None
    occurred = _occurred_at(data, now)
    return OzonMove(data.ozon_status, target.value, max(occurred, last_event_at) if last_event_at else occurred)


def parcels_apply_ozon_status(pairs: Sequence[tuple[Parcel, PostingData]], *, now: dt.datetime) -> set[int]:
    """Move each stored manual-carrier parcel to the status of its posting (one UPDATE for all); returns the
    order ids of the parcels that moved."""
    events: list[TrackingEvent] = []
    moved: list[Parcel] = []
    for parcel, data in pairs:
        move = ozon_move(parcel.carrier, parcel.status, parcel.last_event_at, data, now)
        if move is not None:
            events.append(TrackingEvent(parcel_id=parcel.id, **move.event_row(now)))
            parcel.status, parcel.last_event_at = move.status, move.occurred_at
            moved.append(parcel)
    if not moved:
        return set()
    TrackingEvent.objects.bulk_create(events, batch_size=1000, ignore_conflicts=True)  # an earlier visit may have stored it
    # One UPDATE ... FROM (VALUES ...): bulk_update's CASE per row and column is far slower at this size.
    update_from_values(
        table=Parcel._meta.db_table,
        columns=[("parcel_pk", "bigint"), ("v_status", "text"), ("v_event_at", "timestamptz"), ("v_now", "timestamptz")],
        rows=[(p.id, p.status, p.last_event_at, now) for p in moved],
        assignments="status = v.v_status, status_changed_at = v.v_now, last_event_at = v.v_event_at, next_poll_at = NULL, updated_at = v.v_now",
    )
    return {p.order_id for p in moved}
