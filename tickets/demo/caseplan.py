"""Planning the cases: which kind, how far along, and what the order's parcel must look like."""

from __future__ import annotations

import datetime as dt
import random

from logistics.statuses import ParcelStatus as S
from tickets.demo.plans import CasePlan, Size, sub_rng
from tickets.models import TicketChannel as C
from tickets.models import TicketKind as K
from tickets.models import TicketPriority as P
from tickets.models import TicketStatus as T

# The first 16 cases (all of --small) show every kind and every status, in pairs that make sense.
CURATED: list[tuple[str, str]] = [
    (K.LOST_PARCEL, T.WAITING_ON_CARRIER), (K.DELIVERY_DELAY, T.OPEN), (K.DAMAGED, T.RESOLVED),
    (K.RETURN_EXCHANGE, T.WAITING_ON_BUYER), (K.ADDRESS_CHANGE, T.CLOSED), (K.TRACKING_NUMBER, T.RESOLVED),
    (K.PRODUCT_QUESTION, T.NEW), (K.OTHER, T.CLOSED), (K.LOST_PARCEL, T.CLOSED), (K.DELIVERY_DELAY, T.NEW),
    (K.DAMAGED, T.WAITING_ON_BUYER), (K.RETURN_EXCHANGE, T.CLOSED), (K.ADDRESS_CHANGE, T.OPEN),
    (K.TRACKING_NUMBER, T.WAITING_ON_BUYER), (K.PRODUCT_QUESTION, T.RESOLVED), (K.DELIVERY_DELAY, T.WAITING_ON_CARRIER),
]
KIND_WEIGHTS = {K.LOST_PARCEL: 8, K.DELIVERY_DELAY: 10, K.DAMAGED: 6, K.RETURN_EXCHANGE: 6, K.ADDRESS_CHANGE: 5,
                K.TRACKING_NUMBER: 5, K.PRODUCT_QUESTION: 6, K.OTHER: 4}
STATUS_WEIGHTS = {T.NEW: 3, T.OPEN: 4, T.WAITING_ON_BUYER: 2, T.WAITING_ON_CARRIER: 2, T.RESOLVED: 3, T.CLOSED: 5}
FINISHED = (T.RESOLVED, T.CLOSED)
# How long ago a case at this stage was opened, in hours (min, max).
OPENED_HOURS_AGO: dict[str, tuple[float, float]] = {T.NEW: (1, 20), T.OPEN: (8, 72), T.WAITING_ON_BUYER: (24, 120), T.WAITING_ON_CARRIER: (24, 144),
                    T.RESOLVED: (72, 14 * 24), T.CLOSED: (6 * 24, 35 * 24)}
CHANNELS = [C.PORTAL] * 4 + [C.EMAIL] * 2 + [C.CHAT] * 2 + [C.MARKETPLACE] * 2 + [C.PHONE, C.API]


def _parcel_story(plan: CasePlan, rng: random.Random) -> None:
    """Set the parcel status (and flags) the case's story needs."""
    finished = plan.status in FINISHED
    kind = plan.kind
    if kind == K.LOST_PARCEL:
        plan.parcel_status = S.LOST if finished else S.IN_TRANSIT
        plan.stalled = plan.late = not finished
    elif kind == K.DELIVERY_DELAY:
        plan.parcel_status = S.DELIVERED if finished else rng.choice([S.IN_TRANSIT, S.IN_TRANSIT, S.CUSTOMS, S.ON_HOLD])
        plan.late = True
    elif kind == K.DAMAGED:
        plan.parcel_status = rng.choice([S.DELIVERED, S.DELIVERED, S.EXCEPTION])
        plan.flavor = "damage"
    elif kind == K.RETURN_EXCHANGE:
        plan.parcel_status = S.DELIVERED
        # No return parcel until the buyer has been told how to send it back.
        on_the_way: dict[str, str] = {T.OPEN: S.INFO_RECEIVED, T.WAITING_ON_CARRIER: S.IN_TRANSIT}
        plan.return_status = on_the_way.get(plan.status, S.DELIVERED if finished else None)
    elif kind == K.ADDRESS_CHANGE:
        plan.parcel_status = S.DELIVERED if finished else rng.choice([S.INFO_RECEIVED, S.IN_TRANSIT, S.EXCEPTION])
        plan.flavor = "address"
    elif kind == K.TRACKING_NUMBER:
        plan.parcel_status = S.DELIVERED if plan.status == T.CLOSED else S.IN_TRANSIT
        plan.fbs_only = True
    else:
        plan.parcel_status = rng.choice([S.DELIVERED, S.DELIVERED, S.IN_TRANSIT, S.INFO_RECEIVED])


def _priority(kind: str, rng: random.Random) -> str:
    if kind == K.LOST_PARCEL:
        return rng.choice([P.HIGH, P.URGENT])
    if kind in (K.DAMAGED, K.DELIVERY_DELAY):
        return rng.choice([P.NORMAL, P.HIGH])
    return rng.choice([P.LOW, P.NORMAL, P.NORMAL])


def _channel(kind: str, status: str, rng: random.Random) -> str:
    # supportdesk itself opens lost and delay cases when its sweep notices them (DESIGN §1).
    if kind in (K.LOST_PARCEL, K.DELIVERY_DELAY) and rng.random() < 0.4:
        return C.SYSTEM
    return rng.choice(CHANNELS)


def plan_case(seed: int, index: int, size: Size, now: dt.datetime) -> CasePlan:
    rng = sub_rng(seed, "case", index)
    if index < len(CURATED):
        kind, status = CURATED[index]
    else:
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    opened = now - dt.timedelta(hours=rng.uniform(*OPENED_HOURS_AGO[status]))
    if status == T.NEW and rng.random() < 0.3:  # a few new cases nobody answered in time: the SLA clock shows red
        opened = now - dt.timedelta(hours=rng.uniform(26, 40))
    plan = CasePlan(
        index=index, order_index=index * (size.orders // size.cases), kind=kind, status=status,
        language="zh-hans" if index % 3 == 1 else "ru", channel=_channel(kind, status, rng),
        priority=_priority(kind, rng), opened_at=opened, parcel_status=S.PENDING,
    )
    _parcel_story(plan, rng)
    plan.settles_later = status in FINISHED and kind in (K.LOST_PARCEL, K.DELIVERY_DELAY, K.ADDRESS_CHANGE, K.TRACKING_NUMBER)
    plan.claim = kind == K.LOST_PARCEL and status != T.NEW or kind == K.DAMAGED and status in (*FINISHED, T.WAITING_ON_CARRIER)
    return plan


def plan_cases(seed: int, size: Size, now: dt.datetime) -> list[CasePlan]:
    return [plan_case(seed, index, size, now) for index in range(size.cases)]
