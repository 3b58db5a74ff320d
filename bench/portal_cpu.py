"""P4, in process: the server CPU of one buyer case (the form GET and the POST with two ~1 MB JPEGs).

Usage: .venv/bin/python bench/portal_cpu.py [--cases 40] [--warmup 5] [--profile get|post] [--top 40]
Needs PostgreSQL (BENCH_DATABASE_URL, the bench database of bench/_common.py) and Redis (the broker and the cache of
bench/portal.py: the app's settings as bench/portal.py starts gunicorn).

bench/portal.py measures wall-clock latency under load, which a busy machine distorts. This script calls the
app's WSGI handler directly, as gunicorn's worker does (the same settings: DEBUG=0, the cached template
loader, every middleware), with a hand-built WSGI environ, the real session and CSRF cookies and a multipart
body encoded once in advance, and times each request with `time.process_time()`: CPU of this process only,
so other processes on the machine barely move the figures (they still do, by some 10-20 %, on a busy machine:
compare runs made one after the other). Cookies are kept as httpx keeps them for bench/portal.py (the
"case opened" message set by a POST is shown, and consumed, by the next form).
One buyer of bench/portal.py opens --cases "damaged goods" cases on its own parcels, one per parcel
(its earlier bench cases are deleted first); the first --warmup cases are not counted.
The database's CPU is read from /proc for the PostgreSQL backend serving this connection when it runs on
this machine (10 ms clock ticks, so only the mean over many requests means anything).
`--breakdown` times the main parts of each request (inclusive, in CPU, median over the requests) by
wrapping a few functions: cheap enough not to change the totals. `--profile get|post` runs cProfile (CPU timer) over the counted requests of
that kind and prints the --top functions by cumulative time; its own overhead inflates everything ~4x.
Last line: P4cpu get_ms=<median> post_ms=<median> get_queries=<n> post_queries=<n>
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import os
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _common import machine, setup_django

HOST = "127.0.0.1"
BOUNDARY = "p4cpuBoundaryXXXX"


@dataclass
class Sample:
    cpu_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    db_cpu_ms: list[float] = field(default_factory=list)

    def add(self, done: Call) -> None:
        self.cpu_ms.append(done.cpu_ms)
        self.queries.append(len(done.queries))
        if done.db_cpu_ms is not None:
            self.db_cpu_ms.append(done.db_cpu_ms)


def _environ(method: str, url: str, cookies: dict[str, str], body: bytes = b"", content_type: str = "") -> dict[str, Any]:
    """What gunicorn hands the app for a plain-http request on loopback."""
    parts = urlsplit(url)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": parts.path, "QUERY_STRING": parts.query, "SCRIPT_NAME": "",
        "SERVER_NAME": HOST, "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": HOST,
        "HTTP_HOST": HOST, "HTTP_USER_AGENT": "bench/portal_cpu", "HTTP_ACCEPT": "text/html",
        "HTTP_ACCEPT_LANGUAGE": "en", "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    if body:
        environ.update(CONTENT_LENGTH=str(len(body)), CONTENT_TYPE=content_type, HTTP_REFERER=f"http://{HOST}{url}")
    return environ


@dataclass
class Call:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    cpu_ms: float
    queries: list[str]
    db_cpu_ms: float | None  # None if the backend's CPU could not be read


def _backend_cpu_s() -> tuple[int, float] | None:
    """(pid, CPU seconds so far) of the PostgreSQL backend of Django's connection, if it runs on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def call(app: Callable[..., Any], environ: dict[str, Any], profiler: cProfile.Profile | None = None) -> Call:
    """One request through the WSGI handler, timed in CPU (this process) from the call to the closed response."""
    from django.db import connection

    seen: dict[str, Any] = {}
    statements: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen.update(status=int(status.split()[0]), headers=headers)

    def count(execute: Callable[..., Any], sql: str, *rest: Any) -> Any:  # cheaper than Django's debug cursor
        statements.append(sql)
        return execute(sql, *rest)

    backend_before = _backend_cpu_s()  # outside the timed span: it costs a query of its own
    with connection.execute_wrapper(count):
        if profiler is not None:
            profiler.enable()
        started = time.process_time()
        result = app(environ, start_response)
        body = b"".join(result)
        getattr(result, "close", lambda: None)()
        cpu_ms = (time.process_time() - started) * 1000
        if profiler is not None:
            profiler.disable()
    backend_after = _backend_cpu_s()
    db_cpu_ms = None
    if backend_before and backend_after and backend_before[0] == backend_after[0]:  # same connection throughout
        db_cpu_ms = (backend_after[1] - backend_before[1]) * 1000
    return Call(seen["status"], seen["headers"], body, cpu_ms, statements, db_cpu_ms)


