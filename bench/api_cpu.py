"""P5, in process: the server CPU of one case-list page and of one case create with an Idempotency-Key.

Usage: .venv/bin/python bench/api_cpu.py [--cases 1000000] [--requests 60] [--warmup 10]
       [--breakdown] [--profile first|deep|since|create] [--top 40] [--sql [CHARS]]
Needs PostgreSQL (BENCH_DATABASE_URL, default that of bench/api.py, whose data it shares) and Redis for the
throttle counters (BENCH_REDIS_URL, default redis://127.0.0.1:6379/7).

bench/api.py measures wall-clock latency and req/s under gunicorn, which a busy machine distorts. This script
calls the app's WSGI handler directly, as a gunicorn worker does (the same settings as bench/api.py starts it
with: DEBUG=0, throttles counted in Redis with their rates raised, every middleware), with a hand-built WSGI
environ carrying the bench token, and times each request with `time.process_time()` (CPU of this process
only; see bench/portal_cpu.py, whose timing it reuses). It runs --requests of each kind, the first --warmup of
them not counted:
- first: `GET /api/v1/cases?page_size=50`;
- deep: the same, with a cursor in the middle of the bench shop's 900,000 cases;
- since: `updated_since` + `ordering=updated_at`, with a cursor deep in that order;
- create: `POST /api/v1/cases` (JSON) with a fresh Idempotency-Key each (every answer must be 201).
`--breakdown` times the main parts of each request (inclusive, in CPU, median over the requests) by wrapping
a few functions. `--profile KIND` runs cProfile (CPU timer) over the counted requests of that kind and prints the --top
functions by cumulative time (its overhead inflates everything ~3x). `--sql` prints the statements of the last
request of each kind.
Last line: P5cpu list_ms=<median of the three lists> create_ms=<median> list_queries=<n> create_queries=<n>
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import importlib.util
import io
import json
import os
import pstats
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

if sys.path[0] == os.path.dirname(os.path.abspath(__file__)):  # bench/ last: its queue.py would shadow the stdlib's
    sys.path.append(sys.path.pop(0))

from _common import machine, setup_django  # noqa: E402
from portal_cpu import Call, Sample, call  # noqa: E402

# bench/api.py under another name: `import api` would be the Django app of that name.
_spec = importlib.util.spec_from_file_location("bench_api", Path(__file__).with_name("api.py"))
if _spec is None or _spec.loader is None:
    sys.exit("bench/api.py is missing")
bench_api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_api)

HOST = "127.0.0.1"
LISTS = ("first", "deep", "since")


# (label, module, attribute path): the parts --breakdown times, inclusive; indented labels run inside the one above.
PARTS: list[tuple[str, str, str]] = [
    ("throttles and config tokens (one Redis round trip)", "api.throttling", "first_throttled_and_read"),
    ("token authentication", "api.authentication", "ApiTokenAuthentication.authenticate"),
    ("filters (django-filter)", "api.filters", "StrictFilterBackend.filter_queryset"),
    ("page: query and rows", "rest_framework.pagination", "CursorPagination.paginate_queryset"),
    ("serialisation", "rest_framework.serializers", "Serializer.data"),
    ("list serialisation", "rest_framework.serializers", "ListSerializer.data"),
    ("JSON rendering", "rest_framework.renderers", "JSONRenderer.render"),
    ("Idempotency-Key: fingerprint", "api.idempotency", "fingerprint"),
    ("Idempotency-Key: claim", "api.idempotency", "_claim"),
    ("input validation", "rest_framework.serializers", "BaseSerializer.is_valid"),
    ("order, access checked", "api.access", "get_order_for_principal"),
    ("case_open", "api.services", "case_open"),
    ("  ticket_open (tickets/services.py)", "tickets.services", "ticket_open"),
]


class Breakdown:
    """CPU spent inside each of PARTS, per kind of request: wrapping a few functions costs next to nothing."""

    def __init__(self) -> None:
        self.counting = False
        self.request: dict[str, float] = {}
        self.samples: dict[tuple[str, str], list[float]] = {}  # (kind, label) -> one value per counted request

    def install(self) -> None:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018  (imports the views, so their imported names can be re-pointed below)
        for label, module, path in PARTS:
            owner: Any = importlib.import_module(module)
            *owners, name = path.split(".")
            for step in owners:
                owner = getattr(owner, step)
            original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
            wrapped = self._timed(label, original)
            setattr(owner, name, wrapped)
            if not isinstance(owner, type):  # a function: also where other modules imported it by name
                for other in list(sys.modules.values()):
                    if other is not None and getattr(other, name, None) is original:
                        setattr(other, name, wrapped)

    def _timed(self, label: str, function: Any) -> Any:
        is_property = isinstance(function, property)
        inner = function.fget if is_property else function

        @functools.wraps(inner)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                if self.counting:
                    self.request[label] = self.request.get(label, 0.0) + time.process_time() - started

        return property(timed) if is_property else timed

    def finish(self, kind: str, counted: bool) -> None:
        if counted:
            for label, _module, _path in PARTS:
                self.samples.setdefault((kind, label), []).append(self.request.get(label, 0.0))
        self.request = {}

    def report(self, kind: str) -> str:
        return "\n".join(f"  {label:<45} {statistics.median(values) * 1000:6.2f} ms"
                         for (sample_kind, label), values in self.samples.items() if sample_kind == kind and any(values))


def _environ(method: str, url: str, secret: str, body: bytes = b"", headers: dict[str, str] | None = None) -> dict[str, Any]:
    """What gunicorn hands the app for a plain-http request on loopback from httpx."""
    parts = urlsplit(url)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": parts.path, "QUERY_STRING": parts.query, "SCRIPT_NAME": "",
        "SERVER_NAME": HOST, "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": HOST,
        "HTTP_HOST": HOST, "HTTP_USER_AGENT": "bench/api_cpu", "HTTP_ACCEPT": "*/*", "HTTP_ACCEPT_ENCODING": "gzip, deflate",
        "HTTP_AUTHORIZATION": f"Bearer {secret}",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    if body:
        environ.update(CONTENT_LENGTH=str(len(body)), CONTENT_TYPE="application/json")
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def list_urls() -> dict[str, str]:
    """The three list requests of bench/api.py, their cursors placed as it places them."""
    from django.db.models import Max, Min

    from tickets.models import Ticket

    mine = Ticket.objects.filter(shop__slug="bench-p5")
    bounds = mine.aggregate(low=Min("id"), high=Max("id"))
    deep_updated = mine.order_by("updated_at", "id").values_list("updated_at", flat=True)[mine.count() // 2]
    since = {"page_size": "50", "ordering": "updated_at", "updated_since": "2000-01-01T00:00:00Z", "cursor": bench_api.cursor_at(deep_updated)}
    return {
        "first": "/api/v1/cases?page_size=50",
        "deep": "/api/v1/cases?" + urlencode({"page_size": "50", "cursor": bench_api.cursor_at((bounds["low"] + bounds["high"]) // 2)}),
        "since": "/api/v1/cases?" + urlencode(since),
    }


def one(app: Any, kind: str, n: int, urls: dict[str, str], secret: str, order_id: int, profiler: cProfile.Profile | None) -> Call:
    if kind == "create":
        body = json.dumps({"order": order_id, "kind": "other", "subject": f"Bench create {n}", "body": "Where is my parcel?"})
        environ = _environ("POST", "/api/v1/cases", secret, body.encode(), {"Idempotency-Key": uuid.uuid4().hex})
        expected = 201
    else:
        environ, expected = _environ("GET", urls[kind], secret), 200
    done = call(app, environ, profiler)
    if done.status != expected:
        sys.exit(f"{kind}: HTTP {done.status} {done.body[:300]!r}")
    if kind != "create" and len(json.loads(done.body)["results"]) != 50:
        sys.exit(f"{kind}: the page does not have 50 cases")
    return done


def run(args: argparse.Namespace, breakdown: Breakdown | None) -> tuple[dict[str, Sample], dict[str, Call], pstats.Stats | None]:
    from django.core.wsgi import get_wsgi_application

    secret, order_id = bench_api.ensure_data(args.cases)
    urls = list_urls()
    app = get_wsgi_application()
    if breakdown is not None:
        breakdown.install()
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall time
    samples: dict[str, Sample] = {kind: Sample() for kind in (*LISTS, "create")}
    last: dict[str, Call] = {}
    for kind, sample in samples.items():  # one kind after the other: each warms up on its own path
        for n in range(args.requests):
            counted = n >= args.warmup
            if breakdown is not None:
                breakdown.counting = counted
            done = one(app, kind, n, urls, secret, order_id, profiler if counted and args.profile == kind else None)
            if breakdown is not None:
                breakdown.finish(kind, counted)
            if counted:
                sample.add(done)
            last[kind] = done
    stats = pstats.Stats(profiler, stream=sys.stdout) if profiler is not None else None
    return samples, last, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the bench database (generated once)")
    parser.add_argument("--requests", type=int, default=60, help="requests of each kind, warm-up included")
    parser.add_argument("--warmup", type=int, default=10, help="first requests of each kind not counted")
    parser.add_argument("--profile", choices=(*LISTS, "create"), help="cProfile the counted requests of this kind")
    parser.add_argument("--top", type=int, default=40, help="functions printed with --profile")
    parser.add_argument("--breakdown", action="store_true", help="CPU of the main parts of each request")
    parser.add_argument("--sql", type=int, nargs="?", const=200, default=0, metavar="CHARS",
                        help="print the SQL statements of the last request of each kind (first CHARS characters of each)")
    args = parser.parse_args()
    if args.requests <= args.warmup:
        sys.exit("--requests must be above --warmup")
    # As bench/api.py starts gunicorn; Celery tasks go to a queue of this run's own (nobody consumes it; dropped after).
    queue = f"bench-p5cpu-{uuid.uuid4().hex[:8]}"
    os.environ.update(
        DEBUG="0", SECRET_KEY="bench-api-cpu-" + "x" * 50, ALLOWED_HOSTS=HOST, SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", SECURE_HSTS_SECONDS="0", LOG_LEVEL="WARNING",
        REDIS_URL=bench_api.REDIS, CELERY_BROKER_URL=bench_api.REDIS, CELERY_TASK_DEFAULT_QUEUE=queue,
        API_THROTTLE_TOKEN_RATE="1000000/min", API_THROTTLE_IP_RATE="1000000/min",  # noqa: S106
    )
    setup_django(os.environ.get("BENCH_DATABASE_URL", bench_api.DEFAULT_DB))
    print(f"machine: {machine()}; load average (1 min) {os.getloadavg()[0]:.2f}")
    breakdown = Breakdown() if args.breakdown else None
    try:
        samples, last, stats = run(args, breakdown)
    finally:
        bench_api._drop_queue(queue)
    if stats is not None:
        stats.sort_stats("cumulative").print_stats(args.top)
    if args.sql:
        for kind, done in last.items():
            print(f"--- SQL of the last {kind}")
            print("\n".join(f"{n:2}. {sql[:args.sql]}" for n, sql in enumerate(done.queries, 1)))
    for kind, sample in samples.items():
        if breakdown is not None:
            print(f"--- {kind}: CPU inside each part, median over the requests")
            print(breakdown.report(kind))
        db = f"{statistics.fmean(sample.db_cpu_ms):.1f} ms" if sample.db_cpu_ms else "not readable"
        print(f"{kind}: n={len(sample.cpu_ms)} CPU median {statistics.median(sample.cpu_ms):.1f} ms "
              f"(min {min(sample.cpu_ms):.1f}, max {max(sample.cpu_ms):.1f}); SQL statements {statistics.median(sample.queries):.0f}; "
              f"database backend CPU mean {db}")
    lists = [ms for kind in LISTS for ms in samples[kind].cpu_ms]
    list_queries = max(statistics.median(samples[kind].queries) for kind in LISTS)
    print(f"P5cpu list_ms={statistics.median(lists):.1f} create_ms={statistics.median(samples['create'].cpu_ms):.1f} "
          f"list_queries={list_queries:.0f} create_queries={statistics.median(samples['create'].queries):.0f}")


if __name__ == "__main__":
    main()
