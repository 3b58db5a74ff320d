"""The percentile helper on edge cases, on whichever database the suite runs (SQLite by default)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import NotSupportedError, connection
from django.db.models import F

from logistics.models import Parcel
from logistics.statuses import ParcelStatus
from tests.factories import CarrierFactory, OrderFactory, ParcelFactory
from tests.tickets.reports.conftest import SHIPPED
from tickets.reports.sql import DaysBetween, PercentileCont, grouped_rows, window_percentiles

approx = pytest.approx


def parcel_taking(carrier, days):
    order = OrderFactory(shipped_at=SHIPPED)
    delivered = None if days is None else SHIPPED + dt.timedelta(days=days)
    return ParcelFactory(order=order, carrier=carrier, status=ParcelStatus.DELIVERED, status_changed_at=delivered)


def transit(carrier_ids):
    return Parcel.objects.filter(carrier_id__in=carrier_ids).annotate(
        carrier_pk=F("carrier_id"), days=DaysBetween(F("status_changed_at"), F("order__shipped_at")),
    )


@pytest.mark.django_db
def test_percentiles_on_edge_cases():
    one, two, empty, ten = (CarrierFactory() for _ in range(4))
    parcel_taking(one, 3)
    parcel_taking(one, None)  # no delivery time: ignored, as percentile_cont ignores NULL
    parcel_taking(two, 1)
    parcel_taking(two, 2.5)
    parcel_taking(empty, None)
    for days in range(1, 11):
        parcel_taking(ten, days)
    queryset = transit([one.pk, two.pk, empty.pk, ten.pk])
    percentiles = {"p0": ("days", 0.0), "p50": ("days", 0.5), "p90": ("days", 0.9), "p100": ("days", 1.0)}
    found = grouped_rows(queryset, keys=["carrier_pk"], measures={}, percentiles=percentiles)
    assert [row["rows"] for row in found] == [2, 2, 1, 10]
    rows = {row["carrier_pk"]: row for row in found}
    assert {k: rows[one.pk][k] for k in percentiles} == {"p0": approx(3), "p50": approx(3), "p90": approx(3), "p100": approx(3)}
    assert {k: rows[two.pk][k] for k in percentiles} == {"p0": approx(1), "p50": approx(1.75), "p90": approx(2.35), "p100": approx(2.5)}
    assert {k: rows[empty.pk][k] for k in percentiles} == dict.fromkeys(percentiles)
    assert {k: rows[ten.pk][k] for k in percentiles} == {"p0": approx(1), "p50": approx(5.5), "p90": approx(9.1), "p100": approx(10)}
    whole = grouped_rows(queryset, keys=[], measures={}, percentiles={"p90": ("days", 0.9)})
    # 13 values (1, 1, 2, 2.5, 3, 3, 4, …, 10): position 12 × 0.9 = 10.8 → 8 + 0.8 × (9 − 8)
    assert whole == [{"rows": 15, "p90": approx(8.8)}]
    ranked = window_percentiles(queryset, keys=[], percentiles={"p90": ("days", 0.9)})
    assert ranked == {(): {"p90": approx(whole[0]["p90"])}}


@pytest.mark.django_db
def test_percentile_cont_runs_only_on_postgresql():
    query = transit([]).values("carrier_pk").annotate(p90=PercentileCont("days", 0.9))
    if connection.vendor == "postgresql":  # its numbers: test_report_sql_postgres.py
        assert list(query) == []
    else:
        with pytest.raises(NotSupportedError, match="needs PostgreSQL"):
            list(query)


def test_a_fraction_outside_0_to_1_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        PercentileCont(F("days"), 1.5)
