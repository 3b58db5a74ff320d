"""The import's PostgreSQL path (ids from the sequence, rows by COPY) writes what the SQLite path writes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from logistics.tracking_numbers import make_russian_post_14
from marketplace.imports import postings_import
from orders.models import Order
from tests.factories import OrderFactory
from tests.marketplace.report_csv import report_csv, report_row

pytestmark = pytest.mark.services


def test_copy_path_creates_orders_lines_parcels_and_events(shop: Any, carriers: Any) -> None:
    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://… (CI does)"
    before = OrderFactory(shop=shop)  # the sequence is shared with rows made the ordinary way
    rp = make_russian_post_14("8008321234567")
    raw = report_csv([
        report_row("10000001-0001-1", Статус="Доставляется", Артикул="A", Количество="2", Ваша_цена="10,50"),
        report_row("10000001-0001-1", Статус="Доставляется", Артикул="B"),
        report_row("10000002-0001-1", Способ_доставки="Почта России", Трек_номер=rp, Статус="Доставлен"),
    ])

    report = postings_import(shop=shop, raw=raw)
    again = postings_import(shop=shop, raw=raw)

    assert (report.created, again.unchanged) == (2, 2)
    first = Order.objects.get(posting_number="10000001-0001-1")
    assert first.id > before.id
    assert sorted(first.lines.values_list("sku", "quantity", "unit_price")) == [("A", 2, Decimal("10.50")), ("B", 1, Decimal("1390.00"))]
    parcel = first.parcels.get()
    assert (parcel.status, parcel.next_poll_at) == ("in_transit", None)
    assert list(parcel.events.values_list("event_key", "status")) == [("ozon:delivering", "in_transit")]
    second = Order.objects.get(posting_number="10000002-0001-1")
    assert (second.status, second.parcels.get().tracking_number, second.parcels.get().status) == ("delivered", rp, "pending")
    OrderFactory(shop=shop)  # and ordinary inserts still get fresh ids afterwards


def test_a_clash_inside_copy_is_a_django_integrity_error(shop: Any) -> None:
    from django.db import IntegrityError, transaction

    from marketplace.bulk import insert_rows

    taken = OrderFactory(shop=shop)
    row = {"shop_id": shop.id, "buyer_id": taken.buyer_id, "order_number": "1", "posting_number": taken.posting_number,
           "scheme": "fbs", "recipient_name": "x", "city": "x", "address_line": "x", "declared_value": Decimal("1.00"),
           "placed_at": taken.placed_at}
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Order, [row])


def test_the_import_runs_unprepared(shop: Any, carriers: Any, prepare_thresholds: Any) -> None:
    """A generic plan for the batches' long IN lists took bench/import.py from 19 to 83 s."""
    raw = report_csv([report_row(f"1000000{n}-0001-1", Статус="Доставляется") for n in range(3)])
    with prepare_thresholds() as seen:
        postings_import(shop=shop, raw=raw)
    assert seen and set(seen) == {None}
    with prepare_thresholds() as seen:
        Order.objects.filter(shop=shop).count()
    assert seen == [5]  # prepared again after the import
