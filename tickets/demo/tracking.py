"""Valid tracking numbers and believable carrier event histories for the demo parcels."""

from __future__ import annotations

import datetime as dt
import random
from typing import NamedTuple

from logistics.carriers.base import TrackingEvent
from logistics.statuses import ParcelStatus as S
from logistics.tracking_numbers import make_russian_post_14, make_s10
from tickets.demo.names import City
from tickets.demo.stages import BASE_STAGES, FAMILIES, GAP_HOURS, final_stages

CARRIER_FAMILY = {"cainiao": "17track", "yanwen": "17track", "china-post": "17track", "demo": "demo",
                  "cdek": "cdek", "russian-post": "russian_post", "ozon-logistics": "manual"}

DEMO_PREFIXES = ["DEMOONTIME", "DEMODELAY", "DEMOSTALL", "DEMODAMAGE", "DEMORETURN", "DEMOADDR", "DEMOCUSTOMS", "DEMOLOST"]


class Places(NamedTuple):
    """Where a journey goes: the origin, the lane into Russia (cross-border only) and the destination."""

    origin: str
    origin_hub: str
    dest: City
    office: str  # postal code of the delivery office
    lane: tuple[str, str, str, str] = ("", "", "", "")  # export point, arrival, customs post, first hub


def tracking_number(carrier: str, *, index: int, slot: int, rng: random.Random, origin_postal: str = "") -> str:
    """A number valid for `carrier`; Russian Post is domestic (14 digits) when `origin_postal` is given, else S10.

    The order index and slot (0 forward, 1 return; for the demo carrier, which scenario) are built in,
    so numbers never collide.
    """
    tail = f"{slot}{index:04d}"
    if carrier == "cainiao":
        return f"LP00{rng.randint(0, 9_999_999):07d}{tail}"
    if carrier == "cdek":
        return f"1{rng.randint(0, 9999):04d}{tail}"
    if carrier == "russian-post" and origin_postal:
        return make_russian_post_14(f"{origin_postal}{rng.randint(10, 99)}{tail}")
    if carrier == "demo":  # the prefix picks the emulator's scenario (logistics/emulator/scenarios.py PREFIXES)
        return f"{DEMO_PREFIXES[slot % len(DEMO_PREFIXES)]}{index:04d}{rng.randint(0, 9999):04d}"
    prefix = {"yanwen": "UG", "china-post": rng.choice(["RR", "RB", "LP"]), "russian-post": rng.choice(["RA", "RB", "RR"])}[carrier]
    return make_s10(prefix, f"{rng.randint(100, 999)}{tail}", "CN")


def supports(carrier: str, status: str) -> bool:
    family = FAMILIES[CARRIER_FAMILY[carrier]]
    return all(stage in family for stage in final_stages(status))


def _in_transit_prefix(base: list[str], family: dict[str, tuple[str, str, str]], rng: random.Random) -> list[str]:
    cuts = [n for n in range(2, len(base) + 1) if family[base[n - 1]][0] == S.IN_TRANSIT]
    return base[: rng.choice(cuts)]


