"""Scripted parcel journeys of the carrier emulator, compiled once at import.

A scenario is a list of steps, each an offset in hours from registration, a 17TRACK v2.2 sub-status,
the carrier's raw description (Chinese on the Chinese leg, Russian on the Russian leg) and a place
role that a route turns into a real city. Pure data and pure functions: no Django, no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

HOUR: Final = 3600.0

# 17TRACK's milestone vocabulary ("key_stage"); an event's `stage` is one of these or null.
KEY_STAGES: Final = (
    "InfoReceived",
    "PickedUp",
    "Departure",
    "Arrival",
    "AvailableForPickup",
    "OutForDelivery",
    "Delivered",
    "Returning",
    "Returned",
)
_STAGE_OF_SUB_STATUS: Final = {
    "InfoReceived": "InfoReceived",
    "InTransit_PickedUp": "PickedUp",
    "InTransit_Departure": "Departure",
    "InTransit_Arrival": "Arrival",
    "AvailableForPickup_Other": "AvailableForPickup",
    "OutForDelivery_Other": "OutForDelivery",
    "Delivered_Other": "Delivered",
    "Exception_Returning": "Returning",
    "Exception_Returned": "Returned",
}


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    country: str
    utc_offset_hours: int

    @property
    def location(self) -> str:
        return f"{self.city}, {self.country}"


ORIGINS: Final = (
    Place("SHENZHEN", "GUANGDONG", "CN", 8),
    Place("GUANGZHOU", "GUANGDONG", "CN", 8),
    Place("YIWU", "ZHEJIANG", "CN", 8),
)
DESTINATIONS: Final = (
    Place("MOSCOW", "MOSCOW", "RU", 3),
    Place("SAINT PETERSBURG", "SAINT PETERSBURG", "RU", 3),
    Place("KAZAN", "TATARSTAN", "RU", 3),
    Place("YEKATERINBURG", "SVERDLOVSK", "RU", 5),
    Place("NOVOSIBIRSK", "NOVOSIBIRSK", "RU", 7),
)
_HUBS: Final = {
    "hub_cn": Place("GUANGZHOU", "GUANGDONG", "CN", 8),  # international mail exchange
    "hub_ru": Place("MOSCOW", "MOSCOW", "RU", 3),  # import exchange and customs
    "sort_ru": Place("PODOLSK", "MOSCOW OBLAST", "RU", 3),  # national sorting centre
}


@dataclass(frozen=True)
class Step:
    hours: float
    sub_status: str
    description: str
    place: str  # "origin", "dest" or a key of _HUBS


@dataclass(frozen=True)
class CompiledStep:
    """A step with its place resolved: everything but the clock time is ready to serialise."""

    offset: float  # seconds after registration
    status: str
    sub_status: str
    stage: str | None
    description: str
    place: Place


def _s(hours: float, sub_status: str, description: str, place: str) -> Step:
    return Step(hours, sub_status, description, place)


_HEAD: Final = (
    _s(-2, "InfoReceived", "已收到寄件人电子信息", "origin"),
    _s(5, "InTransit_PickedUp", "已揽收", "origin"),
    _s(18, "InTransit_Other", "到达处理中心", "hub_cn"),
    _s(30, "InTransit_Other", "离开处理中心，发往国际互换局", "hub_cn"),
    _s(44, "InTransit_Departure", "已交航空公司运输，离开始发国", "hub_cn"),
)
_ARRIVAL: Final = (
    _s(66, "InTransit_Arrival", "Прибыло в место международного обмена", "hub_ru"),
    _s(74, "InTransit_CustomsProcessing", "Таможенное оформление", "hub_ru"),
)
_RELEASED_AT_92: Final = (
    _s(92, "InTransit_CustomsReleased", "Таможенное оформление завершено", "hub_ru"),
    _s(110, "InTransit_Other", "Покинуло сортировочный центр", "sort_ru"),
)
_FORWARD: Final = _HEAD + _ARRIVAL + _RELEASED_AT_92


def _last_mile(start: float) -> tuple[Step, ...]:
    return (
        _s(start, "InTransit_Other", "Прибыло в сортировочный центр", "dest"),
        _s(start + 44, "OutForDelivery_Other", "Передано курьеру для доставки", "dest"),
        _s(start + 50, "Delivered_Other", "Вручение адресату", "dest"),
    )


SCENARIOS: Final[dict[str, tuple[Step, ...]]] = {
    # Delivered in ~8.5 days, well before the carrier's estimate (10-14 days).
    "on_time": _FORWARD + _last_mile(156),
    # Slow customs and line-haul: delivered after ~21 days, past the estimate.
    "delayed": _HEAD
    + _ARRIVAL
    + (
        _s(200, "InTransit_CustomsReleased", "Таможенное оформление завершено", "hub_ru"),
        _s(240, "InTransit_Other", "Покинуло сортировочный центр", "sort_ru"),
        _s(330, "InTransit_Other", "Задержка в пути: высокая загрузка сортировочного центра", "sort_ru"),
    )
    + _last_mile(456),
    # Leaves China, then silence forever: our sweep must call it stalled, then suspected lost.
    "stalled": _HEAD,
    "damaged": _FORWARD
    + (
        _s(150, "InTransit_Other", "Прибыло в сортировочный центр", "dest"),
        _s(160, "Exception_Damage", "Повреждение упаковки и вложения, составлен акт ф. 51", "dest"),
    ),
    # Not collected at the pick-up point, sent back after 15 days of storage.
    "returned": _FORWARD
    + (
        _s(150, "InTransit_Other", "Прибыло в сортировочный центр", "dest"),
        _s(160, "AvailableForPickup_Other", "Прибыло в место вручения, ожидает адресата", "dest"),
        _s(520, "Exception_Returning", "Возврат отправителю: истёк срок хранения", "dest"),
        _s(580, "Exception_Returning", "Возврат: покинуло сортировочный центр", "sort_ru"),
        _s(700, "Exception_Returning", "退件已到达国际互换局", "hub_cn"),
        _s(760, "Exception_Returned", "退件已妥投寄件人", "origin"),
    ),
    "address_problem": _FORWARD
    + (
        _s(150, "InTransit_Other", "Прибыло в сортировочный центр", "dest"),
        _s(196, "OutForDelivery_Other", "Передано курьеру для доставки", "dest"),
        _s(202, "DeliveryFailure_InvalidAddress", "Неудачная попытка вручения: неверный адрес", "dest"),
        _s(220, "OutForDelivery_Other", "Передано курьеру для доставки", "dest"),
        _s(226, "DeliveryFailure_InvalidAddress", "Неудачная попытка вручения: адрес не найден", "dest"),
        _s(250, "Exception_NoBody", "Адресат не найден по указанному адресу, требуется уточнение", "dest"),
    ),
    # Held at customs for documents for ~3 weeks, then released and delivered after ~30 days.
    "customs_hold": _HEAD
    + _ARRIVAL
    + (
        _s(100, "InTransit_CustomsRequiringInformation", "Требуются документы для таможенного оформления", "hub_ru"),
        _s(340, "InTransit_CustomsProcessing", "Задержано таможней: проверка документов", "hub_ru"),
        _s(620, "InTransit_CustomsReleased", "Таможенное оформление завершено", "hub_ru"),
        _s(640, "InTransit_Other", "Покинуло сортировочный центр", "sort_ru"),
    )
    + _last_mile(676),
    # Silent after the sorting centre, then the carrier itself declares it lost (after ~30 days).
    "lost": _FORWARD + (_s(710, "Exception_Lost", "Отправление утрачено, розыск завершён", "sort_ru"),),
}

# Number prefixes that force a scenario (case-insensitive), e.g. DEMOSTALL0001.
PREFIXES: Final = {
    "DEMOONTIME": "on_time",
    "DEMODELAY": "delayed",
    "DEMOSTALL": "stalled",
    "DEMODAMAGE": "damaged",
    "DEMORETURN": "returned",
    "DEMOADDR": "address_problem",
    "DEMOCUSTOMS": "customs_hold",
    "DEMOLOST": "lost",
}

# Share (in percent) of each scenario among numbers without a prefix; sums to 100.
WEIGHTS: Final = (
    ("on_time", 60),
    ("delayed", 12),
    ("stalled", 6),
    ("damaged", 4),
    ("returned", 5),
    ("address_problem", 5),
    ("customs_hold", 5),
    ("lost", 3),
)

# The carrier's own estimate, in hours after registration (time_metrics.estimated_delivery_date).
ESTIMATE_HOURS: Final = (240.0, 336.0)


def stable_hash(number: str, salt: str = "") -> int:
    """A hash that is the same in every process (Python's hash() is salted per process)."""
    digest = hashlib.blake2b(f"{salt}:{number.upper()}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def choose_scenario(number: str) -> str:
    """The scenario a number follows unless one was set explicitly: prefix first, then a stable hash."""
    upper = number.upper()
    for prefix, name in PREFIXES.items():
        if upper.startswith(prefix):
            return name
    bucket = stable_hash(number, "scenario") % 100
    for name, weight in WEIGHTS:
        if bucket < weight:
            return name
        bucket -= weight
    return "on_time"


def route_for(number: str) -> tuple[int, int]:
    """Indexes into ORIGINS and DESTINATIONS, stable per number."""
    h = stable_hash(number, "route")
    return h % len(ORIGINS), (h // len(ORIGINS)) % len(DESTINATIONS)


def _resolve(role: str, origin: Place, dest: Place) -> Place:
    if role == "origin":
        return origin
    if role == "dest":
        return dest
    return _HUBS[role]


def _compile(steps: tuple[Step, ...], origin: Place, dest: Place) -> tuple[CompiledStep, ...]:
    out = []
    for step in sorted(steps, key=lambda s: s.hours):
        out.append(
            CompiledStep(
                offset=step.hours * HOUR,
                status=step.sub_status.split("_", 1)[0],
                sub_status=step.sub_status,
                stage=_STAGE_OF_SUB_STATUS.get(step.sub_status),
                description=step.description,
                place=_resolve(step.place, origin, dest),
            )
        )
    return tuple(out)


# Every (scenario, origin, destination) script, built once so a request never compiles anything.
SCRIPTS: Final[dict[tuple[str, int, int], tuple[CompiledStep, ...]]] = {
    (name, o, d): _compile(steps, ORIGINS[o], DESTINATIONS[d])
    for name, steps in SCENARIOS.items()
    for o in range(len(ORIGINS))
    for d in range(len(DESTINATIONS))
}


def script_for(scenario: str, number: str) -> tuple[CompiledStep, ...]:
    origin, dest = route_for(number)
    return SCRIPTS[(scenario, origin, dest)]
