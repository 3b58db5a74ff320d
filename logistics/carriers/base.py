"""The one small interface every carrier adapter implements, and the plain objects it returns.

Adapters never import models: they turn a carrier's wire format into `TrackingResult`s, and
`logistics.services` turns those into rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from logistics.statuses import ParcelStatus


class CarrierError(Exception):
    """Base of the two carrier error classes; `message` is safe to show to an agent."""

    def __init__(self, message: str, *, raw: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.raw = raw


class CarrierTemporaryError(CarrierError):
    """Timeouts, 5xx, rate limits, malformed bodies: retry later with backoff."""

    def __init__(self, message: str, *, raw: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, raw=raw)
        self.retry_after = retry_after


class CarrierPermanentError(CarrierError):
    """Unknown number, bad credentials, a number the carrier refuses: stop polling and say why."""


@dataclass(frozen=True)
class TrackingEvent:
    """One carrier scan, normalised. `occurred_at` is timezone-aware UTC."""

    occurred_at: dt.datetime
    status: ParcelStatus
    raw_code: str = ""
    raw_description: str = ""
    location: str = ""
    carrier_event_id: str = ""

    @property
    def event_key(self) -> str:
        """Stable dedup key: the carrier's own id when it has one, else a hash of what it said."""
        if self.carrier_event_id:
            return self.carrier_event_id[:64]
        basis = "|".join((self.occurred_at.isoformat(), self.raw_code, self.raw_description, self.location))
        return hashlib.sha256(basis.encode()).hexdigest()[:64]


def stable_event_id(*parts: object) -> str:
    """An event identity built only from what both a poll and a push of the same scan carry, so
    the two copies share one event key (a push often lacks the text or sub-status a poll has)."""
    return "h:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:40]


@dataclass(frozen=True)
class TrackingResult:
    """What a carrier knows of one tracking number. `found=False` is an answer, not an error."""

    tracking_number: str
    events: tuple[TrackingEvent, ...] = ()
    found: bool = True
    error: str = ""
    permanent_error: bool = False
    raw: str = field(default="", repr=False)


class CarrierClient(Protocol):
    code: ClassVar[str]
    max_batch: ClassVar[int]  # 1 where the carrier has no batch look-up

    def track_many(self, numbers: Sequence[str]) -> dict[str, TrackingResult]: ...
