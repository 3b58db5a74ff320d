"""The pure parsers against the recorded Ozon payloads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from marketplace.ozon.errors import OzonPayloadError
from marketplace.ozon.parsing import parse_error_message, parse_posting, parse_posting_get, parse_posting_list, parse_tracking_set
from marketplace.ozon.statuses import next_order_status, status_code
from tests.marketplace.conftest import payload


def test_posting_get_sample_is_read_fully() -> None:
    posting = parse_posting_get(payload("ozon_v3_posting_fbs_get_response_awaiting_packaging.json"))

    assert posting.posting_number == "57195475-0050-3"
    assert posting.order_number == "57195475-0050"
    assert posting.status == "awaiting_packaging"
    assert posting.tpl_provider == "Ozon Логистика"
    assert posting.tpl_integration_type == "ozon"
    assert posting.tracking_number == ""
    assert posting.in_process_at == dt.datetime(2021, 11, 20, 9, 14, 16, tzinfo=dt.UTC)
    assert posting.delivering_date is None
    assert posting.customer is None  # customer, addressee and analytics_data are all null
    [product] = posting.products
    assert product.offer_id == "250-7898-1"
    assert product.price == Decimal("279.00")
    assert product.quantity == 1
    assert product.currency == "RUB"


def test_posting_list_sample_has_next_page() -> None:
    page = parse_posting_list(payload("ozon_v3_posting_fbs_list_response.json"))

    assert page.has_next is True
    assert [p.posting_number for p in page.postings] == ["05708065-0029-1"]
    assert page.postings[0].products[0].name == "Электронный конструктор PinLab Позитроник"  # leading space dropped


def test_a_posting_without_number_is_skipped_not_fatal() -> None:
    body = payload("ozon_v3_posting_fbs_list_response.json")
    body["result"]["postings"].append({"status": "delivering"})

    page = parse_posting_list(body)

    assert len(page.postings) == 1
    assert page.skipped == 1


def test_customer_and_analytics_fill_the_address() -> None:
    item = payload("ozon_v3_posting_fbs_get_response_awaiting_packaging.json")["result"]
    item["customer"] = {"customer_id": 7781, "name": "Анна Смирнова", "phone": "+79990001122",
                        "address": {"city": "Казань", "region": "Татарстан", "zip_code": "420000", "address_tail": "ул. Баумана, 1"}}
    item["analytics_data"] = {"city": "Kazan", "delivery_date_end": "2021-11-27T18:00:00Z"}

    posting = parse_posting(item)

    assert posting.customer is not None
    assert (posting.customer.customer_id, posting.customer.city, posting.customer.postal_code) == ("7781", "Казань", "420000")
    assert posting.promised_date == dt.date(2021, 11, 27)


def test_a_bad_quantity_is_a_payload_error() -> None:
    item = payload("ozon_v3_posting_fbs_get_response_awaiting_packaging.json")["result"]
    item["products"][0]["quantity"] = 0

    with pytest.raises(OzonPayloadError, match="quantity"):
        parse_posting(item)


def test_tracking_set_and_error_samples() -> None:
    [result] = parse_tracking_set(payload("ozon_v2_fbs_posting_tracking_number_set_response.json"))
    assert (result.posting_number, result.ok, result.errors) == ("48173252-0033-2", True, ())
    assert parse_error_message(payload("ozon_error_401_missing_client_id.json")) == "Client-Id and Api-Key headers are required"
    assert parse_tracking_set({"result": [{"posting_number": "1-2-3", "result": False, "error": ["INVALID_TRACKING"]}]})[0].errors == (
        "INVALID_TRACKING",
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [("delivering", "delivering"), ("Доставляется", "delivering"), ("Отменен", "cancelled"), ("  ожидает  сборки ", "awaiting_packaging"),
     ("Арбитраж", "arbitration"), ("что-то новое", None)],
)
def test_status_code_reads_codes_and_report_labels(value: str, code: str | None) -> None:
    assert status_code(value) == code


def test_order_status_moves_forward_only() -> None:
    assert next_order_status("placed", "delivering") == "shipped"
    assert next_order_status("delivered", "delivering") == "delivered"
    assert next_order_status("shipped", "cancelled") == "cancelled"
    assert next_order_status("delivered", "cancelled") == "delivered"
    assert next_order_status("cancelled", "delivered") == "cancelled"
    assert next_order_status("shipped", "arbitration") == "shipped"