# (label, module, attribute path): the parts --breakdown times, inclusive; indented labels run inside the one above.
PARTS: list[tuple[str, str, str]] = [
    ("signed-in user (session, user row)", "django.contrib.auth", "get_user"),
    ("  session (from the cache, else its row)", "django.contrib.sessions.backends.cached_db", "SessionStore.load"),
    ("multipart parsing (POST)", "django.http.multipartparser", "MultiPartParser.parse"),
    ("order and parcel, access checked", "tickets.portal.cases", "_anchor"),
    ("open case of the same kind (duplicates)", "tickets.portal.cases", "open_case_for"),
    ("form validation", "django.forms.forms", "BaseForm.full_clean"),
    ("  evidence checks (size, type, image header)", "tickets.evidence", "evidence_clean"),
    ("  hourly case limit", "tickets.portal.forms_cases", "new_case_wait"),
    ("case, first message, events (ticket_open)", "tickets.portal.cases", "ticket_open"),
    ("attachments and their events (evidence_attach)", "tickets.portal.cases", "evidence_attach"),
    ("  file writes", "django.core.files.storage", "FileSystemStorage._save"),
    ("Celery tasks sent after commit", "celery.app.task", "Task.apply_async"),
    ("page rendering", "tickets.portal.cases", "render"),
    ("  the form, by crispy-forms", "crispy_forms.templatetags.crispy_forms_filters", "register.filters.crispy"),
]


class Breakdown:
    """CPU spent inside each of PARTS, per kind of request (GET or POST)."""

    def __init__(self) -> None:
        self.kind = ""
        self.counting = False
        self.request: dict[str, float] = {}  # the request being timed
        self.samples: dict[tuple[str, str], list[float]] = {}  # (kind, label) -> one value per counted request

    def install(self) -> None:
        """Wrap every part; before the first request, so that templates compile with the wrapped filter."""
        import importlib

        for label, module, path in PARTS:
            *owners, name = path.split(".")
            owner: Any = importlib.import_module(module)
            for step in owners:
                owner = owner[step] if isinstance(owner, dict) else getattr(owner, step)
            original = owner[name] if isinstance(owner, dict) else getattr(owner, name)
            wrapped = self._timed(label, original)
            if isinstance(owner, dict):
                owner[name] = wrapped
            else:
                setattr(owner, name, wrapped)

    def _timed(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)  # template filters are checked against the wrapped signature
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                if self.counting:
                    self.request[label] = self.request.get(label, 0.0) + time.process_time() - started

        return timed

    def finish(self, kind: str) -> None:
        """File the parts of the request just done under its kind (a part it never entered counts as 0)."""
        if self.counting:
            for label, _module, _path in PARTS:
                self.samples.setdefault((kind, label), []).append(self.request.get(label, 0.0))
        self.request = {}

    def report(self, kind: str) -> str:
        lines = [f"{label:<50} {statistics.median(values) * 1000:6.1f} ms"
                 for (sample_kind, label), values in self.samples.items() if sample_kind == kind and any(values)]
        return "\n".join(lines)


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> bytes:
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content in files:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def _cookies_from(headers: list[tuple[str, str]], cookies: dict[str, str]) -> None:
    """Keep the cookies a response sets and drop those it expires, as httpx does for bench/portal.py."""
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        for key, morsel in SimpleCookie(value).items():
            if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                cookies.pop(key, None)
            else:
                cookies[key] = morsel.coded_value


def session_cookies(username: str) -> dict[str, str]:
    """A signed-in session for `username`, as the login form would leave it (no password hashing timed)."""
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=username))
    return {"sessionid": client.cookies["sessionid"].value}


def run(args: argparse.Namespace, breakdown: Breakdown | None) -> tuple[Sample, Sample, pstats.Stats | None]:
    import portal
    from django.core.wsgi import get_wsgi_application

    from tickets.models import Ticket

    buyer = portal.prepare(1, args.cases)[0]
    Ticket.objects.filter(buyer__username=buyer.username).delete()
    photos = (portal.noise_jpeg(portal.IMAGE_BYTES, 1), portal.noise_jpeg(portal.IMAGE_BYTES, 2))
    app = get_wsgi_application()
    cookies = session_cookies(buyer.username)
    gets, posts = Sample(), Sample()
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall time
    for n, parcel_id in enumerate(buyer.parcel_ids):
        counted = n >= args.warmup
        url = f"/cases/new/?order={buyer.order_id}&parcel={parcel_id}&kind=damaged"
        if breakdown is not None:
            breakdown.counting, breakdown.kind = counted, "GET"
        form = call(app, _environ("GET", url, cookies), profiler if counted and args.profile == "get" else None)
        if breakdown is not None:
            breakdown.finish("GET")
        if form.status != 200:
            sys.exit(f"GET {url}: HTTP {form.status}")
        _cookies_from(form.headers, cookies)
        html = form.body.decode()
        names = {a or b for a, b in portal.FILE_INPUT.findall(html)}
        if not {"package_photos", "item_photos"} <= names:
            sys.exit(f"the form has no package/item photo inputs (found {sorted(names)})")
        fields = {"csrfmiddlewaretoken": portal.csrf_token(html), "subject": f"Broken on arrival ({parcel_id})",
                  "body": "The box was crushed and the item inside is broken. Photos attached."}
        body = multipart(fields, [("package_photos", "package.jpg", photos[0]), ("item_photos", "item.jpg", photos[1])])
        environ = _environ("POST", url, cookies, body, f"multipart/form-data; boundary={BOUNDARY}")
        if breakdown is not None:
            breakdown.kind = "POST"
        done = call(app, environ, profiler if counted and args.profile == "post" else None)
        if breakdown is not None:
            breakdown.finish("POST")
        if done.status != 302 or not re.search(r"/cases/\d+/$", dict(done.headers).get("Location", "")):
            sys.exit(f"POST {url}: HTTP {done.status}, no redirect to the new case")
        _cookies_from(done.headers, cookies)
        if counted:
            gets.add(form)
            posts.add(done)
    if args.sql:
        for label, statements in (("GET", form.queries), ("POST", done.queries)):
            print(f"--- SQL of the last {label}")
            print("\n".join(f"{n:2}. {sql[:args.sql]}" for n, sql in enumerate(statements, 1)))
    stats = pstats.Stats(profiler, stream=sys.stdout) if profiler is not None else None
    return gets, posts, stats


