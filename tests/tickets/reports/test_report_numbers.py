"""The report's numbers on the known data set of conftest.py, read from the page the supervisor sees."""

from __future__ import annotations

import re

import pytest

from tests.tickets.reports.conftest import PERIOD, at, case
from tickets.models import TicketChannel, TicketKind

approx = pytest.approx
URL = "/desk/reports/"


def tables(client, user, **params):
    client.force_login(user)
    response = client.get(URL, {**PERIOD, **params})
    assert response.status_code == 200
    return response.context["tables"]


def by(rows, key):
    return {row[key]: row for row in rows}


def test_carrier_scorecard(client, supervisor, parcels):
    rows = by(tables(client, supervisor)["carriers"].rows, "carrier_name")
    assert list(rows) == ["Alpha Post", "Beta Express", "All carriers"]
    alpha, beta, total = rows["Alpha Post"], rows["Beta Express"], rows["All carriers"]
    assert (alpha["shipped"], alpha["delivered"], alpha["judged"], alpha["on_time"]) == (7, 4, 4, 2)
    assert alpha["on_time_pct"] == approx(50.0)
    assert alpha["avg_transit_days"] == approx(4.875)
    assert alpha["p90_transit_days"] == approx(8.2)  # 4 + 0.7 × (10 − 4)
    assert (alpha["lost"], alpha["damaged"], alpha["returned"]) == (2, 2, 1)
    assert alpha["loss_pct"] == approx(200 / 7)
    assert alpha["damage_pct"] == approx(200 / 7)
    assert alpha["return_pct"] == approx(100 / 7)
    assert (beta["shipped"], beta["delivered"], beta["judged"], beta["on_time"]) == (3, 2, 1, 1)
    assert beta["on_time_pct"] == approx(100.0)
    assert beta["avg_transit_days"] == approx(3.0)
    assert beta["p90_transit_days"] == approx(4.6)  # 1 + 0.9 × (5 − 1)
    assert (beta["lost"], beta["damaged"], beta["returned"]) == (0, 0, 1)
    assert (total["shipped"], total["delivered"], total["on_time"]) == (10, 6, 3)
    assert total["on_time_pct"] == approx(60.0)
    assert total["avg_transit_days"] == approx(4.25)
    assert total["p90_transit_days"] == approx(7.5)  # 5 + 0.5 × (10 − 5)
    assert (total["loss_pct"], total["damage_pct"], total["return_pct"]) == (approx(20.0), approx(20.0), approx(20.0))


def test_lane_scorecard(client, supervisor, parcels):
    rows = {(r["carrier_name"], r["dest_country"], r["dest_region"]): r for r in tables(client, supervisor)["lanes"].rows}
    assert list(rows) == [("Alpha Post", "RU", "Moscow"), ("Alpha Post", "RU", "Tatarstan"),
                          ("Beta Express", "RU", "—"), ("Beta Express", "RU", "Moscow")]  # fmt: skip
    moscow = rows[("Alpha Post", "RU", "Moscow")]
    assert (moscow["shipped"], moscow["delivered"], moscow["on_time"], moscow["lost"], moscow["damaged"]) == (4, 2, 1, 2, 1)
    assert moscow["avg_transit_days"] == approx(3.0)
    assert moscow["p90_transit_days"] == approx(3.8)
    tatarstan = rows[("Alpha Post", "RU", "Tatarstan")]
    assert (tatarstan["shipped"], tatarstan["delivered"], tatarstan["on_time"], tatarstan["returned"]) == (3, 2, 1, 1)
    assert tatarstan["loss_pct"] == approx(0.0)
    assert tatarstan["avg_transit_days"] == approx(6.75)
    assert tatarstan["p90_transit_days"] == approx(9.35)
    no_region = rows[("Beta Express", "RU", "—")]
    assert (no_region["delivered"], no_region["judged"], no_region["on_time_pct"]) == (1, 0, None)
    assert no_region["p90_transit_days"] == approx(5.0)


