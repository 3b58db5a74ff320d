"""Webhook events of parcels: status changes, anomalies and tracking-number changes (webhooks app, DESIGN §3).

The payloads are stable JSON documents (README "Webhooks"). The ingest and sweep paths are
set-based: they record events in bulk, only for shops with an active subscription to the type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from logistics.carriers.base import TrackingEvent as CarrierEvent
from logistics.models import Parcel, ParcelAnomaly, TrackingNumberChange
from webhooks.models import EventType
from webhooks.outbox import iso, record_event, record_events_many, subscribed_sql
from webhooks.selectors import shop_ids_subscribed_to

SWEEP_CHUNK = 2000


def parcel_data(parcel: Parcel) -> dict[str, Any]:
    """A parcel as webhooks describe it; needs `carrier` and `order` loaded (or costs two queries)."""
    order = parcel.order
    return {
        "id": parcel.pk, "tracking_number": parcel.tracking_number, "carrier": parcel.carrier.code, "direction": parcel.direction,
        "status": parcel.status, "status_changed_at": iso(parcel.status_changed_at), "last_event_at": iso(parcel.last_event_at),
        "promised_date": iso(parcel.promised_date),
        "order": {"id": order.pk, "order_number": order.order_number, "posting_number": order.posting_number},
    }


def status_subscribed_sql() -> tuple[str, list[Any]]:
    """For ingest's RETURNING: whether the moved parcel's shop listens to parcel.status_changed (no query of its own)."""
    from orders.models import Order

    shop = f"(SELECT wo.shop_id FROM {Order._meta.db_table} AS wo WHERE wo.id = order_id)"  # noqa: S608 - names from code
    return subscribed_sql(event_type=EventType.PARCEL_STATUS_CHANGED, shop_id_sql=shop)


def record_status_changes(*, moves: Sequence[tuple[Parcel, CarrierEvent]], moved: Sequence[tuple[Any, ...]]) -> int:
    """parcel.status_changed for every moved parcel whose status really changed and whose shop subscribes.

    `moved` rows end with the subscription flag from status_subscribed_sql; without subscribers this
    returns without a query.
    """
    old_status = {parcel.id: parcel.status for parcel, _event in moves}
    changed = {row[0]: old_status[row[0]] for row in moved if row[-1] and old_status.get(row[0]) != row[3]}
    if not changed:
        return 0
    parcels = Parcel.objects.filter(id__in=changed).select_related("carrier", "order").order_by("id")
    items = [
        (parcel.order.shop_id, {"parcel": parcel_data(parcel), "previous_status": changed[parcel.id]}) for parcel in parcels
    ]
    return record_events_many(event_type=EventType.PARCEL_STATUS_CHANGED, items=items)


def record_new_anomalies(*, detected_at: dt.datetime) -> int:
    """parcel.anomaly_detected for the anomalies this sweep recorded (they carry its `detected_at`).

    One query when no shop subscribes; otherwise a chunked scan of this sweep's new anomalies only.
    """
    shop_ids = shop_ids_subscribed_to(EventType.PARCEL_ANOMALY_DETECTED)
    if not shop_ids:
        return 0
    anomalies = (
        ParcelAnomaly.objects.filter(detected_at=detected_at, parcel__order__shop_id__in=shop_ids)
        .select_related("parcel__carrier", "parcel__order").order_by("id")
    )
    recorded, items = 0, []
    for anomaly in anomalies.iterator(chunk_size=SWEEP_CHUNK):
        data = {"anomaly": {"id": anomaly.pk, "kind": anomaly.kind, "detected_at": iso(anomaly.detected_at)},
                "parcel": parcel_data(anomaly.parcel)}  # fmt: skip
        items.append((anomaly.parcel.order.shop_id, data))
        if len(items) >= SWEEP_CHUNK:
            recorded += record_events_many(event_type=EventType.PARCEL_ANOMALY_DETECTED, items=items)
            items = []
    return recorded + record_events_many(event_type=EventType.PARCEL_ANOMALY_DETECTED, items=items)


def record_tracking_number_change(*, change: TrackingNumberChange) -> None:
    parcel = change.parcel

    def data() -> dict[str, Any]:
        return {
            "change": {
                "id": change.pk, "old_number": change.old_number, "old_carrier": change.old_carrier.code,
                "new_number": change.new_number, "new_carrier": change.new_carrier.code, "reason": change.reason,
                "changed_at": iso(change.changed_at),
            },
            "parcel": parcel_data(parcel),
        }

    record_event(shop=parcel.order.shop_id, event_type=EventType.TRACKING_NUMBER_CHANGED, data=data)
