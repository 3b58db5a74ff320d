"""Fixtures of the portal case tests: a parcel of the order, a signed-in buyer, an open damaged-goods case."""

from __future__ import annotations

import pytest

from tests.factories import ParcelFactory
from tickets.models import TicketKind
from tickets.services import ticket_create


@pytest.fixture
def parcel(order):
    return ParcelFactory(order=order)


@pytest.fixture
def buyer_client(client, customer):
    client.force_login(customer)
    return client


@pytest.fixture
def case(order, parcel, customer):
    return ticket_create(
        shop=order.shop, buyer=customer, kind=TicketKind.DAMAGED, subject="Broken mug", body="It arrived in pieces",
        order=order, parcel=parcel, acting_user=customer,
    )

