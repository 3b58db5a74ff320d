"""A known data set for the reports, frozen in March 2026, and the supervisor who reads them.

Carrier scorecard for 2026-03-01..2026-03-20 (shop "Shenzhen Gadgets"), every parcel shipped 2026-03-02 10:00 UTC:

  Alpha  p1 Moscow     delivered 03-04 10:00 (2.0 d), promised 03-05: on time; a damaged case on the parcel
         p2 Moscow     delivered 03-06 10:00 (4.0 d), promised 03-05: late
         p3 Tatarstan  delivered 03-05 22:00 (3.5 d), promised 03-05: on time (same day)
         p4 Tatarstan  delivered 03-12 10:00 (10.0 d), promised 03-10: late; the buyer sent a return parcel
         p5 Moscow     lost
         p6 Moscow     in transit, flagged suspected lost
         p7 Tatarstan  exception; a damaged case on its order naming no parcel
  Beta   p8 Moscow     delivered 03-03 10:00 (1.0 d; known only from the order), promised 03-04: on time
         p9 (no region) delivered 03-07 10:00 (5.0 d), no promised date: not judged
         p10 Moscow    returned to the sender

Not counted: a parcel shipped in February, another shop's parcel, the return parcel itself, an unshipped order.

Cases opened in the period (shop "Shenzhen Gadgets"):
  c1 delay  portal 03-02 09:00  reply +2 h   resolved +24 h  rating 5
  c2 delay  portal 03-03 09:00  reply +4 h   resolved +48 h  rating 3  breached (resolution)
  c3 delay  email  03-10 09:00  reply +10 h  open                      breached (first response and resolution)
  c4 lost   email  03-10 12:00  no reply                               breached (first response)
  c5 lost   portal 03-16 08:00  reply +1 h   resolved +12 h  rating 4
Not counted: another shop's case, a case from February (the two damaged cases are from February too).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group

from logistics.models import AnomalyKind, Parcel
from logistics.statuses import ParcelStatus
from orders.models import ShopMembership
from tests.factories import (
    BuyerFactory,
    CarrierFactory,
    OrderFactory,
    ParcelAnomalyFactory,
    ParcelFactory,
    ShopMembershipFactory,
    TicketEventFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import TicketChannel, TicketKind

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
SHIPPED = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PERIOD = {"start": "2026-03-01", "end": "2026-03-20"}


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def supervisor(shop):
    user = UserFactory(username="supervisor", is_staff=True)
    ShopMembershipFactory(shop=shop, user=user, role=ShopMembership.Role.AGENT)
    user.groups.add(Group.objects.get(name="supervisors"))
    return user


def shipped_parcel(shop, carrier, *, region="Moscow", status=ParcelStatus.IN_TRANSIT, delivered=None, promised=None,
                   shipped=SHIPPED, on_order_only=False) -> Parcel:  # fmt: skip
    order = OrderFactory(shop=shop, shipped_at=shipped, region=region, promised_delivery_date=promised,
                         delivered_at=delivered)  # fmt: skip
    return ParcelFactory(order=order, carrier=carrier, status=status, promised_date=promised,
                         status_changed_at=None if on_order_only else (delivered or shipped))  # fmt: skip


@pytest.fixture
def parcels(shop, other_shop):
    alpha = CarrierFactory(code="alpha", name="Alpha Post")
    beta = CarrierFactory(code="beta", name="Beta Express")
    delivered = ParcelStatus.DELIVERED
    p1 = shipped_parcel(shop, alpha, status=delivered, delivered=at(4), promised=dt.date(2026, 3, 5))
    shipped_parcel(shop, alpha, status=delivered, delivered=at(6), promised=dt.date(2026, 3, 5))
    shipped_parcel(shop, alpha, region="Tatarstan", status=delivered, delivered=at(5, 22), promised=dt.date(2026, 3, 5))
    p4 = shipped_parcel(shop, alpha, region="Tatarstan", status=delivered, delivered=at(12), promised=dt.date(2026, 3, 10))
    shipped_parcel(shop, alpha, status=ParcelStatus.LOST)
    p6 = shipped_parcel(shop, alpha)
    p7 = shipped_parcel(shop, alpha, region="Tatarstan", status=ParcelStatus.EXCEPTION)
    shipped_parcel(shop, beta, status=delivered, delivered=at(3), promised=dt.date(2026, 3, 4), on_order_only=True)
    shipped_parcel(shop, beta, region="", status=delivered, delivered=at(7))
    shipped_parcel(shop, beta, status=ParcelStatus.RETURNED)
    ParcelFactory(order=p4.order, carrier=beta, direction=Parcel.Direction.RETURN, status=delivered, status_changed_at=at(15))
    ParcelAnomalyFactory(parcel=p6, kind=AnomalyKind.SUSPECTED_LOST)
    ParcelAnomalyFactory(parcel=p6, kind=AnomalyKind.STALLED)  # a stall alone is no loss, and p6 counts once
    TicketFactory(order=p1.order, parcel=p1, kind=TicketKind.DAMAGED, created_at=at(1, month=2))
    TicketFactory(order=p7.order, parcel=None, kind=TicketKind.DAMAGED, created_at=at(1, month=2))
    # outside the report
    shipped_parcel(shop, alpha, status=delivered, delivered=at(25, month=2), shipped=at(20, month=2))
    shipped_parcel(other_shop, alpha, status=ParcelStatus.LOST)
    ParcelFactory(order=OrderFactory(shop=shop), carrier=alpha)  # never shipped
    return {"alpha": alpha, "beta": beta}


def case(shop, *, kind, channel, created, reply_h=None, resolved_h=None, rating=None, breaches=(), parcel=None):
    ticket = TicketFactory(
        order=parcel.order if parcel else OrderFactory(shop=shop, buyer=BuyerFactory()), parcel=parcel, kind=kind, channel=channel,
        created_at=created,
        first_responded_at=None if reply_h is None else created + dt.timedelta(hours=reply_h),
        resolved_at=None if resolved_h is None else created + dt.timedelta(hours=resolved_h), rating=rating,
    )
    for target in breaches:
        TicketEventFactory(ticket=ticket, new_value=target)
    return ticket


@pytest.fixture
def cases(shop, other_shop):
    delay, lost = TicketKind.DELIVERY_DELAY, TicketKind.LOST_PARCEL
    portal, email = TicketChannel.PORTAL, TicketChannel.EMAIL
    case(shop, kind=delay, channel=portal, created=at(2, 9), reply_h=2, resolved_h=24, rating=5)
    case(shop, kind=delay, channel=portal, created=at(3, 9), reply_h=4, resolved_h=48, rating=3, breaches=["resolution"])
    case(shop, kind=delay, channel=email, created=at(10, 9), reply_h=10, breaches=["first_response", "resolution"])
    case(shop, kind=lost, channel=email, created=at(10, 12), breaches=["first_response"])
    case(shop, kind=lost, channel=portal, created=at(16, 8), reply_h=1, resolved_h=12, rating=4)
    # outside the report
    case(other_shop, kind=delay, channel=portal, created=at(5), reply_h=100, rating=1, breaches=["resolution"])
    case(shop, kind=delay, channel=portal, created=at(20, month=2), reply_h=100, rating=1)
