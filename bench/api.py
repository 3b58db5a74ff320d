"""P5: the integration API at 1,000,000 cases: list p95 at any cursor depth, case creation req/s.

Usage: .venv/bin/python bench/api.py [--cases 1000000] [--workers 2] [--threads 1] [--requests 300]
       [--client wrk|httpx] [--seconds 15] [--creates 3000] [--concurrency 16]
Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_api), Redis for the throttle
counters (BENCH_REDIS_URL, default redis://127.0.0.1:6379/7), gunicorn (requirements-dev.txt) and, for the create
load, wrk (`apt-get install wrk`; without it the httpx client below is used).

Cases are generated in SQL (generate_series) once and reused: 90 % in the bench shop, 10 % in a second shop, so
the token's scope filter has something to leave out; five cases per order. The app runs under gunicorn (2 sync
workers by default, as gunicorn.conf.py runs it; --threads N for gthread workers; DEBUG=0) on loopback with its production middleware, token authentication, throttling (counted in Redis,
rates raised so they never trigger) and idempotency keys. Then
- one httpx client lists `GET /api/v1/cases?page_size=50` --requests times each at the first page, at the middle and at the end
  of the cursor (the cursor built for a position there, as the API's `next` links encode it), and with
  `updated_since` + `ordering=updated_at` deep in the cursor; the slowest p95 of the four is the result;
- cases are created, `POST /api/v1/cases` with a fresh Idempotency-Key each, --concurrency at a time, by wrk
  (bench/create_cases.lua) for --seconds, or with --client httpx by an asyncio httpx client for --creates cases;
  requests per second over the whole run is the result (every answer must be 201). The load generator shares the
  two cores with the server: httpx spends ~1.9 ms of CPU a request, wrk ~0.1 ms (docs/benchmarks.md).
Last line: P5 list_p95_ms=<n> create_rps=<n> client=<wrk|httpx>
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from urllib.parse import urlencode

import httpx

if sys.path[0] == os.path.dirname(os.path.abspath(__file__)):  # bench/ last: its queue.py would shadow the stdlib's
    sys.path.append(sys.path.pop(0))
from _common import ROOT, machine, setup_django, wait_until_up

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_api"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
PER_ORDER = 5

ORDERS_SQL = """
INSERT INTO orders_order (shop_id, buyer_id, order_number, posting_number, scheme, status, recipient_name, recipient_phone,
    country, region, city, postal_code, address_line, declared_value, currency, placed_at, promised_delivery_date,
    created_at, updated_at)
SELECT CASE WHEN g %% 10 = 0 THEN %(other)s ELSE %(shop)s END, %(buyer)s, 'P5-' || g, 'P5-' || g || '-1', 'fbs', 'shipped',
    'Bench Buyer', '', 'RU', '', 'Moscow', '', 'Tverskaya 1', 1000, 'RUB', now() - interval '30 days', current_date + 5,
    now() - interval '30 days', now() - interval '30 days'
FROM generate_series(%(start)s, %(stop)s) AS g
"""

CASES_SQL = """
INSERT INTO tickets_ticket (reference, kind, status, priority, channel, subject, shop_id, buyer_id, order_id,
    first_response_due, resolution_due, rating_comment, created_at, updated_at, sla_paused_seconds)
SELECT 'P5-' || o.id || '-' || k,
    (ARRAY['lost_parcel','delivery_delay','damaged','return_exchange','address_change','tracking_number','product_question','other'])[1 + (o.id + k) %% 8],
    (ARRAY['new','open','waiting_on_buyer','waiting_on_carrier','resolved','closed'])[1 + (o.id * 7 + k) %% 6],
    'normal', 'api', 'Bench case ' || o.id || '/' || k, o.shop_id, o.buyer_id, o.id,
    now() + interval '1 day', now() + interval '3 days', '',
    now() - (o.id %% 1000) * interval '1 minute', now() - ((o.id * 13 + k) %% 100000) * interval '1 second', 0
