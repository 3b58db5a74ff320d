"""Storing what carriers say: one code path for polls, pushes and demo data.

Idempotent: events are deduplicated by (parcel, event_key) in the database. A parcel takes the
status of its newest event by the carrier's own time, so an older event that arrives late never
overrides a newer one; the move is a conditional update on the last event time we read.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction

from logistics.carriers.base import TrackingEvent as CarrierEvent
from logistics.carriers.base import TrackingResult
from logistics.models import Carrier, Parcel, TrackingEvent
from logistics.statuses import TERMINAL_STATUSES, ParcelStatus
from logistics.webhook_events import record_status_changes, status_subscribed_sql
from orders.services import orders_mark_delivered_many, orders_mark_shipped_many
from supportdesk.sql import update_from_values

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


EventRow = tuple[int, str, dt.datetime, str, str, str, str, dt.datetime]
_EVENT_COLUMNS = ("parcel_id", "event_key", "occurred_at", "status", "raw_code", "raw_description", "location", "received_at")


def _event_rows(parcel: Parcel, events: Sequence[CarrierEvent], now: dt.datetime) -> list[EventRow]:
    return [
        (parcel.id, e.event_key, e.occurred_at, e.status, e.raw_code[:64], e.raw_description, e.location[:200], now)
        for e in events
    ]


@dataclass
class _Plan:
    rows: list[EventRow] = field(default_factory=list)
    moves: list[tuple[Parcel, CarrierEvent]] = field(default_factory=list)
    quiet: dict[str, list[int]] = field(default_factory=dict)  # answered, nothing newer: ids by status
    missing: list[int] = field(default_factory=list)
    stopped: dict[str, list[int]] = field(default_factory=dict)  # refused for good: ids by reason


def _plan(parcels: Sequence[Parcel], results: dict[str, TrackingResult], now: dt.datetime) -> _Plan:
    plan = _Plan()
    for parcel in parcels:
        result = results.get(parcel.tracking_number)
        if result is None:
            logger.warning("no answer for %s from %s; retrying soon", parcel.tracking_number, parcel.carrier.code)
            plan.missing.append(parcel.id)
        elif result.permanent_error:
            plan.stopped.setdefault(result.error[:300], []).append(parcel.id)
        else:
            plan.rows.extend(_event_rows(parcel, result.events, now))
            newest = max(result.events, key=lambda e: e.occurred_at, default=None)
            if newest is not None and (parcel.last_event_at is None or newest.occurred_at > parcel.last_event_at):
                plan.moves.append((parcel, newest))
            else:
                plan.quiet.setdefault(parcel.status, []).append(parcel.id)
    return plan


def parcels_apply_results(
    *, parcels: Sequence[Parcel], results: dict[str, TrackingResult], now: dt.datetime, polled: bool = True,
) -> IngestOutcome:
    """Apply a carrier's answers to a batch of parcels of one carrier in a handful of queries.

    A parcel with no answer (the carrier skipped it or its item was malformed) is logged and
    retried soon; one the carrier refuses for good stops polling with the reason.
    """
    if not parcels:
        return IngestOutcome()
    carrier = parcels[0].carrier
    plan = _plan(parcels, results, now)
    polled_at = {"last_polled_at": now} if polled else {}
    with transaction.atomic():
        _store_new_events(plan.rows)
        for status, ids in plan.quiet.items():
            Parcel.objects.filter(id__in=ids).update(next_poll_at=next_poll_at(carrier, status, now), **polled_at)
        Parcel.objects.filter(id__in=plan.missing).update(next_poll_at=now + RETRY_MISSING_AFTER, **polled_at)
        for reason, ids in plan.stopped.items():
            Parcel.objects.filter(id__in=ids).update(next_poll_at=None, polling_stopped_reason=reason, **polled_at)
        moved = _move_parcels(plan.moves, carrier=carrier, now=now, polled=polled)
        _advance_orders(moved)
        record_status_changes(moves=plan.moves, moved=moved)  # outbox, same transaction; no query without subscribers
    return IngestOutcome(
        updated=len(moved), stopped=sum(map(len, plan.stopped.values())), missing=len(plan.missing),
        changed_parcel_ids=[parcel_id for parcel_id, *_rest in moved],
    )


def _store_new_events(rows: list[EventRow]) -> None:
    """Insert the events not stored yet. Carriers resend the whole history on every poll, so
    skipping known keys first keeps steady-state polls cheap; ON CONFLICT still guards races."""
    if not rows:
        return
    known = set(TrackingEvent.objects.filter(parcel_id__in={row[0] for row in rows}).values_list("parcel_id", "event_key"))
    fresh = [row for row in rows if (row[0], row[1]) not in known]
    if not fresh:
        return
    if connection.vendor == "postgresql":
        _insert_events_pg(fresh)
    else:
        TrackingEvent.objects.bulk_create(
            [TrackingEvent(**dict(zip(_EVENT_COLUMNS, row, strict=True))) for row in fresh], ignore_conflicts=True, batch_size=500
        )


def _insert_events_pg(rows: list[EventRow]) -> None:
    # One JSON document for the whole batch: the hot path of P1. json.dumps is C code, where a
    # VALUES list or text arrays cost Python work per value.
    casts = ("bigint", "text", "timestamptz", "text", "text", "text", "text", "timestamptz")
    fields = ", ".join(f"(e->>{i})::{cast}" for i, cast in enumerate(casts))
    sql = (
        f"INSERT INTO {TrackingEvent._meta.db_table} ({', '.join(_EVENT_COLUMNS)}) "  # noqa: S608 - names from code
        f"SELECT {fields} FROM jsonb_array_elements(%s::jsonb) AS e ON CONFLICT (parcel_id, event_key) DO NOTHING"
    )
    document = json.dumps([(pid, key, at.isoformat(), status, code, text, place, got.isoformat())
                           for pid, key, at, status, code, text, place, got in rows])  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, [document])


def _move_parcels(
    moves: list[tuple[Parcel, CarrierEvent]], *, carrier: Carrier, now: dt.datetime, polled: bool,
) -> list[tuple[int, int, str, str, dt.datetime, bool]]:
    """Move each parcel to its newest event in one statement. Conditional on the last event time
    we read, so a concurrent ingest of a newer event wins. Returns (id, order id, direction,
    status, event time, whether its shop subscribes to parcel.status_changed) of the parcels that moved."""
    rows = [
        (parcel.id, parcel.last_event_at, event.status, event.occurred_at, next_poll_at(carrier, event.status, now))
        for parcel, event in moves
    ]
    columns = [("parcel_pk", "bigint"), ("old_event_at", "timestamptz"), ("new_status", "text"), ("event_at", "timestamptz"),
               ("next_poll", "timestamptz")]  # fmt: skip
    assignments = (
        "status_changed_at = CASE WHEN t.status = v.new_status THEN t.status_changed_at ELSE v.event_at END, "
        "status = v.new_status, last_event_at = v.event_at, next_poll_at = v.next_poll, updated_at = %s"
        + (", last_polled_at = %s" if polled else "")
    )
    subscribed, subscribed_params = status_subscribed_sql()
    return update_from_values(
        table=Parcel._meta.db_table, columns=columns, rows=rows, assignments=assignments,
        params=[now, now, *subscribed_params] if polled else [now, *subscribed_params],
        condition="t.last_event_at IS NOT DISTINCT FROM v.old_event_at",
        returning=f"id, order_id, direction, status, last_event_at, {subscribed}",
    )


def _advance_orders(moved: list[tuple[int, int, str, str, dt.datetime, bool]]) -> None:
    """A forward parcel's delivery delivers its order; any movement ships it."""
    delivered: dict[int, dt.datetime] = {}
    shipped: dict[int, dt.datetime] = {}
    for _id, order_id, direction, status, at, _subscribed in moved:
        if direction != Parcel.Direction.FORWARD:
            continue
        if status == ParcelStatus.DELIVERED:
            delivered[order_id] = at
        elif status in _SHIPPED:
            shipped[order_id] = at
    orders_mark_shipped_many(shipped_at=shipped)
    orders_mark_delivered_many(delivered_at=delivered)
