"""Planning one order: its shop, buyer, address, lines, and parcels with their event histories."""

from __future__ import annotations

import datetime as dt
import random

from logistics.statuses import TERMINAL_STATUSES
from logistics.statuses import ParcelStatus as S
from orders.services import OrderLineData, ShippingAddress
from tickets.demo import tracking
from tickets.demo.catalog import CARRIERS, COMBOS, PRODUCTS, SHENZHEN, SHOPS
from tickets.demo.names import CITIES, CN_LANES, CN_ORIGINS, OZON_WAREHOUSES, RU_WAREHOUSES, STREETS, City
from tickets.demo.plans import BuyerPlan, CasePlan, OrderPlan, ParcelPlan, sub_rng

HISTORY = dt.timedelta(days=58)  # orders spread over the last 60 days, with room to ship
FILLER_WEIGHTS = {
    S.DELIVERED: 40, S.IN_TRANSIT: 15, S.AVAILABLE_FOR_PICKUP: 6, S.INFO_RECEIVED: 5, S.CUSTOMS: 4, S.PENDING: 4,
    S.OUT_FOR_DELIVERY: 4, S.CANCELLED: 4, S.DELIVERY_FAILED: 2, S.ON_HOLD: 2, S.EXCEPTION: 2, S.RETURNING: 2,
    S.RETURNED: 2, S.LOST: 2, S.EXPIRED: 1,
}
TRANSIT_DAYS = {"cn": (16, 28), "ru": (3, 8), "ozon": (2, 6)}
_CURRENCY = {spec.slug: spec.currency for spec in SHOPS}
_STALL_DAYS = {spec.code: spec.stall_days for spec in CARRIERS}
_CITY = {city.name: city for city in CITIES}
_WAREHOUSE_POSTAL = {"Подольск": "142100", "Москва": "125040", "Химки": "141400"}


def filler_status(k: int, rng: random.Random) -> str:
    """The k-th order without a case: every status once first, so even --small shows them all."""
    if k < len(S.values):
        return S.values[k]
    return rng.choices(list(FILLER_WEIGHTS), weights=list(FILLER_WEIGHTS.values()))[0]


def _combo(rng: random.Random, status: str, *, fbs_only: bool, demo: bool) -> tuple[str, str, str, str]:
    if demo:
        return (SHENZHEN, "fbs", "demo", "cn")
    fits = [c for c in COMBOS if tracking.supports(c[2], status) and (status != S.CUSTOMS or c[3] == "cn")
            and not (fbs_only and c[2] == "ozon-logistics")]
    shop, scheme, carrier, route, _weight = rng.choices(fits, weights=[c[4] for c in fits])[0]
    return shop, scheme, carrier, route


def _address(rng: random.Random, recipient: str, phone: str) -> tuple[ShippingAddress, City, str]:
    city = rng.choice(CITIES)
    office = f"{city.postal_prefix}{rng.randint(0, 999):03d}"
    line = f"{rng.choice(STREETS)}, д. {rng.randint(1, 120)}, кв. {rng.randint(1, 240)}"
    address = ShippingAddress(recipient_name=recipient, city=city.name, address_line=line, region=city.region,
                              postal_code=office, recipient_phone=phone)
    return address, city, office


def _lines(rng: random.Random, shop: str) -> list[OrderLineData]:
    products = rng.sample(PRODUCTS[shop], k=rng.choice([1, 1, 1, 2, 2, 3]))
    return [OrderLineData(sku=p.sku, name=p.name, quantity=rng.choice([1, 1, 1, 2]), unit_price=p.price) for p in products]


def _end_time(rng: random.Random, now: dt.datetime, status: str, carrier: str, role: str, case: CasePlan | None) -> dt.datetime:
    """When the parcel's newest event happened: the story decides how fresh the tracking is."""
    if case is not None and case.settles_later:  # e.g. declared lost two days into the investigation
        return min(now - dt.timedelta(hours=rng.uniform(1, 6)), case.opened_at + dt.timedelta(hours=rng.uniform(24, 96)))
    if case is not None:
        silence = dt.timedelta(days=_STALL_DAYS[carrier] + rng.uniform(1, 5)) if case.stalled else dt.timedelta(0)
        return case.opened_at - silence - dt.timedelta(hours=rng.uniform(3, 40))
    if role == "demo":
        return now - dt.timedelta(minutes=rng.uniform(10, 60))
    if status in TERMINAL_STATUSES:
        return now - dt.timedelta(hours=rng.uniform(12, 40 * 24))
    if rng.random() < 0.12:  # stalled: silent for longer than the carrier's stall threshold
        return now - dt.timedelta(days=_STALL_DAYS[carrier] + rng.uniform(1, 6))
    return now - dt.timedelta(hours=rng.uniform(0.5, 36))


def _promised(rng: random.Random, placed: dt.datetime, route: str, status: str, late: bool, last: dt.date) -> dt.date:
    """The date promised at checkout; `last` is the newest event's date (or today)."""
    promised = placed.date() + dt.timedelta(days=rng.randint(*TRANSIT_DAYS[route]))
    earliest = placed.date() + dt.timedelta(days=1)
    if late:  # past its promised date: what the delay sweep (and the buyer) notices
        return max(earliest, min(promised, last - dt.timedelta(days=rng.randint(1, 6))))
    if status in TERMINAL_STATUSES:
        return max(promised, last)
    return max(promised, last + dt.timedelta(days=rng.randint(1, 5)))