def test_case_metrics_by_kind(client, supervisor, cases):
    rows = by(tables(client, supervisor)["case_kinds"].rows, "group")
    assert list(rows) == ["Delivery delay", "Lost parcel", "All cases"]
    delay, lost, total = rows["Delivery delay"], rows["Lost parcel"], rows["All cases"]
    assert (delay["cases"], delay["responded"], delay["resolved"], delay["breached"], delay["ratings"]) == (3, 3, 2, 2, 2)
    assert delay["avg_first_response_hours"] == approx(16 / 3)
    assert delay["p90_first_response_hours"] == approx(8.8)  # 4 + 0.8 × (10 − 4)
    assert delay["avg_resolution_hours"] == approx(36.0)
    assert delay["p90_resolution_hours"] == approx(45.6)
    assert delay["breach_pct"] == approx(200 / 3)  # c3's two breaches count once
    assert delay["avg_rating"] == approx(4.0)
    assert delay["satisfied_pct"] == approx(50.0)
    assert (lost["cases"], lost["responded"], lost["breached"]) == (2, 1, 1)
    assert (lost["avg_first_response_hours"], lost["p90_first_response_hours"]) == (approx(1.0), approx(1.0))
    assert (lost["avg_resolution_hours"], lost["p90_resolution_hours"]) == (approx(12.0), approx(12.0))
    assert (lost["breach_pct"], lost["satisfied_pct"]) == (approx(50.0), approx(100.0))
    assert (total["cases"], total["breached"], total["ratings"]) == (5, 3, 3)
    assert total["avg_first_response_hours"] == approx(4.25)
    assert total["p90_first_response_hours"] == approx(8.2)
    assert total["avg_resolution_hours"] == approx(28.0)
    assert total["p90_resolution_hours"] == approx(43.2)
    assert total["breach_pct"] == approx(60.0)
    assert total["avg_rating"] == approx(4.0)
    assert total["satisfied_pct"] == approx(200 / 3)


def test_case_metrics_by_channel_and_week(client, supervisor, cases):
    result = tables(client, supervisor)
    channels = by(result["case_channels"].rows, "group")
    assert {name: row["cases"] for name, row in channels.items()} == {"Buyer portal": 3, "E-mail": 2}
    assert channels["E-mail"]["breach_pct"] == approx(100.0)
    assert channels["Buyer portal"]["avg_resolution_hours"] == approx(28.0)
    weeks = [(row["week"], row["kind_label"], row["cases"]) for row in result["case_weeks"].rows]
    assert weeks == [("2026-03-02", "Delivery delay", 2), ("2026-03-09", "Delivery delay", 1), ("2026-03-09", "Lost parcel", 1),
                     ("2026-03-16", "Lost parcel", 1)]  # fmt: skip


def test_case_metrics_by_carrier(client, supervisor, parcels, cases, shop):
    alpha_parcel = parcels["alpha"].parcels.filter(order__shop=shop).first()
    case(shop, kind=TicketKind.DAMAGED, channel=TicketChannel.CHAT, created=at(12), reply_h=3, rating=5, parcel=alpha_parcel)
    case(shop, kind=TicketKind.DAMAGED, channel=TicketChannel.CHAT, created=at(13), reply_h=5, rating=2, parcel=alpha_parcel,
         breaches=["resolution"])  # fmt: skip
    rows = by(tables(client, supervisor)["case_carriers"].rows, "group")
    assert set(rows) == {"No parcel", "Alpha Post"}  # (the NULL group sorts first on SQLite, last on PostgreSQL)
    alpha = rows["Alpha Post"]
    assert (alpha["cases"], alpha["ratings"], alpha["satisfied_pct"], alpha["breach_pct"]) == (2, 2, approx(50.0), approx(50.0))
    assert alpha["avg_first_response_hours"] == approx(4.0)
    assert alpha["p90_first_response_hours"] == approx(4.8)
    assert rows["No parcel"]["cases"] == 5


