"""Importing the Ozon FBS posting report: upserts, rejected rows with line numbers, whole-file errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from logistics.models import Parcel
from logistics.tracking_numbers import make_russian_post_14
from marketplace.imports import postings_import
from marketplace.report import ReportError
from orders.models import Order, OrderLine
from tests.factories import OrderFactory, ParcelFactory
from tests.marketplace.report_csv import HEADER, report_csv, report_row

MSK = dt.timezone(dt.timedelta(hours=3))
RP = make_russian_post_14("8008321234567")


def run(shop: Any, raw: bytes) -> Any:
    return postings_import(shop=shop, raw=raw)


def test_it_imports_postings_lines_and_parcels(shop: Any, carriers: Any) -> None:
    raw = report_csv([
        report_row("10000001-0001-1", Артикул="A-1", Количество="2", Ваша_цена="500,00", Сумма_отправления="1 390,50"),
        report_row("10000001-0001-1", Артикул="A-2", Наименование_товара='Чехол "Люкс"; чёрный', Сумма_отправления="1 390,50"),
        report_row("10000002-0001-1", Статус="Доставлен", Способ_доставки="Почта России", Трек_номер=RP,
                   Дата_доставки="28.11.2026 15:30", Фактическая_дата_передачи_в_доставку="2026-11-22 09:00:00",
                   Город_доставки="Казань"),
        report_row("10000003-0001-1", Статус="Доставляется"),
    ])

    report = run(shop, raw)

    assert (report.rows, report.created, report.updated, report.unchanged, report.rejected) == (4, 3, 0, 0, [])
    first = Order.objects.get(shop=shop, posting_number="10000001-0001-1")
    assert (first.order_number, first.status, first.declared_value) == ("10000001-0001", "placed", Decimal("1390.50"))
    assert first.placed_at == dt.datetime(2026, 11, 20, 10, 15, tzinfo=MSK)  # the shop's time zone
    assert sorted(first.lines.values_list("sku", "quantity", "unit_price")) == [("A-1", 2, Decimal("500.00")), ("A-2", 1, Decimal("1390.00"))]
    assert first.lines.get(sku="A-2").name == 'Чехол "Люкс"; чёрный'
    assert first.parcels.get().tracking_number == "10000001-0001-1"  # Ozon's own logistics
    second = Order.objects.get(posting_number="10000002-0001-1")
    assert (second.status, second.city, second.delivered_at) == ("delivered", "Казань", dt.datetime(2026, 11, 28, 15, 30, tzinfo=MSK))
    parcel = second.parcels.get()
    assert (parcel.carrier.code, parcel.tracking_number) == ("russian-post", RP)
    assert Order.objects.get(posting_number="10000003-0001-1").parcels.get().status == "in_transit"


def test_importing_again_changes_nothing_and_a_new_status_updates(shop: Any, carriers: Any) -> None:
    rows = [report_row("10000001-0001-1"), report_row("10000002-0001-1")]
    run(shop, report_csv(rows))
    stamps = dict(Order.objects.values_list("posting_number", "updated_at"))

    again = run(shop, report_csv(rows))
    rows[1]["Статус"] = "Отменён"
    later = run(shop, report_csv(rows))

    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (later.created, later.updated, later.unchanged) == (0, 1, 1)
    assert Order.objects.get(posting_number="10000001-0001-1").updated_at == stamps["10000001-0001-1"]
    assert Order.objects.get(posting_number="10000002-0001-1").status == "cancelled"
    assert (Order.objects.count(), OrderLine.objects.count(), Parcel.objects.count()) == (2, 2, 2)


@pytest.mark.parametrize(
    ("cells", "reason"),
    [({"Артикул": ""}, "«Артикул» is empty"),
     ({"Принят_в_обработку": "32.11.2026"}, "«Принят в обработку»: '32.11.2026' is not a date"),
     ({"Сумма_отправления": "много"}, "«Сумма отправления»: 'много' is not a number"),
     ({"Количество": "1.5"}, "«Количество»: '1.5' is not a whole number"),
     ({"Статус": "Потерян где-то"}, "is not an Ozon posting status"),
     ({"Код_валюты_отправления": "рубли"}, "is not a three-letter currency code"),
     ({"Способ_доставки": "Почта России", "Трек_номер": "80083212345670"}, "check digit should be")],
)
def test_a_bad_row_is_rejected_with_its_line_and_the_rest_go_in(shop: Any, carriers: Any, cells: dict[str, str], reason: str) -> None:
    raw = report_csv([report_row("10000001-0001-1"), report_row("10000002-0001-1", **cells), report_row("10000003-0001-1")])

    report = run(shop, raw)

    [(line, why)] = report.rejected
    assert line == 3
    assert reason in why
    assert sorted(Order.objects.values_list("posting_number", flat=True)) == ["10000001-0001-1", "10000003-0001-1"]


def test_a_posting_with_one_bad_row_is_rejected_whole(shop: Any, carriers: Any) -> None:
    raw = report_csv([report_row("10000001-0001-1", Артикул="A-1"), report_row("10000001-0001-1", Артикул="A-2", Количество="0")])

    report = run(shop, raw)

    assert [line for line, _why in report.rejected] == [2, 3]
    assert "line 3 of the same posting" in report.rejected[0][1]
    assert not Order.objects.exists()


def test_a_tracking_number_of_another_order_is_rejected(shop: Any, carriers: Any) -> None:
    ParcelFactory(order=OrderFactory(shop=shop), carrier=carriers["russian-post"], tracking_number=RP)

    report = run(shop, report_csv([report_row("10000001-0001-1", Способ_доставки="Почта России", Трек_номер=RP)]))

    assert report.rejected == [(2, f"tracking number {RP} is already used by another parcel of Почта России")]
    assert not Order.objects.filter(posting_number="10000001-0001-1").exists()


def test_duplicate_rows_are_imported_once_and_reported(shop: Any, carriers: Any) -> None:
    raw = report_csv([report_row("10000001-0001-1", Количество="1"), report_row("10000001-0001-1", Количество="3")])

    report = run(shop, raw)

    assert (report.created, report.rejected) == (1, [])
    assert report.notes == [(3, "repeats line 2 (posting 10000001-0001-1, article 205953): the later row wins")]
    assert list(OrderLine.objects.values_list("quantity", flat=True)) == [3]


def test_missing_required_columns_stop_the_import_before_any_write(shop: Any, carriers: Any) -> None:
    header = tuple(name for name in HEADER if name not in ("Статус", "Количество"))

    with pytest.raises(ReportError, match="Required columns are missing: «Статус», «Количество»"):
        run(shop, report_csv([report_row("10000001-0001-1")], header=header))
    assert not Order.objects.exists()


def test_extra_columns_and_any_column_order_are_fine(shop: Any, carriers: Any) -> None:
    header = ("Лишняя колонка", *reversed(HEADER))

    report = run(shop, report_csv([report_row("10000001-0001-1")], header=header, bom=False))

    assert report.created == 1


def test_a_windows_1251_file_is_refused_with_a_clear_message(shop: Any, carriers: Any) -> None:
    with pytest.raises(ReportError, match=r"not UTF-8 \(it looks like Windows-1251"):
        run(shop, report_csv([report_row("10000001-0001-1")], bom=False, encoding="cp1251"))
    assert not Order.objects.exists()


def test_a_line_that_is_not_utf8_is_rejected_alone(shop: Any, carriers: Any) -> None:
    good = report_csv([report_row("10000001-0001-1"), report_row("10000002-0001-1", Наименование_товара="ТОВАР")])
    raw = good.replace("ТОВАР".encode(), "ТОВАР".encode("cp1251"))

    report = run(shop, raw)

    assert report.rejected == [(3, "bad encoding: this line is not valid UTF-8")]
    assert report.created == 1


def test_a_comma_separated_file_is_refused(shop: Any) -> None:
    with pytest.raises(ReportError, match="not separated by “;”"):
        run(shop, ",".join(HEADER).encode() + b"\n1,2\n")


def test_line_numbers_count_newlines_inside_quoted_cells(shop: Any, carriers: Any) -> None:
    raw = report_csv([report_row("10000001-0001-1", Наименование_товара="две\nстроки"), report_row("10000002-0001-1", Количество="x")])

    assert run(shop, raw).rejected[0][0] == 4


def _queries_for(shop: Any, postings: int, first: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    raw = report_csv([report_row(f"{first + n}-0001-1") for n in range(postings)])
    with CaptureQueriesContext(connection) as queries:
        assert run(shop, raw).created == postings
    return len(queries)


def test_writes_are_batched_not_one_query_per_posting(shop: Any, carriers: Any) -> None:
    _queries_for(shop, 1, 19000000)  # the shop's placeholder buyer now exists

    # (40: below SQLite's rows per INSERT for orders, 999 variables / 21 columns)
    assert _queries_for(shop, 5, 20000000) == _queries_for(shop, 40, 30000000)
