"""A tiny real HTTP server for carrier adapter tests: script the replies per route, then read what came in.

    with CarrierServer() as server:
        server.route("POST", "/track/v2.2/gettrackinfo", Reply(429, headers={"Retry-After": "7"}), Reply(body={...}))
        settings.CARRIER_17TRACK_URL = server.url
        ...
        assert server.count("POST", "/track/v2.2/gettrackinfo") == 2

Replies for a route are used in turn and the last one repeats. A reply may also be a function of the
request. Unrouted requests get a 404. `Reply(delay=...)` sleeps before answering, to provoke timeouts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | str | Mapping[str, Any] | list[Any] = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            return self.body, headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return self.body.encode(), headers
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(self.body, ensure_ascii=False).encode(), headers


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())


Responder = Reply | Callable[[Received], Reply]


class CarrierServer:
    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], list[Responder]] = {}
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.carrier = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="carrier-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, method: str, path: str, *replies: Responder) -> None:
        """Answer `method path` with these replies in turn; the last one repeats."""
        with self._lock:
            self._routes[(method.upper(), path)] = list(replies) or [Reply()]

    def received(self, method: str | None = None, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._received if method in (None, r.method) and path in (None, r.path)]

    def count(self, method: str, path: str) -> int:
        return len(self.received(method, path))

    def __enter__(self) -> CarrierServer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stopping.set()  # wakes handlers sleeping on a delay
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _answer(self, request: Received) -> Reply:
        with self._lock:
            self._received.append(request)
            replies = self._routes.get((request.method, request.path))
            if not replies:
                return Reply(404, body={"error": f"no route for {request.method} {request.path}"})
            responder = replies.pop(0) if len(replies) > 1 else replies[0]
        return responder(request) if callable(responder) else responder


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    carrier: CarrierServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is what the timeout tests want


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real carriers
    wbufsize = 1 << 16  # headers and body leave in one write: no Nagle/delayed-ACK stall per reply
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (stdlib signature)
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Received(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        carrier = self.server.carrier
        reply = carrier._answer(request)
        if reply.delay and carrier._stopping.wait(reply.delay):
            return
        body, headers = reply.encoded()
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
