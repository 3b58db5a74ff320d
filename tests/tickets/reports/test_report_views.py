"""Who may see the reports, the CSV export, and the page's query count."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logistics.statuses import ParcelStatus
from tests.factories import CarrierFactory, OrderFactory, ParcelFactory, TicketFactory
from tests.tickets.reports.conftest import PERIOD, SHIPPED, at, shipped_parcel
from tickets.reports.csv import csv_cell

URL = "/desk/reports/"


def test_anonymous_users_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/desk/reports/"
    assert client.get(URL, {"format": "csv", "table": "carriers"}).status_code == 302


@pytest.mark.django_db  # fixtures come by name at run time: the mark keeps it before the transactional tests
@pytest.mark.parametrize("who", ["customer", "desk_agent", "agent"])
def test_buyers_and_agents_who_are_not_supervisors_get_404(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 404
    assert client.get(URL, {"format": "csv", "table": "carriers"}).status_code == 404


def test_supervisors_and_superusers_see_the_page(client, supervisor, superuser):
    client.force_login(supervisor)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'href="/desk/reports/"' in response.content.decode()  # the desk's Reports tab
    client.force_login(superuser)
    assert client.get(URL).status_code == 200


def test_a_supervisor_cannot_pick_another_shop(client, supervisor, other_shop, shop):
    client.force_login(supervisor)
    response = client.get(URL, {**PERIOD, "shop": other_shop.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    options = response.context["form"].fields["shop"].queryset
    assert list(options) == [shop]
    csv_response = client.get(URL, {**PERIOD, "shop": other_shop.pk, "format": "csv", "table": "carriers"})
    assert csv_response.status_code == 400
    assert "Select a valid choice" in csv_response.content.decode()


def test_the_page_only_accepts_get(client, supervisor):
    client.force_login(supervisor)
    assert client.post(URL).status_code == 405


def read_csv(response):
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_of_the_carrier_scorecard(client, supervisor, parcels):
    client.force_login(supervisor)
    response = client.get(URL, {**PERIOD, "format": "csv", "table": "carriers"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="carriers_2026-03-01_2026-03-20.csv"'
    rows = read_csv(response)
    assert rows[0] == ["Carrier", "Shipped", "Delivered", "On time %", "Avg transit days", "P90 transit days", "Lost", "Loss %",
                       "Damaged", "Damage %", "Returned", "Return %"]  # fmt: skip
    assert rows[1:] == [
        ["Alpha Post", "7", "4", "50.00", "4.88", "8.20", "2", "28.57", "2", "28.57", "1", "14.29"],
        ["Beta Express", "3", "2", "100.00", "3.00", "4.60", "0", "0.00", "0", "0.00", "1", "33.33"],
        ["All carriers", "10", "6", "60.00", "4.25", "7.50", "2", "20.00", "2", "20.00", "2", "20.00"],
    ]


def test_csv_numbers_are_not_localised(client, supervisor, parcels, settings):
    client.force_login(supervisor)
    client.cookies["django_language"] = "ru"  # Russian formats write 50,0; the CSV must not
    page = client.get(URL, PERIOD, HTTP_ACCEPT_LANGUAGE="ru")
    assert "50,0" in page.content.decode()
    rows = read_csv(client.get(URL, {**PERIOD, "format": "csv", "table": "carriers"}, HTTP_ACCEPT_LANGUAGE="ru"))
    assert rows[1][3] == "50.00"


def test_every_table_exports(client, supervisor, parcels, cases):
    client.force_login(supervisor)
    expected_rows = {"carriers": 3, "lanes": 4, "case_kinds": 3, "case_channels": 2, "case_carriers": 1, "case_weeks": 4}
    for table, count in expected_rows.items():
        rows = read_csv(client.get(URL, {**PERIOD, "format": "csv", "table": table}))
        assert len(rows) == 1 + count, table
    kinds = read_csv(client.get(URL, {**PERIOD, "format": "csv", "table": "case_kinds"}))
    assert kinds[-1] == ["All cases", "5", "4.25", "8.20", "3", "28.00", "43.20", "3", "60.00", "3", "4.00", "66.67"]
    weeks = read_csv(client.get(URL, {**PERIOD, "format": "csv", "table": "case_weeks"}))
    assert weeks[1] == ["2026-03-02", "Delivery delay", "2"]


def test_csv_defuses_formulas(client, supervisor, shop):
    carrier = CarrierFactory(code="evil", name='=HYPERLINK("http://evil.example","x")')
    shipped_parcel(shop, carrier, region="+7 Moscow")
    shipped_parcel(shop, carrier, region="@SUM(A1)")
    client.force_login(supervisor)
    rows = read_csv(client.get(URL, {**PERIOD, "format": "csv", "table": "lanes"}))
    assert [row[:3] for row in rows[1:]] == [
        ["'=HYPERLINK(\"http://evil.example\",\"x\")", "RU", "'+7 Moscow"],
        ["'=HYPERLINK(\"http://evil.example\",\"x\")", "RU", "'@SUM(A1)"],
    ]


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [(None, "int", ""), (3, "int", "3"), (-1.5, "num", "-1.50"), (2.0, "pct", "2.00"), ("-2", "text", "'-2"),
     ("\tx", "text", "'\tx"), ("plain", "text", "plain")],  # fmt: skip
)
def test_csv_cell(value, number_format, expected):
    assert csv_cell(value, number_format) == expected


def test_unknown_csv_table_is_a_clear_400(client, supervisor):
    client.force_login(supervisor)
    response = client.get(URL, {"format": "csv", "table": "salaries"})
    assert response.status_code == 400
    assert "Unknown table: choose one of carriers, lanes, case_kinds, case_channels, case_carriers, case_weeks." in response.content.decode()


def page_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, PERIOD).status_code == 200
    return len(queries)


def add_data(shop, n):
    for i in range(n):
        carrier = CarrierFactory(code=f"bulk-{i}")
        order = OrderFactory(shop=shop, shipped_at=SHIPPED, region=f"Region {i}", delivered_at=at(5))
        parcel = ParcelFactory(order=order, carrier=carrier, status=ParcelStatus.DELIVERED, status_changed_at=at(5))
        TicketFactory(order=order, parcel=parcel, created_at=at(4), first_responded_at=at(5), rating=5)


def test_query_count_does_not_grow_with_the_data(client, supervisor, shop):
    add_data(shop, 1)
    few = page_queries(client, supervisor)
    add_data(shop, 12)
    assert page_queries(client, supervisor) == few