def test_charts_get_their_data_as_json(client, supervisor, parcels, cases):
    client.force_login(supervisor)
    response = client.get(URL, PERIOD)
    charts = response.context["charts"]
    assert charts["on_time"]["labels"] == ["Alpha Post", "Beta Express"]
    assert charts["on_time"]["values"] == [50.0, 100.0]
    assert charts["case_weeks"]["labels"] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert charts["case_weeks"]["datasets"] == [{"label": "Delivery delay", "values": [2, 1, 0]},
                                                {"label": "Lost parcel", "values": [0, 1, 1]}]  # fmt: skip
    html = response.content.decode()
    assert '<script id="report-charts" type="application/json">' in html
    assert "vendor/chartjs-4.5.1/chart.umd.min.js" in html
    # every script and stylesheet is served by the app: no CDN (a substring test for "cdn" also hit random CSRF tokens)
    assets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)
    assert assets and all(url.startswith("/") and not url.startswith("//") for url in assets), assets


def test_the_carrier_filter_narrows_both_reports(client, supervisor, parcels, cases):
    result = tables(client, supervisor, carrier=parcels["beta"].pk)
    assert [row["carrier_name"] for row in result["carriers"].rows] == ["Beta Express", "All carriers"]
    assert result["case_kinds"].rows == []  # none of the cases is about a Beta parcel


def test_the_shop_filter_and_another_shops_data(client, supervisor, shop, other_shop, parcels, cases, superuser):
    result = tables(client, supervisor, shop=shop.pk)
    assert result["carriers"].rows[-1]["shipped"] == 10
    result = tables(client, superuser, shop=other_shop.pk)  # a superuser serves every shop
    assert [(row["carrier_name"], row["shipped"], row["lost"]) for row in result["carriers"].rows] == [
        ("Alpha Post", 1, 1), ("All carriers", 1, 1)
    ]
    assert by(result["case_kinds"].rows, "group")["All cases"]["cases"] == 1


def test_the_date_range_is_by_ship_date_and_inclusive(client, supervisor, parcels):
    result = tables(client, supervisor, start="2026-03-02", end="2026-03-02")
    assert result["carriers"].rows[-1]["shipped"] == 10
    result = tables(client, supervisor, start="2026-02-01", end="2026-02-28")
    assert [(row["carrier_name"], row["shipped"], row["delivered"], row["judged"]) for row in result["carriers"].rows] == [
        ("Alpha Post", 1, 1, 0), ("All carriers", 1, 1, 0)  # delivered, but promised nothing: not judged
    ]


def test_the_default_range_is_the_last_30_days(client, supervisor, parcels, cases):
    client.force_login(supervisor)
    response = client.get(URL)
    report = response.context["report"]
    assert (report.start.isoformat(), report.end.isoformat()) == ("2026-02-19", "2026-03-20")
    html = response.content.decode()
    assert 'name="start" value="2026-02-19"' in html and 'name="end" value="2026-03-20"' in html
    assert response.context["tables"]["carriers"].rows[-1]["shipped"] == 11  # with the parcel shipped on 02-20
    assert by(response.context["tables"]["case_kinds"].rows, "group")["All cases"]["cases"] == 6


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-03-10", "end": "2026-03-01"}, "The start date must be on or before the end date."),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "Choose a range of at most 731 days."),
        ({"start": "yesterday"}, "Enter a valid date."),
    ],
)
def test_bad_filters_get_a_clear_error(client, supervisor, params, message):
    client.force_login(supervisor)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "tables" not in response.context


def test_empty_period_shows_empty_tables(client, supervisor):
    client.force_login(supervisor)
    response = client.get(URL, PERIOD)
    assert response.status_code == 200
    assert all(table.rows == [] for table in response.context["tables"].values())
    assert "Nothing in this period." in response.content.decode()
