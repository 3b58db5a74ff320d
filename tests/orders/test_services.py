from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from orders.models import Order
from orders.services import OrderLineData, ShippingAddress, buyer_create, order_create, order_mark_delivered, order_mark_shipped

ADDRESS = ShippingAddress(recipient_name="Анна Смирнова", city="Казань", address_line="ул. Баумана, 5", postal_code="420111")


@pytest.mark.django_db
def test_buyer_create_makes_a_plain_user_with_a_profile():
    buyer = buyer_create(username="anna", email="anna@example.ru", language="ru", phone="+79001234567")
    assert not buyer.is_staff
    assert buyer.buyer_profile.phone == "+79001234567"
    assert not buyer.has_usable_password()


@pytest.mark.django_db
def test_order_create_stores_lines_and_uses_shop_scheme(shop, customer):
    order = order_create(
        shop=shop, buyer=customer, order_number="57195475-0050", posting_number="57195475-0050-1", address=ADDRESS,
        declared_value=Decimal("2500"), currency="RUB", placed_at=timezone.now(),
        lines=[OrderLineData(sku="A1", name="Чехол", quantity=2, unit_price=Decimal("1250"))],
    )
    assert order.scheme == shop.default_scheme
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("A1", 2)]
    assert "Казань" in order.shipping_address


@pytest.mark.django_db
def test_order_create_refuses_duplicate_posting_with_a_clear_error(order):
    with pytest.raises(ValidationError) as error:
        order_create(
            shop=order.shop, buyer=order.buyer, order_number="x", posting_number=order.posting_number, address=ADDRESS,
            declared_value=Decimal("1"), currency="RUB", placed_at=timezone.now(), lines=[],
        )
    assert "posting" in str(error.value).lower()
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_order_create_refuses_bad_currency(shop, customer):
    with pytest.raises(ValidationError) as error:
        order_create(
            shop=shop, buyer=customer, order_number="1", posting_number="1-1", address=ADDRESS,
            declared_value=Decimal("1"), currency="rubles", placed_at=timezone.now(), lines=[],
        )
    assert "currency" in error.value.message_dict


@pytest.mark.django_db
def test_order_lifecycle_moves_forward_only(order):
    shipped_at = timezone.now() - dt.timedelta(days=3)
    order_mark_shipped(order=order, shipped_at=shipped_at)
    order_mark_delivered(order=order, delivered_at=timezone.now())
    order_mark_shipped(order=order, shipped_at=timezone.now())  # too late: stays delivered
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert order.shipped_at == shipped_at


@pytest.mark.django_db
def test_after_sales_window_closes_after_the_shops_days(order):
    order.delivered_at = timezone.now() - dt.timedelta(days=order.shop.after_sales_days + 1)
    assert not order.after_sales_open()
    order.delivered_at = timezone.now() - dt.timedelta(days=1)
    assert order.after_sales_open()
