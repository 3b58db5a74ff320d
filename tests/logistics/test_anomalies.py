from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from logistics.anomalies import anomalies_sweep
from logistics.models import AnomalyKind, CarrierThreshold, ParcelAnomaly
from logistics.statuses import ParcelStatus
from tests.factories import CarrierFactory, OrderFactory, ParcelFactory

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def silent_parcel(days: float, **kwargs):
    return ParcelFactory(
        status=kwargs.pop("status", ParcelStatus.IN_TRANSIT), last_event_at=NOW - dt.timedelta(days=days),
        promised_date=kwargs.pop("promised_date", NOW.date() + dt.timedelta(days=10)), **kwargs,
    )


def kinds_of(parcel) -> set[str]:
    return set(ParcelAnomaly.objects.filter(parcel=parcel).values_list("kind", flat=True))


@pytest.mark.django_db
def test_late_parcel_is_recorded_once():
    late = silent_parcel(0.5, promised_date=NOW.date() - dt.timedelta(days=2))
    on_time = silent_parcel(0.5)
    delivered_late = silent_parcel(0.5, status=ParcelStatus.DELIVERED, promised_date=NOW.date() - dt.timedelta(days=2))
    assert anomalies_sweep(now=NOW).recorded == 1
    assert anomalies_sweep(now=NOW).recorded == 0
    assert kinds_of(late) == {AnomalyKind.DELAYED}
    assert kinds_of(on_time) == kinds_of(delivered_late) == set()


@pytest.mark.django_db
def test_silence_thresholds_come_from_the_carrier():
    carrier = CarrierFactory(stall_days=5, lost_days=15)
    quiet = silent_parcel(6, carrier=carrier)
    gone = silent_parcel(16, carrier=carrier)
    chatty = silent_parcel(1, carrier=carrier)
    never_scanned = silent_parcel(30, carrier=carrier, status=ParcelStatus.PENDING)
    anomalies_sweep(now=NOW)
    assert kinds_of(quiet) == {AnomalyKind.STALLED}
    assert kinds_of(gone) == {AnomalyKind.STALLED, AnomalyKind.SUSPECTED_LOST}
    assert kinds_of(chatty) == kinds_of(never_scanned) == set()


@pytest.mark.django_db
def test_a_shop_can_override_the_carriers_thresholds(shop, other_shop):
    carrier = CarrierFactory(stall_days=7, lost_days=20)
    CarrierThreshold.objects.create(shop=shop, carrier=carrier, stall_days=2, lost_days=4)
    strict = silent_parcel(3, carrier=carrier, order=OrderFactory(shop=shop))
    relaxed = silent_parcel(3, carrier=carrier, order=OrderFactory(shop=other_shop))
    anomalies_sweep(now=NOW)
    assert kinds_of(strict) == {AnomalyKind.STALLED}
    assert kinds_of(relaxed) == set()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "kind"),
    [(ParcelStatus.EXCEPTION, AnomalyKind.CARRIER_EXCEPTION), (ParcelStatus.LOST, AnomalyKind.CARRIER_LOST),
     (ParcelStatus.RETURNING, AnomalyKind.RETURNING)],
)
def test_carrier_reported_problems_are_anomalies(status, kind):
    parcel = silent_parcel(0.1, status=status)
    anomalies_sweep(now=NOW)
    assert kinds_of(parcel) == {kind}


@pytest.mark.django_db
def test_delivery_resolves_delay_and_news_resolves_silence():
    carrier = CarrierFactory(stall_days=5, lost_days=15)
    late = silent_parcel(0.5, promised_date=NOW.date() - dt.timedelta(days=1))
    quiet = silent_parcel(6, carrier=carrier)
    anomalies_sweep(now=NOW)
    late.status = ParcelStatus.DELIVERED
    late.save()
    quiet.last_event_at = NOW - dt.timedelta(hours=1)
    quiet.save()
    later = NOW + dt.timedelta(minutes=5)
    assert anomalies_sweep(now=later).resolved == 2
    assert ParcelAnomaly.objects.filter(resolved_at=later).count() == 2
    assert anomalies_sweep(now=later).recorded == 0  # recorded once, even after it cleared


@pytest.mark.django_db
def test_sweep_query_count_does_not_grow_with_parcels():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    carrier = CarrierFactory(stall_days=2, lost_days=4)

    def sweep_queries(parcels: int) -> int:
        for days in range(parcels):
            silent_parcel(days, carrier=carrier, promised_date=NOW.date() - dt.timedelta(days=days % 3))
        with CaptureQueriesContext(connection) as queries:
            anomalies_sweep(now=timezone.now())
        return len(queries)

    assert sweep_queries(3) == sweep_queries(40)


@pytest.mark.services
@pytest.mark.django_db
def test_the_sweep_runs_unprepared(prepare_thresholds):
    silent_parcel(10)
    with prepare_thresholds() as seen:
        anomalies_sweep()
    assert len(seen) > 5 and set(seen) == {None}