FROM orders_order o CROSS JOIN generate_series(1, %(per_order)s) AS k
WHERE o.order_number LIKE 'P5-%%' AND o.id BETWEEN %(low)s AND %(high)s
"""


def ensure_data(target: int) -> tuple[str, int]:
    """The bench shop's token secret (a new one each run) and one of its order ids; cases generated up to `target`."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from api.models import ApiToken
    from api.services import token_create
    from orders.models import Order, Shop, ShopMembership
    from tickets.models import Ticket

    user_model = get_user_model()
    shop, _ = Shop.objects.get_or_create(slug="bench-p5", defaults={"name": "Bench P5"})
    other, _ = Shop.objects.get_or_create(slug="bench-p5-other", defaults={"name": "Bench P5 other"})
    owner, _ = user_model.objects.get_or_create(username="p5-owner")
    ShopMembership.objects.get_or_create(shop=shop, user=owner, defaults={"role": ShopMembership.Role.STAFF})
    buyer, _ = user_model.objects.get_or_create(username="p5-buyer", defaults={"email": "p5-buyer@example.com"})
    have = Ticket.objects.filter(reference__startswith="P5-").count()
    if have < target:
        orders_needed = -(-target // PER_ORDER)
        with connection.cursor() as cursor:
            have_orders = Order.objects.filter(order_number__startswith="P5-").count()
            for start in range(have_orders, orders_needed, 100_000):
                stop = min(orders_needed, start + 100_000) - 1
                cursor.execute(ORDERS_SQL, {"shop": shop.id, "other": other.id, "buyer": buyer.id, "start": start, "stop": stop})
            ids = Order.objects.filter(order_number__startswith="P5-").order_by("id").values_list("id", flat=True)
            low, high = ids.first(), ids.last()
            Ticket.objects.filter(reference__startswith="P5-").delete()
            for chunk_low in range(low, high + 1, 50_000):
                cursor.execute(CASES_SQL, {"per_order": PER_ORDER, "low": chunk_low, "high": min(high, chunk_low + 49_999)})
                print(f"  cases for orders {chunk_low:,}..{min(high, chunk_low + 49_999):,}", flush=True)
            cursor.execute("ANALYZE tickets_ticket; ANALYZE orders_order;")
    ApiToken.objects.filter(shop=shop).delete()
    _token, secret = token_create(shop=shop, name="bench", acting_user=owner)
    order_id = Order.objects.filter(shop=shop, order_number__startswith="P5-").values_list("id", flat=True).first()
    if order_id is None:
        sys.exit("the bench shop has no orders")
    return secret, order_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, workers: int, threads: int, queue: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0", "SECURE_HSTS_SECONDS": "0",
        "REDIS_URL": REDIS, "CELERY_BROKER_URL": REDIS, "CELERY_TASK_DEFAULT_QUEUE": queue, "LOG_LEVEL": "WARNING",
        "API_THROTTLE_TOKEN_RATE": "1000000/min", "API_THROTTLE_IP_RATE": "1000000/min",
    }
    command = [sys.executable, "-m", "gunicorn", "supportdesk.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--timeout", "120", "--log-level", "warning"]
    if threads > 1:  # gthread: a worker's threads overlap their waits on PostgreSQL (commit fsync) with work
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    return subprocess.Popen(command, cwd=ROOT, env=env)



def cursor_at(position: object) -> str:
    """The `cursor` the API's next link carries for rows after `position` (DRF's CursorPagination encoding)."""
    return base64.b64encode(urlencode({"p": str(position)}).encode()).decode()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]  # nearest rank


def time_lists(client: httpx.Client, label: str, params: dict[str, str], requests: int) -> float:
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get("/api/v1/cases", params=params)
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 or len(response.json()["results"]) != 50:
            raise RuntimeError(f"{label}: HTTP {response.status_code} {response.text[:200]}")
    p95 = percentile(latencies, 95)
    print(f"list {label}: n={requests} p50={percentile(latencies, 50):.1f} ms p95={p95:.1f} ms max={max(latencies):.1f} ms", flush=True)
    return p95


