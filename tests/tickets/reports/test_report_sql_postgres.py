"""PostgreSQL's percentile_cont and the portable window-function fallback agree (run by CI on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db.models import F

from orders.models import Shop
from tests.integration.conftest import require_postgres
from tests.tickets.reports.conftest import NOW
from tickets.reports.selectors import ReportFilter, shipped_parcels
from tickets.reports.sql import PercentileCont, grouped_rows, window_percentiles

pytestmark = pytest.mark.services
approx = pytest.approx


def march(shops) -> ReportFilter:
    return ReportFilter(start=NOW.date().replace(day=1), end=NOW.date(), shops=shops)


def test_percentile_cont_matches_the_window_fallback(parcels):
    require_postgres()
    queryset = shipped_parcels(march(Shop.objects.all())).annotate(carrier_pk=F("carrier_id"))
    exact = {row["carrier_pk"]: row["p90"] for row in queryset.order_by().values("carrier_pk").annotate(p90=PercentileCont("transit_days", 0.9))}
    portable = window_percentiles(queryset, keys=["carrier_pk"], percentiles={"p90": ("transit_days", 0.9)})
    assert exact == {parcels["alpha"].pk: approx(8.2), parcels["beta"].pk: approx(4.6)}
    assert {key[0]: value["p90"] for key, value in portable.items()} == {pk: approx(p90) for pk, p90 in exact.items()}


def test_grouped_rows_use_percentile_cont_in_one_query(parcels, django_assert_num_queries):
    require_postgres()
    queryset = shipped_parcels(march(Shop.objects.all())).annotate(carrier_pk=F("carrier_id"))
    with django_assert_num_queries(1) as captured:
        rows = grouped_rows(queryset, keys=["carrier_pk"], measures={}, percentiles={"p90": ("transit_days", 0.9)})
    assert "percentile_cont(0.9) WITHIN GROUP (ORDER BY" in captured.captured_queries[0]["sql"]
    assert [row["p90"] for row in rows] == [approx(8.2), approx(4.6)]


def test_reports_are_built_unprepared(parcels, cases, prepare_thresholds):
    """Each aggregate is planned for its own period, not by a generic plan a connection settled on earlier."""
    require_postgres()
    from tickets.reports.tables import build_tables

    with prepare_thresholds() as seen:
        tables = build_tables(march(Shop.objects.all()))
    assert tables and len(seen) > 3 and set(seen) == {None}
