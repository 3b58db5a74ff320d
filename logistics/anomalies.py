"""The anomaly sweep: set-based SQL over the whole active set, never a Python loop per parcel.

Each anomaly is recorded once per parcel and kind (INSERT ... SELECT ... ON CONFLICT DO NOTHING
against the unique constraint), and marked resolved once it no longer holds. Opening cases for
them is the tickets app's job: logistics never imports tickets (DESIGN §3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from logistics.models import AnomalyKind, Carrier, CarrierThreshold, Parcel, ParcelAnomaly
from logistics.statuses import ACTIVE_STATUSES, ParcelStatus
from logistics.webhook_events import record_new_anomalies
from supportdesk.sql import unprepared

_FORWARD = Q(direction=Parcel.Direction.FORWARD)


@dataclass
class SweepReport:
    recorded: int = 0
    resolved: int = 0


def _silence_condition(field: str, now: dt.datetime) -> Q:
    """Parcels whose newest event is older than their threshold (`stall_days` or `lost_days`),
    per carrier, with each shop's own override where it has one."""
    condition = Q(pk__in=[])
    overrides = list(CarrierThreshold.objects.values_list("carrier_id", "shop_id", field))
    for carrier_id, days in Carrier.objects.values_list("id", field):
        shops_with_override = [shop for c, shop, _d in overrides if c == carrier_id]
        condition |= Q(carrier_id=carrier_id, last_event_at__lt=now - dt.timedelta(days=days)) & ~Q(order__shop_id__in=shops_with_override)
    for carrier_id, shop_id, days in overrides:
        condition |= Q(carrier_id=carrier_id, order__shop_id=shop_id, last_event_at__lt=now - dt.timedelta(days=days))
    return condition


def anomaly_conditions(now: dt.datetime) -> dict[str, Q]:
    """What each anomaly kind means, as a condition on parcels."""
    active = Q(status__in=ACTIVE_STATUSES)
    return {
        AnomalyKind.DELAYED: active & _FORWARD & Q(promised_date__lt=timezone.localdate(now)),
        AnomalyKind.STALLED: active & ~Q(status=ParcelStatus.PENDING) & _silence_condition("stall_days", now),
        AnomalyKind.SUSPECTED_LOST: active & ~Q(status=ParcelStatus.PENDING) & _silence_condition("lost_days", now),
        AnomalyKind.CARRIER_EXCEPTION: Q(status=ParcelStatus.EXCEPTION),
        AnomalyKind.CARRIER_LOST: Q(status=ParcelStatus.LOST),
        AnomalyKind.RETURNING: _FORWARD & Q(status=ParcelStatus.RETURNING),
    }


def _record(kind: str, parcels: QuerySet[Parcel], now: dt.datetime) -> int:
    select_sql, params = parcels.values("id").query.sql_with_params()
    table = ParcelAnomaly._meta.db_table
    # `WHERE 1=1` lets SQLite parse ON CONFLICT after INSERT ... SELECT; PostgreSQL does not mind.
    sql = (
        f"INSERT INTO {table} (parcel_id, kind, detected_at, resolved_at) "  # noqa: S608 - table name from model meta
        f"SELECT candidate.id, %s, %s, NULL FROM ({select_sql}) AS candidate "
        # The anti-join skips known anomalies cheaply; ON CONFLICT still guards against a concurrent sweep.
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS known WHERE known.parcel_id = candidate.id AND known.kind = %s) "
        "ON CONFLICT (parcel_id, kind) DO NOTHING"
    )
    with connection.cursor() as cursor:
        # Stored as the ORM stores datetimes (SQLite: text without offset), so `detected_at=now` and
        # comparisons with other columns match.
        cursor.execute(sql, [kind, connection.ops.adapt_datetimefield_value(now), *params, kind])
        return max(cursor.rowcount, 0)


def anomalies_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """Record every new anomaly once and resolve those that no longer hold. Idempotent."""
    now = now or timezone.now()
    report = SweepReport()
    with unprepared(), transaction.atomic():  # set-based statements, best planned for their values
        conditions = anomaly_conditions(now)
        for kind, condition in conditions.items():
            report.recorded += _record(kind, Parcel.objects.filter(condition), now)
        report.resolved = _resolve(conditions, now)
        if report.recorded:
            record_new_anomalies(detected_at=now)  # outbox, same transaction; one query without subscribers
    return report


def _resolve(conditions: dict[str, Q], now: dt.datetime) -> int:
    """Delivered clears every anomaly but a declared loss; news clears a silence.

    Only parcels that moved since the anomaly was detected can have cleared it (a status move
    touches `updated_at`), so the check stays proportional to what changed.
    """
    open_anomalies = ParcelAnomaly.objects.filter(resolved_at__isnull=True, parcel__updated_at__gt=F("detected_at"))
    resolved = open_anomalies.filter(parcel__status=ParcelStatus.DELIVERED).exclude(kind=AnomalyKind.CARRIER_LOST).update(resolved_at=now)
    for kind in (AnomalyKind.STALLED, AnomalyKind.SUSPECTED_LOST):
        still_silent = Parcel.objects.filter(conditions[kind], pk=OuterRef("parcel_id"))
        resolved += open_anomalies.filter(kind=kind).filter(~Exists(still_silent)).update(resolved_at=now)
    return resolved
