"""The emulator's state: its clock and the registered tracking numbers.

Thread-safe for the access pattern of a threaded HTTP server: reads are plain dict look-ups (atomic in
CPython), and every write swaps whole objects under one lock.
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from logistics.emulator.scenarios import SCENARIOS, CompiledStep, choose_scenario, script_for

DEFAULT_CARRIER = 3011  # China Post, as in 17TRACK's own samples
NUMBER_RE = re.compile(r"^[A-Za-z0-9-]{5,50}$")  # 17TRACK: 5-50 letters, digits or hyphens


def normalize(number: str) -> str:
    """Tracking numbers are case-insensitive: stored, matched and answered in upper case."""
    return number.strip().upper()


class Clock:
    """Emulated time: starts at the real time and runs `speed` times faster; tests may also push it."""

    def __init__(self, speed: float = 1.0, start: float | None = None, *, catch_up: bool = False) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.speed = speed
        # catch_up: start in the past and run fast only until real time is reached, so event times
        # are never in the future (the demo: weeks of journeys replayed in minutes, then real time).
        self.catch_up = catch_up
        self._real0 = time.monotonic()
        self._emulated0 = time.time() if start is None else start
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Emulated Unix time in seconds."""
        emulated = self._emulated0 + (time.monotonic() - self._real0) * self.speed + self._offset
        return min(emulated, time.time()) if self.catch_up else emulated

    def advance(self, seconds: float) -> float:
        """Move emulated time forward (never back: event times must not run backwards) and return it."""
        if seconds < 0:
            raise ValueError("the emulated clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()


@dataclass
class Track:
    """One registered number following one scenario from `registered_at` (emulated Unix seconds)."""

    number: str
    scenario: str
    registered_at: float
    carrier: int = DEFAULT_CARRIER
    tag: str = ""
    stopped_at: float | None = None
    script: tuple[CompiledStep, ...] = ()
    due: tuple[float, ...] = ()
    # (cache key, rendered accepted item): re-rendered only when what it shows has changed
    cache: tuple[tuple[int, ...], str] | None = field(default=None, compare=False, repr=False)

    def visible(self, now: float) -> int:
        """How many scripted events have happened by `now` (a stopped number stops changing)."""
        if self.stopped_at is not None:
            now = min(now, self.stopped_at)
        return bisect.bisect_right(self.due, now)

    def next_due(self, now: float) -> float | None:
        """Emulated time of the next event after `now`, or None when the script is played out."""
        i = self.visible(now)
        if self.stopped_at is not None or i >= len(self.due):
            return None
        return self.due[i]


def new_track(
    number: str, scenario: str, registered_at: float, *, carrier: int, tag: str = "", stopped_at: float | None = None
) -> Track:
    script = script_for(scenario, number)
    registered_at = float(int(registered_at))  # whole seconds, as carriers report them
    due = tuple(registered_at + step.offset for step in script)
    return Track(
        number=number,
        scenario=scenario,
        registered_at=registered_at,
        carrier=carrier,
        tag=tag,
        stopped_at=stopped_at,
        script=script,
        due=due,
    )


class Registry:
    """Registered numbers plus scenarios pinned ahead of registration."""

    def __init__(self, clock: Clock, *, auto_register: bool = True, carrier: int = DEFAULT_CARRIER) -> None:
        self.clock = clock
        self.auto_register = auto_register
        self.carrier = carrier
        self.listener: Callable[[Track], None] | None = None  # the webhook pusher, when configured
        self._tracks: dict[str, Track] = {}
        self._pinned: dict[str, str] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tracks)

    def get(self, number: str) -> Track | None:
        return self._tracks.get(normalize(number))

    def scenario_of(self, number: str) -> str:
        number = normalize(number)
        track = self._tracks.get(number)
        if track is not None:
            return track.scenario
        return self._pinned.get(number) or choose_scenario(number)

    def register(self, number: str, *, carrier: int = 0, tag: str = "") -> tuple[Track, bool]:
        """Register a number (idempotent); returns the track and whether it was new."""
        number = normalize(number)
        with self._lock:
            existing = self._tracks.get(number)
            if existing is not None:
                return existing, False
            track = new_track(number, self.scenario_of(number), self.clock.now(), carrier=carrier or self.carrier, tag=tag)
            self._tracks[number] = track
        self._notify(track)
        return track, True

    def lookup(self, number: str) -> Track | None:
        """The track of a polled number; registers it first when auto-registration is on."""
        number = normalize(number)
        track = self._tracks.get(number)
        if track is None and self.auto_register and NUMBER_RE.match(number):
            track = self.register(number)[0]
        return track

    def set_scenario(self, number: str, scenario: str) -> None:
        """Pin a scenario; a registered number replays its new script from its original registration time."""
        number = normalize(number)
        if scenario not in SCENARIOS:
            raise KeyError(scenario)
        with self._lock:
            self._pinned[number] = scenario
            old = self._tracks.get(number)
            if old is None:
                return
            track = new_track(number, scenario, old.registered_at, carrier=old.carrier, tag=old.tag, stopped_at=old.stopped_at)
            self._tracks[number] = track
        self._notify(track)

    def stop(self, number: str) -> bool:
        """Stop tracking; False when the number is not being tracked (unknown or already stopped)."""
        number = normalize(number)
        with self._lock:
            old = self._tracks.get(number)
            if old is None or old.stopped_at is not None:
                return False
            self._tracks[number] = replace(old, stopped_at=self.clock.now(), cache=None)
        return True

    def change_tag(self, number: str, tag: str) -> bool:
        number = normalize(number)
        with self._lock:
            old = self._tracks.get(number)
            if old is None:
                return False
            self._tracks[number] = replace(old, tag=tag, cache=None)
        return True

    def _notify(self, track: Track) -> None:
        if self.listener is not None:
            self.listener(track)
