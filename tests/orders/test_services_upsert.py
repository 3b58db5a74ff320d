from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from orders.models import Order
from orders.services import BuyerData, OrderLineData, ShippingAddress, buyer_get_or_create, order_upsert
from tests.factories import BuyerFactory

pytestmark = pytest.mark.django_db


def _upsert(shop, **changes):
    kwargs = {
        "shop": shop, "buyer": BuyerData(email="anna@example.com"), "order_number": "1-2", "posting_number": "1-2-1",
        "address": ShippingAddress(recipient_name="Anna", city="Kazan", address_line="Baumana 5"),
        "declared_value": Decimal("10.00"), "currency": "RUB", "placed_at": timezone.now() - dt.timedelta(days=1),
        "lines": [OrderLineData(sku="A", name="Case", quantity=1, unit_price=Decimal("10.00"))],
    }
    kwargs.update(changes)
    return order_upsert(**kwargs)


def test_upsert_creates_then_updates_by_posting_number(shop):
    order, created = _upsert(shop)
    again, created_again = _upsert(shop, declared_value=Decimal("20.00"), lines=None)
    assert created and not created_again and again.id == order.id
    assert again.declared_value == Decimal("20.00") and again.lines.count() == 1
    assert Order.objects.count() == 1


def test_upsert_refuses_a_posting_of_another_order(shop):
    _upsert(shop)
    with pytest.raises(ValidationError) as error:
        _upsert(shop, order_number="9-9")
    assert "order_number" in error.value.message_dict


def test_upsert_rolls_back_a_bad_line(shop):
    with pytest.raises(ValidationError):
        _upsert(shop, lines=[OrderLineData(sku="A", name="Case", quantity=0, unit_price=Decimal("1"))])
    assert not Order.objects.exists()


def test_buyer_is_found_by_email_case_insensitively(db):
    existing = BuyerFactory(email="Anna@Example.com")
    assert buyer_get_or_create(data=BuyerData(email="anna@example.com")) == existing


def test_new_buyer_gets_a_free_username(db):
    BuyerFactory(username="anna@example.com", email="other@example.com")
    user = buyer_get_or_create(data=BuyerData(email="anna@example.com"))
    assert user.username.startswith("anna@example.com-") and not user.has_usable_password()