async def create_cases(url: str, secret: str, order_id: int, total: int, concurrency: int) -> float:
    headers = {"Authorization": f"Bearer {secret}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:
        remaining = iter(range(total))
        failures: list[str] = []

        async def worker() -> None:
            for n in remaining:
                body = {"order": order_id, "kind": "other", "subject": f"Bench create {n}", "body": "Where is my parcel?"}
                response = await client.post("/api/v1/cases", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
                if response.status_code != 201:
                    failures.append(f"HTTP {response.status_code} {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} creates failed; first: {failures[0]}")
    return total / wall


def create_cases_wrk(url: str, secret: str, order_id: int, seconds: int, concurrency: int) -> float:
    """Req/s of `wrk` (C, one thread) creating cases for `seconds`: the load generator takes ~0.1 ms of CPU a request
    where httpx takes ~1.9 ms, CPU the server shares on a two-core machine. Raises if any answer was not 201."""
    command = ["wrk", "--threads", "1", "--connections", str(concurrency), "--duration", f"{seconds}s", "--timeout", "30s",
               "--script", str(ROOT / "bench" / "create_cases.lua"), url, "--", secret, str(order_id), uuid.uuid4().hex[:12]]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    summary = next(line for line in output.splitlines() if line.startswith("wrk: "))
    fields = dict(part.split("=", 1) for part in summary[5:].split(" first_failure=")[0].split())
    if int(fields["failures"]):
        raise RuntimeError(f"{fields['failures']} creates failed; first: {summary.split('first_failure=', 1)[1]}")
    print(summary, flush=True)
    return int(fields["requests"]) / float(fields["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=300, help="list requests per depth")
    parser.add_argument("--creates", type=int, default=3000, help="cases created by the httpx client")
    parser.add_argument("--client", choices=("wrk", "httpx"), default="wrk" if shutil.which("wrk") else "httpx",
                        help="the create load: wrk (Debian package wrk; default where installed) or httpx (asyncio)")
    parser.add_argument("--seconds", type=int, default=15, help="how long wrk creates cases")
    parser.add_argument("--concurrency", type=int, default=16)
    # Sync workers: with a create down to 7 statements, gthread's threads cost more than their overlapped waits
    # (2 x 4 threads: 5.2-5.7 ms of worker CPU a create, sync 4.7-4.8 ms), and keep-alive connections pile onto one
    # worker (15 of wrk's 16, or all 16: one worker did the work of two). docs/benchmarks.md, 2026-12-07.
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread when > 1)")
    args = parser.parse_args()
    setup_django(os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    from django.db.models import Max, Min

    from tickets.models import Ticket

    print(f"machine: {machine()}")
    secret, order_id = ensure_data(args.cases)
    mine = Ticket.objects.filter(shop__slug="bench-p5")
    print(f"cases: {Ticket.objects.count():,} in all, {mine.count():,} in the bench shop", flush=True)
    bounds = mine.aggregate(low=Min("id"), high=Max("id"))
    middle, end = (bounds["low"] + bounds["high"]) // 2, bounds["low"] + 500
    queue = f"bench-p5-{uuid.uuid4().hex[:8]}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port, args.workers, args.threads, queue)
    try:
        wait_until_up(f"{url}/api/schema/", server)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=60) as client:
            time_lists(client, "warm-up", {"page_size": "50"}, 20)
            p95s = [
                time_lists(client, "first page", {"page_size": "50"}, args.requests),
                time_lists(client, "middle of the cursor", {"page_size": "50", "cursor": cursor_at(middle)}, args.requests),
                time_lists(client, "end of the cursor", {"page_size": "50", "cursor": cursor_at(end)}, args.requests),
                time_lists(client, "updated_since, ordering=updated_at, deep", {
                    "page_size": "50", "ordering": "updated_at", "updated_since": "2000-01-01T00:00:00Z",
                    "cursor": cursor_at(mine.order_by("updated_at", "id").values_list("updated_at", flat=True)[mine.count() // 2]),
                }, args.requests),
            ]
        if args.client == "wrk":
            asyncio.run(create_cases(url, secret, order_id, 100, args.concurrency))  # warm every thread's connection
            rps = create_cases_wrk(url, secret, order_id, args.seconds, args.concurrency)
            load = f"wrk for {args.seconds} s"
        else:
            rps = asyncio.run(create_cases(url, secret, order_id, args.creates, args.concurrency))
            load = f"httpx, {args.creates} cases"
        print(f"create ({load}), {args.concurrency} at a time: {rps:.0f} req/s with {args.workers} gunicorn workers "
              f"× {args.threads} thread(s); "
              f"load average (1 min) {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        _drop_queue(queue)
    print(f"P5 list_p95_ms={max(p95s):.0f} create_rps={rps:.0f} client={args.client}")


def _drop_queue(queue: str) -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_timeout=5).delete(queue)
    except redis.RedisError:
        pass


if __name__ == "__main__":
    main()
