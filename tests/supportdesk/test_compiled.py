"""CompiledGet: the same instances as the ORM's get(), from SQL compiled once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef, Q

from orders.models import Order
from supportdesk.compiled import CompiledGet
from tests.factories import OrderFactory, ParcelFactory, TicketFactory
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

TICKET_IN_SHOP = CompiledGet(
    Ticket, lambda pk, shop_id: Ticket.objects.filter(pk=pk, shop_id=shop_id).annotate(
        has_messages=Exists(Message.objects.filter(ticket_id=OuterRef("pk"))),
    ),
    probes=(-7_000_001, -7_000_002), related=("shop", "buyer", "parcel"), annotations=("has_messages",),
)


def _fields(instance):
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_it_builds_what_the_orm_builds(django_assert_num_queries):
    ticket = TicketFactory(parcel=None)
    expected = Ticket.objects.select_related("shop", "buyer").get(pk=ticket.pk)
    with django_assert_num_queries(1):
        found = TICKET_IN_SHOP.get(ticket.pk, ticket.shop_id)
        assert _fields(found) == _fields(expected)  # every column, datetimes converted as the ORM converts them
        assert _fields(found.shop) == _fields(expected.shop) and _fields(found.buyer) == _fields(expected.buyer)
        assert found.parcel is None and found.has_messages is False
    assert found._state.adding is False and found._state.db == "default"


def test_it_runs_again_with_other_values():
    first, second = TicketFactory(), TicketFactory()
    second.parcel = ParcelFactory(order=second.order)
    second.save(update_fields=["parcel"])
    Message.objects.create(ticket=second, body="Hello")
    assert TICKET_IN_SHOP.get(first.pk, first.shop_id).pk == first.pk
    found = TICKET_IN_SHOP.get(second.pk, second.shop_id)
    assert found.pk == second.pk and found.parcel.pk == second.parcel.pk and found.has_messages is True


def test_no_match_is_none_and_values_are_converted_like_the_orm():
    ticket = TicketFactory()
    assert TICKET_IN_SHOP.get(ticket.pk, ticket.shop_id + 1) is None
    assert TICKET_IN_SHOP.get(str(ticket.pk), str(ticket.shop_id)).pk == ticket.pk
    with pytest.raises(ValueError, match="invalid literal"):
        TICKET_IN_SHOP.get("12abc", ticket.shop_id)


def test_more_than_one_row_is_refused():
    order = OrderFactory()
    OrderFactory(shop=order.shop)
    by_shop = CompiledGet(Order, lambda shop_id: Order.objects.filter(shop_id=shop_id), probes=(-1,))
    with pytest.raises(Order.MultipleObjectsReturned):
        by_shop.get(order.shop_id)


def test_a_probe_that_is_not_exactly_one_parameter_is_refused_at_first_use():
    twice = CompiledGet(Order, lambda pk: Order.objects.filter(Q(pk=pk) | Q(shop_id=pk)), probes=(-5,))
    with pytest.raises(ImproperlyConfigured, match="is 2 parameters"):
        twice.get(1)