def _places(rng: random.Random, route: str, city: City, office: str) -> tracking.Places:
    if route == "cn":
        origin = rng.choice(CN_ORIGINS)
        return tracking.Places(origin, f"{origin} Sorting Center", city, office, rng.choice(CN_LANES))
    if route == "ozon":
        return tracking.Places(rng.choice(OZON_WAREHOUSES), "", city, office)
    origin = rng.choice(RU_WAREHOUSES)
    return tracking.Places(origin, _CITY[origin].hub, city, office)


def _forward(rng: random.Random, *, number: str, status: str, carrier: str, route: str, places: tracking.Places,
             role: str, case: CasePlan | None, now: dt.datetime) -> tuple[ParcelPlan, dt.datetime]:
    """The parcel to the buyer, and when the order must have been placed for its history to fit."""
    stages = tracking.journey(status, carrier=carrier, route=route, rng=rng, flavor=case.flavor if case else "")
    end, earliest = _end_time(rng, now, status, carrier, role, case), now - HISTORY
    if role == "demo":  # nothing known yet: the emulator's script, starting at the first poll, tells the whole story
        stages, earliest = [], now - dt.timedelta(hours=4)
    times = tracking.spaced(tracking.natural_span(stages, rng), end=end, earliest=earliest) if stages else []
    first = times[0] if times else now - dt.timedelta(hours=rng.uniform(2, 60))
    placed = max(first - dt.timedelta(hours=rng.uniform(3, 30)), now - HISTORY - dt.timedelta(days=1))
    active = status not in TERMINAL_STATUSES and status != S.PENDING
    late = case.late if case else role != "demo" and active and rng.random() < 0.15
    last = times[-1].date() if times and status in TERMINAL_STATUSES else now.date()
    promised = _promised(rng, placed, route, status, late, last)
    created = min(first, placed + dt.timedelta(hours=rng.uniform(1, 8)))
    parcel_events = tracking.events(stages, times, carrier=carrier, route=route, places=places)
    return ParcelPlan(carrier, number, "forward", status, parcel_events, promised, created), placed


def _return(rng: random.Random, order: OrderPlan, city: City, office: str, now: dt.datetime) -> ParcelPlan | None:
    """A return parcel from the buyer to the seller's warehouse, when the story has one."""
    forward = order.parcels[0]
    if order.case is not None and order.case.return_status:
        status, start = order.case.return_status, order.case.opened_at + dt.timedelta(hours=rng.uniform(2, 30))
    elif order.case is None and forward.status == S.DELIVERED and rng.random() < 0.08:
        status = rng.choice([S.INFO_RECEIVED, S.IN_TRANSIT, S.IN_TRANSIT, S.DELIVERED])
        start = forward.events[-1].occurred_at + dt.timedelta(days=rng.uniform(1, 5))
    else:
        return None
    carrier = rng.choice(["cdek", "russian-post"])
    number = tracking.tracking_number(carrier, index=order.index, slot=1, rng=rng, origin_postal=office)
    warehouse = _CITY[rng.choice(RU_WAREHOUSES)]
    places = tracking.Places(city.name, city.hub, warehouse, _WAREHOUSE_POSTAL[warehouse.name])
    stages = tracking.journey(status, carrier=carrier, route="ru", rng=rng)
    gaps = tracking.natural_span(stages, rng)
    # Domestic returns are quick, and a case says the refund is paid only once the return has arrived.
    latest = min(now - dt.timedelta(hours=rng.uniform(0.3, 3)), start + dt.timedelta(days=rng.uniform(2, 3)))
    end = min(start + dt.timedelta(hours=sum(gaps)), latest)
    times = tracking.spaced(gaps, end=end, earliest=min(start, end - dt.timedelta(hours=1)))
    return ParcelPlan(carrier, number, "return", status, tracking.events(stages, times, carrier=carrier, route="ru", places=places),
                      None, times[0] - dt.timedelta(minutes=rng.uniform(5, 90)))


def _status(rng: random.Random, role: str, case: CasePlan | None, slot: int) -> str:
    if case is not None:
        return case.parcel_status
    if role == "demo":  # the emulator moves these on from their first poll
        return S.PENDING
    return filler_status(slot, rng)


def plan_order(*, seed: int, index: int, role: str, case: CasePlan | None, slot: int, buyers: list[BuyerPlan],
               now: dt.datetime) -> OrderPlan:
    """Order `index`, the `slot`-th of its role. Its posting and tracking numbers embed the index, so they never collide."""
    rng = sub_rng(seed, "order", index)
    order_number = f"{57_000_000 + index * 1373 + rng.randint(0, 1372)}-{rng.randint(1, 9999):04d}"
    posting = f"{order_number}-{rng.choice([1, 1, 1, 2, 3])}"
    status = _status(rng, role, case, slot)
    shop, scheme, carrier, route = _combo(rng, status, fbs_only=bool(case and case.fbs_only), demo=role == "demo")
    buyer = rng.choice([b for b in buyers if case is None or b.language == case.language])
    address, city, office = _address(rng, buyer.person.recipient, buyer.phone)
    places = _places(rng, route, city, office)
    postal = _WAREHOUSE_POSTAL.get(places.origin, "") if route == "ru" else ""
    number = posting if carrier == "ozon-logistics" else tracking.tracking_number(
        carrier, index=index, slot=slot if role == "demo" else 0, rng=rng, origin_postal=postal)
    parcel, placed = _forward(rng, number=number, status=status, carrier=carrier, route=route, places=places,
                              role=role, case=case, now=now)
    order = OrderPlan(index, shop, scheme, buyer.index, order_number, posting, _CURRENCY[shop], placed, parcel.promised
                      or placed.date(), address, _lines(rng, shop), [parcel], case)
    returned = _return(rng, order, city, office, now)
    if returned is not None:
        order.parcels.append(returned)
    return order
