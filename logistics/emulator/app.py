"""The emulator's operations, independent of HTTP: each takes a parsed JSON body and returns a reply.

17TRACK endpoints take a JSON array of `{"number": ..., "carrier"?: ..., "tag"?: ...}` objects (at most
40) and answer the v2.2 envelope; control endpoints under /emulator/ take and return small JSON objects.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from logistics.emulator import wire
from logistics.emulator.faults import Fault, FaultPlan
from logistics.emulator.render import accepted_item, dumps
from logistics.emulator.scenarios import PREFIXES, SCENARIOS
from logistics.emulator.tracks import NUMBER_RE, Clock, Registry, normalize

DEMO_TOKEN: Final = "demo-token"  # noqa: S105 - the emulator's published demo key, not a secret


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    numbers: int = 0  # how many tracking numbers the request carried, for the access log
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    declared_length: int | None = None  # a Content-Length larger than the body fakes a dropped connection


class BadRequest(Exception):
    """The body is not what the endpoint takes; answered with 17TRACK's "invalid data" envelope."""


def parse_items(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not all(isinstance(i, dict) and isinstance(i.get("number"), str) for i in body):
        raise BadRequest
    return body


def _carrier(item: dict[str, Any]) -> int:
    value = item.get("carrier")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _tag(item: dict[str, Any]) -> str:
    return str(item.get("tag") or "")


class Emulator:
    def __init__(
        self, *, speed: float = 1.0, token: str = DEMO_TOKEN, auto_register: bool = True, carrier: int = 3011,
        start_days_ago: float = 0.0,
    ) -> None:
        self.token = token
        start = time.time() - start_days_ago * 86400 if start_days_ago else None
        self.clock = Clock(speed, start, catch_up=bool(start_days_ago))
        self.registry = Registry(self.clock, auto_register=auto_register, carrier=carrier)
        self.faults = FaultPlan()
        self.stopping = threading.Event()  # wakes requests sitting on a "timeout" fault at shutdown
        self.api: dict[str, Callable[[list[dict[str, Any]]], bytes]] = {
            "/track/v2.2/register": self.register,
            "/track/v2.2/gettrackinfo": self.gettrackinfo,
            "/track/v2.2/stoptrack": self.stoptrack,
            "/track/v2.2/changeinfo": self.changeinfo,
        }
        self.control: dict[str, Callable[[Any], bytes]] = {
            "/emulator/scenario": self.control_scenario,
            "/emulator/faults": self.control_faults,
            "/emulator/clock": self.control_clock,
        }

    # --- 17TRACK v2.2 -------------------------------------------------------------------------------

    def register(self, items: list[dict[str, Any]]) -> bytes:
        accepted, rejected = [], []
        for item in items:
            number, tag = normalize(item["number"]), _tag(item)
            if not NUMBER_RE.match(number):
                rejected.append(wire.rejection(number, wire.INVALID_FORMAT, tag))
                continue
            track, created = self.registry.register(number, carrier=_carrier(item), tag=tag)
            if not created:
                rejected.append(wire.rejection(number, wire.ALREADY_REGISTERED, tag))
                continue
            accepted.append(
                dumps({"origin": 1, "number": number, "carrier": track.carrier, "email": None, "tag": tag, "lang": None})
            )
        return wire.batch_envelope(accepted, rejected)

    def gettrackinfo(self, items: list[dict[str, Any]]) -> bytes:
        now = self.clock.now()
        accepted, rejected = [], []
        for item in items:
            number = normalize(item["number"])
            track = self.registry.lookup(number)
            if track is None:
                code = wire.NOT_REGISTERED if NUMBER_RE.match(number) else wire.INVALID_FORMAT
                rejected.append(wire.rejection(number, code))
            else:
                accepted.append(accepted_item(track, now))
        return wire.batch_envelope(accepted, rejected)

    def stoptrack(self, items: list[dict[str, Any]]) -> bytes:
        accepted, rejected = [], []
        for item in items:
            number = normalize(item["number"])
            track = self.registry.get(number)
            if track is None:
                rejected.append(wire.rejection(number, wire.NOT_REGISTERED))
            elif not self.registry.stop(number):
                rejected.append(wire.rejection(number, wire.NOT_BEING_TRACKED))
            else:
                accepted.append(dumps({"number": number, "carrier": track.carrier}))
        return wire.batch_envelope(accepted, rejected)

    def changeinfo(self, items: list[dict[str, Any]]) -> bytes:
        """Only `items.tag` is honoured; `param` and `lang` mean nothing to scripted parcels."""
        accepted, rejected = [], []
        for item in items:
            number = normalize(item["number"])
            changes = item.get("items")
            new: dict[str, Any] = changes if isinstance(changes, dict) else {}
            track = self.registry.get(number)
            if track is None:
                rejected.append(wire.rejection(number, wire.NOT_REGISTERED))
                continue
            if "tag" in new:
                self.registry.change_tag(number, str(new["tag"] or ""))
            accepted.append(dumps({"number": number, "carrier": track.carrier}))
        return wire.batch_envelope(accepted, rejected)

    # --- control ------------------------------------------------------------------------------------

    def control_scenario(self, body: Any) -> bytes:
        """POST {"number", "scenario"} pins a scenario; GET lists scenarios and prefixes."""
        if body is None:
            return wire.ok_envelope({"scenarios": list(SCENARIOS), "prefixes": PREFIXES})
        if not isinstance(body, dict) or not isinstance(body.get("number"), str) or body.get("scenario") not in SCENARIOS:
            raise BadRequest
        self.registry.set_scenario(body["number"], body["scenario"])
        return wire.ok_envelope({"number": body["number"], "scenario": body["scenario"]})

    def control_faults(self, body: Any) -> bytes:
        """POST {"mode", "count"?, "number"?, "retry_after"?, "delay"?}; mode "none" clears all."""
        if isinstance(body, dict) and body.get("mode") in ("none", "clear"):
            self.faults.clear()
        elif isinstance(body, dict):
            try:
                fault = Fault(
                    mode=str(body.get("mode")),
                    remaining=int(body.get("count", 1)),
                    retry_after=int(body.get("retry_after", 1)),
                    delay=float(body.get("delay", 30.0)),
                )
            except (TypeError, ValueError) as exc:
                raise BadRequest from exc
            number = body.get("number")
            self.faults.set(fault, number if isinstance(number, str) else None)
        elif body is not None:
            raise BadRequest
        return wire.ok_envelope(self.faults.describe())

    def control_clock(self, body: Any) -> bytes:
        """POST {"advance_hours"?, "advance_seconds"?} moves emulated time forward; GET reads it."""
        if isinstance(body, dict):
            try:
                seconds = float(body.get("advance_seconds", 0)) + 3600 * float(body.get("advance_hours", 0))
                self.clock.advance(seconds)
            except (TypeError, ValueError) as exc:
                raise BadRequest from exc
        elif body is not None:
            raise BadRequest
        now = self.clock.now()
        return wire.ok_envelope(
            {
                "now": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds"),
                "speed": self.clock.speed,
                "registered": len(self.registry),
            }
        )

    def call_api(self, path: str, items: list[dict[str, Any]]) -> Reply:
        """Run one 17TRACK endpoint on an already parsed and authorised body."""
        if len(items) > wire.MAX_BATCH:
            return Reply(200, wire.error_envelope(wire.TOO_MANY_NUMBERS), len(items))
        return Reply(200, self.api[path](items), len(items))
