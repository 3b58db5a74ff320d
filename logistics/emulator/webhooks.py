"""17TRACK-style TRACKING_UPDATED pushes to one configured URL.

A scheduler thread keeps a heap of (next event time, number) and, when a registered number's next event
comes due on the emulated clock, queues the number; a sender thread renders its current track and POSTs
`{"event": "TRACKING_UPDATED", "data": <the gettrackinfo accepted item>}` with the header
`sign: sha256_hex(raw body + "/" + api key)`, as 17TRACK v2.2 does. Bounded: at most `max_queue`
numbers wait; beyond that pushes are dropped and counted (17TRACK too drops a push after its retries).
"""

from __future__ import annotations

import hashlib
import heapq
import http.client
import logging
import queue
import threading
from urllib.parse import urlsplit

from logistics.emulator.render import accepted_item
from logistics.emulator.tracks import Registry, Track

logger = logging.getLogger("logistics.emulator.webhooks")


def sign(body: bytes, key: str) -> str:
    """17TRACK's webhook signature: SHA-256 hex of the raw body, a slash and the API key (not an HMAC)."""
    return hashlib.sha256(body + b"/" + key.encode()).hexdigest()


class WebhookPusher:
    def __init__(
        self,
        registry: Registry,
        url: str,
        key: str,
        *,
        max_queue: int = 10_000,
        retries: int = 2,
        timeout: float = 5.0,
        tick: float = 0.05,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook URL must be http(s)://host[:port]/path, got {url!r}")
        self.url, self._parts, self._key = url, parts, key
        self._registry, self._retries, self._timeout, self._tick = registry, retries, timeout, tick
        self._heap: list[tuple[float, str]] = []
        self._scheduled: dict[str, float] = {}
        self._pending: set[str] = set()
        self._queue: queue.Queue[str] = queue.Queue(maxsize=max_queue)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.sent = self.failed = self.dropped = 0
        registry.listener = self.schedule

    def start(self) -> None:
        for name, target in (("scheduler", self._schedule_loop), ("sender", self._send_loop)):
            thread = threading.Thread(target=target, name=f"emulator-webhook-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self._timeout + 1)

    def schedule(self, track: Track) -> None:
        """Push this track's current state now, then at each of its next events."""
        self._push_at(track.number, self._registry.clock.now())

    def _push_at(self, number: str, due: float) -> None:
        with self._lock:
            self._scheduled[number] = due  # supersedes any earlier entry for the number
            heapq.heappush(self._heap, (due, number))

    def _pop_due(self, now: float) -> list[str]:
        due: list[str] = []
        with self._lock:
            while self._heap and self._heap[0][0] <= now:
                when, number = heapq.heappop(self._heap)
                if self._scheduled.get(number) == when:
                    del self._scheduled[number]
                    due.append(number)
        return due

    def _schedule_loop(self) -> None:
        while not self._stop.wait(self._tick):
            now = self._registry.clock.now()
            for number in self._pop_due(now):
                track = self._registry.get(number)
                if track is None or track.stopped_at is not None:
                    continue
                self._enqueue(number)
                next_due = track.next_due(now)
                if next_due is not None:
                    self._push_at(number, next_due)

    def _enqueue(self, number: str) -> None:
        with self._lock:
            if number in self._pending:
                return  # the sender renders the latest state anyway
            self._pending.add(number)
        try:
            self._queue.put_nowait(number)
        except queue.Full:
            with self._lock:
                self._pending.discard(number)
            self.dropped += 1
            logger.warning("webhook queue full, dropped the push for %s", number)

    def _send_loop(self) -> None:
        while not self._stop.is_set():
            try:
                number = self._queue.get(timeout=self._tick)
            except queue.Empty:
                continue
            with self._lock:
                self._pending.discard(number)
            track = self._registry.get(number)
            if track is not None:
                self._deliver(track)

    def _deliver(self, track: Track) -> None:
        body = ('{"event":"TRACKING_UPDATED","data":' + accepted_item(track, self._registry.clock.now()) + "}").encode()
        headers = {"Content-Type": "application/json", "sign": sign(body, self._key)}
        for attempt in range(self._retries + 1):
            if attempt and self._stop.wait(0.5 * 2**attempt):
                return
            try:
                status = self._post(body, headers)
            except OSError as exc:
                logger.info("webhook push for %s failed: %s", track.number, exc)
                continue
            if 200 <= status < 300:
                self.sent += 1
                logger.info("webhook TRACKING_UPDATED %s -> %s %d", track.number, self.url, status)
                return
            logger.info("webhook push for %s answered %d", track.number, status)
        self.failed += 1

    def _post(self, body: bytes, headers: dict[str, str]) -> int:
        p = self._parts
        conn_class = http.client.HTTPSConnection if p.scheme == "https" else http.client.HTTPConnection
        conn = conn_class(p.hostname or "", p.port, timeout=self._timeout)
        try:
            conn.request("POST", (p.path or "/") + (f"?{p.query}" if p.query else ""), body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()
