from __future__ import annotations

import pytest
from django.db import IntegrityError

from tests.factories import OrderFactory, OrderLineFactory


@pytest.mark.django_db
def test_duplicate_posting_number_in_one_shop_is_refused(shop):
    OrderFactory(shop=shop, posting_number="57195475-0050-3")
    with pytest.raises(IntegrityError):
        OrderFactory(shop=shop, posting_number="57195475-0050-3")


@pytest.mark.django_db
def test_same_posting_number_in_two_shops_is_allowed(shop, other_shop):
    OrderFactory(shop=shop, posting_number="57195475-0050-3")
    assert OrderFactory(shop=other_shop, posting_number="57195475-0050-3").pk


@pytest.mark.django_db
def test_order_status_outside_vocabulary_is_refused(order):
    order.status = "teleported"
    with pytest.raises(IntegrityError):
        order.save()


@pytest.mark.django_db
def test_order_line_quantity_must_be_positive(order):
    with pytest.raises(IntegrityError):
        OrderLineFactory(order=order, quantity=0)
