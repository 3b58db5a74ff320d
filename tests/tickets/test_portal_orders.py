"""Buyer portal: my orders (list with late badges) and the order page with parcels and their timelines."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from logistics.models import Parcel
from logistics.statuses import ParcelStatus
from tests.factories import OrderFactory, OrderLineFactory, ParcelFactory, TrackingEventFactory

NOW = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def detail_url(order) -> str:
    return reverse("portal:order-detail", args=[order.pk])


def late_parcel(order, *, days: int, **kwargs) -> Parcel:
    return ParcelFactory(order=order, promised_date=TODAY - dt.timedelta(days=days), status=ParcelStatus.IN_TRANSIT, **kwargs)


def test_order_list_shows_only_my_orders_with_the_late_badge(client, customer, other_customer, order):
    late_parcel(order, days=3)
    theirs = OrderFactory(buyer=other_customer)
    client.force_login(customer)

    response = client.get(reverse("portal:order-list"))

    assert response.status_code == 200
    assert order.posting_number in response.text
    assert order.shop.name in response.text
    assert theirs.posting_number not in response.text
    assert "Late by 3 days" in response.text


def test_order_list_has_no_badge_for_delivered_or_return_parcels(client, customer, order):
    ParcelFactory(order=order, promised_date=TODAY - dt.timedelta(days=4), status=ParcelStatus.DELIVERED)
    late_parcel(order, days=6, direction=Parcel.Direction.RETURN)
    client.force_login(customer)

    assert "Late by" not in client.get(reverse("portal:order-list")).text


def test_order_list_shows_shop_staff_only_their_own_purchases(client, agent, order):
    client.force_login(agent)  # the agent may see the order in the desk, but did not buy it

    assert order.posting_number not in client.get(reverse("portal:order-list")).text


def test_order_list_is_newest_first_and_paginated_by_twenty(client, customer):
    orders = [OrderFactory(buyer=customer, placed_at=NOW - dt.timedelta(days=n)) for n in range(21)]
    client.force_login(customer)

    first = client.get(reverse("portal:order-list")).text
    second = client.get(reverse("portal:order-list"), {"page": 2}).text

    assert first.index(orders[0].posting_number) < first.index(orders[1].posting_number)
    assert orders[19].posting_number in first and orders[20].posting_number not in first
    assert orders[20].posting_number in second


def test_order_list_query_count_does_not_grow_with_orders(client, customer):
    client.force_login(customer)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal:order-list")).status_code == 200
        return len(queries)

    late_parcel(OrderFactory(buyer=customer), days=1)
    one = count_queries()
    for _ in range(4):
        late_parcel(OrderFactory(buyer=customer), days=2)
    assert count_queries() == one


def test_order_detail_is_404_for_another_buyers_order(client, other_customer, order):
    client.force_login(other_customer)

    assert client.get(detail_url(order)).status_code == 404


def test_order_detail_is_404_for_shop_staff_in_the_portal(client, agent, order):
    client.force_login(agent)

    assert client.get(detail_url(order)).status_code == 404


def test_order_detail_sends_visitors_to_sign_in(client, order):
    response = client.get(detail_url(order))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={detail_url(order)}"


def test_order_detail_shows_the_parcel_timeline_carrier_link_and_lateness(client, customer, order):
    OrderLineFactory(order=order, name="Silicone phone case")
    parcel = late_parcel(order, days=2)
    # Stored out of order on purpose: the page sorts by the carrier's time.
    for hours_ago, text in ((30, "Sorted in Kazan"), (2, "Handed to courier"), (80, "Accepted in Shenzhen")):
        TrackingEventFactory(parcel=parcel, occurred_at=NOW - dt.timedelta(hours=hours_ago), raw_description=text, location="Hub")
    client.force_login(customer)

    page = client.get(detail_url(order)).text

    assert page.index("Handed to courier") < page.index("Sorted in Kazan") < page.index("Accepted in Shenzhen")
    link = re.search(rf'<a href="https://track.example/{parcel.tracking_number}"([^>]*)>', page)
    assert link and 'target="_blank"' in link.group(1) and 'rel="noopener noreferrer"' in link.group(1)
    assert parcel.carrier.name in page
    assert "Late by 2 days" in page
    assert "In transit" in page
    assert "Silicone phone case" in page
    assert order.address_line in page


def test_order_detail_shows_event_times_in_the_shops_time_zone(client, customer, order):
    order.shop.time_zone = "Asia/Shanghai"
    order.shop.save(update_fields=["time_zone"])
    TrackingEventFactory(parcel=ParcelFactory(order=order), occurred_at=dt.datetime(2025, 3, 9, 12, 30, tzinfo=dt.UTC))
    client.force_login(customer)

    page = client.get(detail_url(order)).text

    assert "March 9, 2025, 8:30 p.m." in page  # 12:30 UTC is 20:30 in Shanghai
    assert "Times are in Asia/Shanghai." in page


def test_order_detail_links_open_a_case_for_the_order_and_each_parcel(client, customer, order):
    parcel = ParcelFactory(order=order)
    client.force_login(customer)

    page = client.get(detail_url(order)).text

    try:
        create_url = reverse("portal:case-create")
    except NoReverseMatch:  # the case pages are not wired yet: the page must still render, without the buttons
        assert "Open a case" not in page
        return
    assert f'href="{create_url}?order={order.pk}"' in page
    assert f'href="{create_url}?order={order.pk}&amp;parcel={parcel.pk}"' in page


def test_order_detail_escapes_what_sellers_and_carriers_wrote(client, customer, order):
    OrderLineFactory(order=order, name="<script>alert('line')</script>")
    TrackingEventFactory(parcel=ParcelFactory(order=order), raw_description="<script>alert('event')</script>", location="<b>x</b>")
    client.force_login(customer)

    page = client.get(detail_url(order)).text

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;line&#x27;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#x27;event&#x27;)&lt;/script&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page


def test_order_detail_query_count_does_not_grow_with_parcels_or_events(client, customer, order):
    OrderLineFactory(order=order)
    client.force_login(customer)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail_url(order)).status_code == 200
        return len(queries)

    TrackingEventFactory(parcel=late_parcel(order, days=1))
    one = count_queries()
    for _ in range(4):
        parcel = late_parcel(order, days=1)
        TrackingEventFactory.create_batch(3, parcel=parcel)
    OrderLineFactory(order=order)

    assert Parcel.objects.filter(order=order).count() == 5
    assert count_queries() == one