def _stdlib_first() -> None:
    """Look in bench/ after the standard library: bench/queue.py would shadow `queue`, which psycopg and kombu import
    (lazily, from setup_django on), when this script runs with bench/ first on sys.path."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here] + [str(here)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=40, help="cases to open (one per parcel), warm-up included")
    parser.add_argument("--warmup", type=int, default=5, help="first cases not counted (imports, caches, connections)")
    parser.add_argument("--profile", choices=("get", "post"), help="cProfile the counted requests of this kind")
    parser.add_argument("--top", type=int, default=40, help="functions printed with --profile")
    parser.add_argument("--breakdown", action="store_true", help="CPU of the main parts of each request")
    parser.add_argument("--sql", type=int, nargs="?", const=160, default=0, metavar="CHARS",
                        help="print the SQL statements of the last GET and POST (first CHARS characters of each)")
    args = parser.parse_args()
    _stdlib_first()
    if args.cases <= args.warmup:
        sys.exit("--cases must be above --warmup")
    import portal

    # As bench/portal.py starts gunicorn: production settings on plain http, the hourly limit raised, the
    # sanitising tasks sent to a queue of this run's own on the bench broker (nobody consumes it; dropped after).
    queue, media_root = f"bench-p4cpu-{uuid.uuid4().hex[:8]}", tempfile.mkdtemp(prefix="bench-p4cpu-media-")
    os.environ.update(
        DEBUG="0", SECRET_KEY="bench-portal-cpu-" + "x" * 50, ALLOWED_HOSTS=HOST, SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", SECURE_HSTS_SECONDS="0",
        PORTAL_MAX_CASES_PER_HOUR=str(args.cases), LOG_LEVEL="WARNING", MEDIA_ROOT=media_root,
        CELERY_BROKER_URL=portal.BROKER, CELERY_TASK_DEFAULT_QUEUE=queue, REDIS_URL=portal.CACHE,
    )
    setup_django()
    print(f"machine: {machine()}; load average (1 min) {os.getloadavg()[0]:.2f}")
    breakdown = Breakdown() if args.breakdown else None
    if breakdown is not None:
        breakdown.install()
    try:
        gets, posts, stats = run(args, breakdown)
    finally:
        shutil.rmtree(media_root, ignore_errors=True)
        portal._drop_queue(queue)
    if stats is not None:
        stats.sort_stats("cumulative").print_stats(args.top)
    if breakdown is not None:
        for kind, sample in (("GET", gets), ("POST", posts)):
            print(f"--- {kind}: CPU inside each part, median over the requests (the whole request: {statistics.median(sample.cpu_ms):.1f} ms)")
            print(breakdown.report(kind))
    for label, sample in (("GET form", gets), ("POST case", posts)):
        db = f"{statistics.fmean(sample.db_cpu_ms):.1f} ms" if sample.db_cpu_ms else "not readable"
        print(f"{label}: n={len(sample.cpu_ms)} CPU median {statistics.median(sample.cpu_ms):.1f} ms "
              f"(min {min(sample.cpu_ms):.1f}, max {max(sample.cpu_ms):.1f}); SQL statements {statistics.median(sample.queries):.0f}; "
              f"database backend CPU mean {db}")
    print(f"P4cpu get_ms={statistics.median(gets.cpu_ms):.1f} post_ms={statistics.median(posts.cpu_ms):.1f} "
          f"get_queries={statistics.median(gets.queries):.0f} post_queries={statistics.median(posts.queries):.0f}")


if __name__ == "__main__":
    main()
