"""The carrier emulator: a real HTTP server speaking the 17TRACK v2.2 wire format with scripted parcels.

Endpoints (POST, JSON, header `17token: <token>`; a wrong token gets HTTP 401 and 17TRACK's
`{"code": -18010002, "data": {"errors": [...]}}`):

- /track/v2.2/register, /track/v2.2/gettrackinfo, /track/v2.2/stoptrack, /track/v2.2/changeinfo take a JSON
  array of at most 40 `{"number", "carrier"?, "tag"?}` objects (41 or more: `-18010014`; not an array:
  `-18010013`). gettrackinfo answers `accepted[]` items with the full v2.2 `track_info`, holding only the
  events whose emulated time has come, newest first. Unknown numbers are registered on their first
  gettrackinfo (the demo's parcels are never registered explicitly) unless auto-registration is off,
  in which case they are `rejected[]` with `-18019902`. stoptrack freezes a number where it is.
- Control (same token): POST /emulator/scenario {"number", "scenario"} (GET lists scenarios);
  POST /emulator/faults {"mode", "count"?, "number"?, "retry_after"?, "delay"?} (mode "none" clears);
  GET/POST /emulator/clock {"advance_hours"?, "advance_seconds"?}. GET /emulator/health needs no token.

Scenarios (hours after registration; China Post events in Chinese at +08:00, Russian ones in Russian at
+03:00/+05:00/+07:00; the carrier's estimate is 240-336 h):

===============  ===========  =================================================================
scenario         prefix       script
===============  ===========  =================================================================
on_time          DEMOONTIME   info -2 h, picked up 5 h, customs 74-92 h, Delivered at 206 h
delayed          DEMODELAY    slow customs (released 200 h), Delivered at 506 h (after the estimate)
stalled          DEMOSTALL    departs China at 44 h, then silence forever (our sweep calls it lost)
damaged          DEMODAMAGE   Exception_Damage at 160 h in the destination city, then nothing
returned         DEMORETURN   AvailableForPickup 160 h, Exception_Returning 520 h, Exception_Returned 760 h
address_problem  DEMOADDR     DeliveryFailure_InvalidAddress at 202 h and 226 h, Exception_NoBody 250 h
customs_hold     DEMOCUSTOMS  InTransit_CustomsRequiringInformation 100 h, held until 620 h, Delivered 726 h
lost             DEMOLOST     silent after 110 h, Exception_Lost declared by the carrier at 710 h
===============  ===========  =================================================================

A number starting with a prefix (case-insensitive, e.g. DEMOSTALL0001) follows that scenario; any other
number gets one from a stable hash of the number (60 % on_time, then delayed 12, returned 5,
address_problem 5, customs_hold 5, stalled 6, damaged 4, lost 3), the same in every run; /emulator/scenario
overrides both, before or after registration.

Time: the emulated clock starts at the real time and runs `speed` times faster (speed 3600: one real
second is one emulated hour; 0 freezes it for tests, which then call `EmulatorHandle.advance`).

Faults hit the next `count` 17TRACK calls (per number or global): "429" (with Retry-After), "500",
"timeout" (the server sits on the request for `delay` s), "html" (HTTP 200 with an HTML page),
"truncated" (half the JSON, consistent Content-Length), "reset" (Content-Length of the whole body, half
sent, connection closed).

With a webhook URL, every new event of a registered number is pushed as TRACKING_UPDATED, signed
`sign: sha256_hex(body + "/" + token)` (see webhooks.py).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from logistics.emulator import wire
from logistics.emulator.app import DEMO_TOKEN, BadRequest, Emulator, Reply, parse_items
from logistics.emulator.faults import HTML_PAGE, Fault
from logistics.emulator.webhooks import WebhookPusher

logger = logging.getLogger("logistics.emulator")
MAX_BODY = 1 << 20  # 40 numbers with tags are a few kilobytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a poller reuses one connection for all its batches
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections are closed after this many seconds
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        self.server.track_connection(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track_connection(self.connection, open_=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: one INFO line per request is written by _handle instead."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        started = time.perf_counter()
        path = self.path.split("?", 1)[0]
        raw = self._read_body()
        if raw is None:
            self.close_connection = True  # the rest of the stream cannot be trusted to be a request
            self._send(Reply(HTTPStatus.BAD_REQUEST, b""))
            return
        try:
            reply = self._route(path, raw)
        except Exception:  # the one error boundary: a bug answers 500 instead of killing the connection
            logger.exception("emulator failed on %s %s", self.command, path)
            reply = Reply(500, wire.error_envelope(wire.INTERNAL_ERROR))
        self._send(reply)
        logger.info(
            "%s %s %d numbers=%d %.1fms", self.command, path, reply.status, reply.numbers, (time.perf_counter() - started) * 1000
        )

    def _read_body(self) -> bytes | None:
        """The request body; None for chunked, oversized or unreadable lengths (17TRACK bodies are small)."""
        if self.headers.get("Transfer-Encoding"):
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        return self.rfile.read(length) if 0 <= length <= MAX_BODY else None

    def _route(self, path: str, raw: bytes) -> Reply:
        emulator = self.server.emulator
        if path == "/emulator/health":
            return Reply(200, wire.ok_envelope({"status": "ok"}))
        known = (self.command == "POST" and path in emulator.api) or path in emulator.control
        if not known:
            return Reply(404, b'{"code":404,"data":{"errors":[{"code":404,"message":"Not Found"}]}}')
        if not hmac.compare_digest(self.headers.get("17token", "").encode(), emulator.token.encode()):
            return Reply(401, wire.error_envelope(wire.INVALID_KEY))
        try:
            body = json.loads(raw) if raw else None
            if path in emulator.control:
                return Reply(200, emulator.control[path](body if self.command == "POST" else None))
            items = parse_items(body)
        except (ValueError, BadRequest):
            return Reply(400 if path in emulator.control else 200, wire.error_envelope(wire.INVALID_DATA))
        fault = emulator.faults.take(item["number"] for item in items)
        return emulator.call_api(path, items) if fault is None else self._faulted(fault, path, items)

    def _faulted(self, fault: Fault, path: str, items: list[dict[str, Any]]) -> Reply:
        emulator, n = self.server.emulator, len(items)
        if fault.mode == "429":
            return Reply(429, wire.error_envelope(wire.RATE_LIMITED), n, headers=(("Retry-After", str(fault.retry_after)),))
        if fault.mode == "500":
            return Reply(500, wire.error_envelope(wire.INTERNAL_ERROR), n)
        if fault.mode == "html":
            return Reply(200, HTML_PAGE, n, content_type="text/html; charset=utf-8")
        if fault.mode == "timeout":
            emulator.stopping.wait(fault.delay)  # the client should have given up long before
            return emulator.call_api(path, items)
        full = emulator.call_api(path, items).body
        half = full[: len(full) // 2]
        if fault.mode == "truncated":
            return Reply(200, half, n)
        self.close_connection = True  # "reset": promise the whole body, send half, hang up
        return Reply(200, half, n, declared_length=len(full))

    def _send(self, reply: Reply) -> None:
        """Status line, headers and body in one write: two small writes would meet Nagle's delayed ACK."""
        length = reply.declared_length if reply.declared_length is not None else len(reply.body)
        lines = [
            f"HTTP/1.1 {int(reply.status)} {HTTPStatus(reply.status).phrase}",
            "Server: 17track-emulator",
            f"Content-Type: {reply.content_type}",
            f"Content-Length: {length}",
        ]
        lines += [f"{name}: {value}" for name, value in reply.headers]
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + reply.body)
        if reply.declared_length is not None:
            self.connection.shutdown(socket.SHUT_RDWR)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track_connection(self, conn: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(conn)

    def close_connections(self) -> None:
        """Hang up idle keep-alive connections so their threads end with the server."""
        with self._connections_lock:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            logger.debug("connection from %s dropped", client_address)  # clients hang up; not our bug
        else:
            super().handle_error(request, client_address)


class EmulatorHandle:
    """A running emulator in a background thread: what tests, benchmarks and the command hold."""

    def __init__(self, server: EmulatorServer, pusher: WebhookPusher | None) -> None:
        self.server, self.emulator, self.pusher = server, server.emulator, pusher
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="carrier-emulator", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def token(self) -> str:
        return self.emulator.token

    def set_scenario(self, number: str, name: str) -> None:
        self.emulator.registry.set_scenario(number, name)

    def scenario_of(self, number: str) -> str:
        return self.emulator.registry.scenario_of(number)

    def set_fault(
        self, mode: str, count: int = 1, *, number: str | None = None, retry_after: int = 1, delay: float = 30.0
    ) -> None:
        self.emulator.faults.set(Fault(mode=mode, remaining=count, retry_after=retry_after, delay=delay), number)

    def clear_faults(self) -> None:
        self.emulator.faults.clear()

    def advance(self, *, days: float = 0, hours: float = 0, seconds: float = 0) -> dt.datetime:
        """Move the emulated clock forward; returns the new emulated now (aware, UTC)."""
        return dt.datetime.fromtimestamp(self.emulator.clock.advance(days * 86400 + hours * 3600 + seconds), dt.UTC)

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.emulator.clock.now(), dt.UTC)

    def stop(self) -> None:
        self.emulator.stopping.set()
        if self.pusher is not None:
            self.pusher.stop()
        self.server.shutdown()
        self.server.close_connections()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    speed: float = 1.0,
    token: str = DEMO_TOKEN,
    webhook_url: str | None = None,
    auto_register: bool = True,
    carrier: int = 3011,
    start_days_ago: float = 0.0,
) -> EmulatorHandle:
    """Start the emulator in a daemon thread (port 0: a free one) and return its handle; call .stop()."""
    emulator = Emulator(speed=speed, token=token, auto_register=auto_register, carrier=carrier, start_days_ago=start_days_ago)
    server = EmulatorServer((host, port), emulator)
    pusher = None
    if webhook_url:
        pusher = WebhookPusher(emulator.registry, webhook_url, token)
        pusher.start()
    return EmulatorHandle(server, pusher)