def journey(status: str, *, carrier: str, route: str, rng: random.Random, flavor: str = "") -> list[str]:
    """The stages of a journey that ends in `status` on this carrier and route."""
    family = FAMILIES[CARRIER_FAMILY[carrier]]
    base = BASE_STAGES[route]
    last_mile = [s for s in ("courier", "failed") if s in family] or ["arrived_city"]
    handover = "courier" if "courier" in family and rng.random() < 0.5 else "pickup_point"
    handover = handover if handover in family else "arrived_city"
    exception = f"exception:{flavor or 'damage'}"
    paths: dict[str, list[str]] = {
        S.PENDING: ["pending"] if "pending" in family else [],
        S.INFO_RECEIVED: ["label"],
        S.IN_TRANSIT: _in_transit_prefix(base, family, rng),
        S.CUSTOMS: base[: base.index("customs_in") + 1] if "customs_in" in base else [],
        S.OUT_FOR_DELIVERY: [*base, "courier"],
        S.AVAILABLE_FOR_PICKUP: [*base, "pickup_point"],
        S.DELIVERY_FAILED: [*base, *last_mile],
        S.ON_HOLD: [*_in_transit_prefix(base, family, rng), "hold"],
        S.EXCEPTION: [*base, exception if exception in family else "exception:damage"],
        S.RETURNING: [*base, *last_mile, "returning"],
        S.RETURNED: [*base, *last_mile, "returning", "returned"],
        S.DELIVERED: [*base, handover, "delivered"] if handover != "arrived_city" else [*base, "delivered"],
        S.LOST: [*_in_transit_prefix(base, family, rng), "lost"],
        S.CANCELLED: ["label", "cancelled"],
        S.EXPIRED: [*_in_transit_prefix(base, family, rng), "expired"],
    }
    return paths[status]


def natural_span(stages: list[str], rng: random.Random) -> list[float]:
    """Hours between consecutive events, as the carrier would take them."""
    return [rng.uniform(*GAP_HOURS[stage.split(":")[0]]) for stage in stages[1:]]


def spaced(gaps: list[float], *, end: dt.datetime, earliest: dt.datetime) -> list[dt.datetime]:
    """Event times ending at `end`; squeezed proportionally when they would start before `earliest`."""
    total = sum(gaps)
    room = (end - earliest).total_seconds() / 3600
    scale = min(1.0, room / total) if total else 1.0
    times = [end]
    for gap in reversed(gaps):
        times.append(times[-1] - dt.timedelta(hours=gap * scale))
    return times[::-1]


def _location(stage: str, route: str, places: Places, previous: str) -> str:
    dest, lane = places.dest, places.lane
    if route == "cn":
        by_stage = {"label": places.origin, "accepted": places.origin, "sorted_origin": f"{places.origin} Sorting Center",
                    "export": lane[0], "arrived_country": lane[1], "customs_in": lane[2], "customs_out": lane[2],
                    "hub": lane[3], "linehaul": lane[3]}
    elif route == "ozon":
        by_stage = {"pending": f"Склад Ozon {places.origin}", "label": f"Склад Ozon {places.origin}",
                    "accepted": f"СЦ Ozon {places.origin}", "sorted_origin": f"СЦ Ozon {places.origin}",
                    "linehaul": f"СЦ Ozon {places.origin}", "arrived_city": f"СЦ Ozon {dest.name}",
                    "delivered": f"ПВЗ Ozon, {dest.name}", "cancelled": f"Склад Ozon {places.origin}"}
    else:
        hub = "Москва МСЦ" if dest.hub != "Москва МСЦ" else "Подольск МСЦ"
        by_stage = {"label": places.origin, "accepted": places.origin, "sorted_origin": places.origin_hub,
                    "linehaul": places.origin_hub, "hub": hub}
    last_mile = {"arrived_city": dest.hub, "courier": f"{dest.name} {places.office}",
                 "pickup_point": f"{dest.name} {places.office}", "delivered": f"{dest.name} {places.office}",
                 "failed": f"{dest.name} {places.office}", "exception": dest.hub, "returning": dest.hub,
                 "returned": places.origin, "cancelled": places.origin}
    return by_stage.get(stage) or last_mile.get(stage.split(":")[0]) or previous


def events(stages: list[str], times: list[dt.datetime], *, carrier: str, route: str, places: Places) -> list[TrackingEvent]:
    """The carrier's events for these stages, with its raw codes, texts and locations."""
    family = FAMILIES[CARRIER_FAMILY[carrier]]
    result: list[TrackingEvent] = []
    location = places.origin
    for stage, at in zip(stages, times, strict=True):
        status, raw_code, description = family[stage]
        location = _location(stage, route, places, location)
        result.append(TrackingEvent(occurred_at=at, status=S(status), raw_code=raw_code, raw_description=description,
                                    location=location))
    return result
