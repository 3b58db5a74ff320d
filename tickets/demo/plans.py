"""The demo world as plain data, planned before anything is written.

Every entity draws from its own generator seeded by (seed, kind, index), so order 7 is the same
order, with the same posting and tracking numbers, whatever else a run creates or skips. That is
what makes the command idempotent: the keys of a second run match the rows of the first.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from logistics.carriers.base import TrackingEvent
from orders.services import OrderLineData, ShippingAddress
from tickets.demo.names import Person, cn_person, ru_person


def sub_rng(seed: int, *parts: object) -> random.Random:
    """A generator for one entity; string seeds are hashed the same way on every run and machine."""
    return random.Random(":".join(map(str, (seed, *parts))))  # demo data, not secrets


@dataclass(frozen=True)
class Size:
    buyers: int
    orders: int
    cases: int
    demo_parcels: int


FULL = Size(buyers=50, orders=500, cases=60, demo_parcels=15)
SMALL = Size(buyers=10, orders=40, cases=16, demo_parcels=4)


@dataclass(frozen=True)
class BuyerPlan:
    index: int
    person: Person
    username: str
    language: str
    phone: str

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


@dataclass
class CasePlan:
    """One case and what its order must look like for the story to hold."""

    index: int
    order_index: int
    kind: str
    status: str
    language: str
    channel: str
    priority: str
    opened_at: dt.datetime
    parcel_status: str
    flavor: str = ""  # exception flavour: damage, address, refused
    late: bool = False
    stalled: bool = False
    fbs_only: bool = False  # a seller-entered tracking number: not an Ozon-logistics posting
    return_status: str | None = None
    claim: bool = False
    settles_later: bool = False  # the parcel's last event (lost, delivered) comes while the case is being worked


@dataclass
class ParcelPlan:
    carrier: str
    number: str
    direction: str
    status: str
    events: list[TrackingEvent]
    promised: dt.date | None
    created_at: dt.datetime


@dataclass
class OrderPlan:
    index: int
    shop: str
    scheme: str
    buyer: int
    order_number: str
    posting: str
    currency: str
    placed_at: dt.datetime
    promised: dt.date
    address: ShippingAddress
    lines: list[OrderLineData]
    parcels: list[ParcelPlan] = field(default_factory=list)
    case: CasePlan | None = None


def buyer_language(index: int) -> str:
    return "zh-hans" if index % 3 == 1 else "ru"


def plan_buyers(seed: int, count: int) -> list[BuyerPlan]:
    """`count` buyers, a third of them Chinese; the first ten are the same in --small and full runs."""
    plans: list[BuyerPlan] = []
    taken: set[str] = set()
    for index in range(count):
        rng = sub_rng(seed, "buyer", index)
        language = buyer_language(index)
        person = cn_person(index // 3) if language == "zh-hans" else ru_person(index)
        username, suffix = person.username, 1
        while username in taken:  # namesakes get a number, as on any real site
            suffix += 1
            username = f"{person.username}{suffix}"
        taken.add(username)
        if language == "ru" or rng.random() < 0.6:  # most Chinese buyers live in Russia
            phone = f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
        else:
            phone = f"+86 1{rng.randint(30, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
        plans.append(BuyerPlan(index, person, username, language, phone))
    return plans


def assign_roles(size: Size, cases: list[CasePlan]) -> dict[int, str]:
    """Which orders carry a case ("case") or a demo-carrier parcel ("demo"); the rest fill in."""
    roles = {case.order_index: "case" for case in cases}
    stride = size.orders // max(size.demo_parcels, 1)
    for n in range(size.demo_parcels):
        index = n * stride + stride // 2
        while index in roles:
            index = (index + 1) % size.orders
        roles[index] = "demo"
    return roles
