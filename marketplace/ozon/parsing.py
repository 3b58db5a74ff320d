"""Ozon Seller API answers as plain dataclasses: pure functions of the decoded JSON, no HTTP, no ORM.

Tolerant like the carrier parsers: extra fields are ignored, optional blocks (`customer`, `addressee`,
`analytics_data`) may be null or missing, prices come as strings ("279.0000").
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from marketplace.ozon.errors import OzonPayloadError

logger = logging.getLogger("marketplace.ozon")


@dataclass(frozen=True)
class Product:
    offer_id: str  # the seller's own article: our OrderLine.sku (the report's «Артикул»)
    name: str
    quantity: int
    price: Decimal
    currency: str


@dataclass(frozen=True)
class Customer:
    """Who bought and where it goes; Ozon leaves it null for most FBS postings (personal data)."""

    customer_id: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    country: str = ""
    region: str = ""
    city: str = ""
    postal_code: str = ""
    address_line: str = ""


@dataclass(frozen=True)
class Posting:
    posting_number: str
    order_number: str
    status: str
    substatus: str = ""
    tracking_number: str = ""
    delivery_method: str = ""  # "Ozon Логистика самостоятельно, Москва"
    tpl_provider: str = ""  # "Ozon Логистика", "Почта России", "СДЭК" …
    tpl_integration_type: str = ""  # "ozon" when Ozon's own logistics carries it
    in_process_at: dt.datetime | None = None
    shipment_date: dt.datetime | None = None
    delivering_date: dt.datetime | None = None
    promised_date: dt.date | None = None
    customer: Customer | None = None
    products: tuple[Product, ...] = ()


@dataclass(frozen=True)
class PostingPage:
    postings: tuple[Posting, ...]
    has_next: bool
    skipped: int = 0  # postings we could not read (logged)


@dataclass(frozen=True)
class TrackingSetResult:
    posting_number: str
    ok: bool
    errors: tuple[str, ...] = ()


def parse_datetime(value: Any) -> dt.datetime | None:
    """An aware datetime from Ozon's ISO 8601 ("2021-11-20T09:14:16Z"); None for null, "" or junk."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value or "0")).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise OzonPayloadError(f"price {value!r} is not a number") from None


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_product(payload: dict[str, Any]) -> Product:
    quantity = payload.get("quantity")
    if not isinstance(quantity, int) or quantity < 1:
        raise OzonPayloadError(f"product quantity {quantity!r} is not a positive whole number")
    return Product(
        offer_id=_text(payload.get("offer_id")) or _text(payload.get("sku")), name=_text(payload.get("name")) or "—",
        quantity=quantity, price=_decimal(payload.get("price")), currency=_text(payload.get("currency_code")).upper() or "RUB",
    )


def parse_customer(posting: dict[str, Any]) -> Customer | None:
    customer, addressee = _dict(posting.get("customer")), _dict(posting.get("addressee"))
    analytics = _dict(posting.get("analytics_data"))
    address = _dict(customer.get("address"))
    if not (customer or addressee or analytics):
        return None
    return Customer(
        customer_id=_text(customer.get("customer_id")), name=_text(addressee.get("name")) or _text(customer.get("name")),
        phone=_text(addressee.get("phone")) or _text(customer.get("phone")), email=_text(customer.get("customer_email")),
        country=_text(address.get("country")), region=_text(address.get("region")) or _text(analytics.get("region")),
        city=_text(address.get("city")) or _text(analytics.get("city")), postal_code=_text(address.get("zip_code")),
        address_line=_text(address.get("address_tail")),
    )


def parse_posting(payload: dict[str, Any]) -> Posting:
    """One posting (an item of /v3/posting/fbs/list or the result of /v3/posting/fbs/get).

    Raises OzonPayloadError when it has no posting number or status, or a product we cannot read.
    """
    number, status = _text(payload.get("posting_number")), _text(payload.get("status"))
    if not number or not status:
        raise OzonPayloadError("posting without posting_number or status")
    method = _dict(payload.get("delivery_method"))
    analytics = _dict(payload.get("analytics_data"))
    promised = parse_datetime(analytics.get("delivery_date_end"))
    return Posting(
        posting_number=number, order_number=_text(payload.get("order_number")) or number.rsplit("-", 1)[0], status=status,
        substatus=_text(payload.get("substatus")), tracking_number=_text(payload.get("tracking_number")),
        delivery_method=_text(method.get("name")), tpl_provider=_text(method.get("tpl_provider")),
        tpl_integration_type=_text(payload.get("tpl_integration_type")),
        in_process_at=parse_datetime(payload.get("in_process_at")), shipment_date=parse_datetime(payload.get("shipment_date")),
        delivering_date=parse_datetime(payload.get("delivering_date")), promised_date=promised.date() if promised else None,
        customer=parse_customer(payload),
        products=tuple(parse_product(p) for p in payload.get("products") or () if isinstance(p, dict)),
    )


def parse_posting_list(payload: dict[str, Any]) -> PostingPage:
    """/v3/posting/fbs/list: the postings we can read (the others are logged and counted) and `has_next`."""
    result = _dict(payload.get("result"))
    postings, skipped = [], 0
    for item in result.get("postings") or ():
        try:
            postings.append(parse_posting(item if isinstance(item, dict) else {}))
        except OzonPayloadError as error:
            skipped += 1
            logger.warning("skipped an Ozon posting we cannot read (%s): %.500r", error, item)
    return PostingPage(postings=tuple(postings), has_next=bool(result.get("has_next")), skipped=skipped)


def parse_posting_get(payload: dict[str, Any]) -> Posting:
    return parse_posting(_dict(payload.get("result")))


def parse_tracking_set(payload: dict[str, Any]) -> list[TrackingSetResult]:
    """/v2/fbs/posting/tracking-number/set: per posting, whether Ozon took the number and, if not, why."""
    results = []
    for item in payload.get("result") or ():
        if not isinstance(item, dict):
            continue
        errors = tuple(_text(e) for e in item.get("error") or () if _text(e))
        results.append(TrackingSetResult(posting_number=_text(item.get("posting_number")), ok=bool(item.get("result")), errors=errors))
    return results


def parse_error_message(payload: Any) -> str:
    """Ozon's error envelope `{"code": 16, "message": "..."}` → its message; "" when it is something else."""
    if isinstance(payload, dict):
        return _text(payload.get("message"))[:300]
    return ""
