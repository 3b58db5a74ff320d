"""Injected carrier faults, globally or for requests that carry a given number.

A fault applies to the next `count` 17TRACK API requests it matches (`count` < 0: until cleared). A
per-number fault wins over the global one. Control endpoints are never faulted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Final

from logistics.emulator.tracks import normalize

MODES: Final = ("429", "500", "timeout", "html", "truncated", "reset")

HTML_PAGE: Final = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>The upstream server is temporarily unavailable.</p></body></html>"
)


@dataclass(frozen=True)
class Fault:
    mode: str
    remaining: int = 1
    retry_after: int = 1  # seconds, for "429"
    delay: float = 30.0  # seconds the server sits on a request, for "timeout"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown fault mode {self.mode!r}; expected one of {', '.join(MODES)}")
        if self.remaining == 0:
            raise ValueError("count must be at least 1, or negative for 'until cleared'")


class FaultPlan:
    def __init__(self) -> None:
        self._global: Fault | None = None
        self._by_number: dict[str, Fault] = {}
        self._lock = threading.Lock()

    def set(self, fault: Fault, number: str | None = None) -> None:
        with self._lock:
            if number is None:
                self._global = fault
            else:
                self._by_number[normalize(number)] = fault

    def clear(self) -> None:
        with self._lock:
            self._global = None
            self._by_number.clear()

    def describe(self) -> dict[str, object]:
        with self._lock:
            return {
                "global": asdict(self._global) if self._global else None,
                "numbers": {n: asdict(f) for n, f in self._by_number.items()},
            }

    def take(self, numbers: Iterable[str]) -> Fault | None:
        """The fault this request suffers, if any, consuming one use of it."""
        if self._global is None and not self._by_number:
            return None  # the benchmark's path: no lock at all
        with self._lock:
            for number in map(normalize, numbers):
                fault = self._by_number.get(number)
                if fault is not None:
                    rest = self._consume(fault)
                    if rest is None:
                        del self._by_number[number]
                    else:
                        self._by_number[number] = rest
                    return fault
            fault = self._global
            if fault is not None:
                self._global = self._consume(fault)
            return fault

    @staticmethod
    def _consume(fault: Fault) -> Fault | None:
        if fault.remaining < 0:
            return fault
        return replace(fault, remaining=fault.remaining - 1) if fault.remaining > 1 else None
