"""P3: the agents' queue page at 1,000,000 cases on PostgreSQL: p95 <= 100 ms for 50 rows, queries constant in page size.

Usage: .venv/bin/python bench/queue.py [--cases 1000000] [--requests 60]
Needs PostgreSQL; uses its own database (BENCH_QUEUE_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_queue).

The data is generated once in set-based SQL (INSERT ... SELECT generate_series) and reused by later runs:
3 shops, 30 agents (10 per shop) and a lead who serves all three, 100,000 buyers with e-mail and phone,
and per case its own order and parcel (3 carriers). Like a desk that has run for years, most cases are
settled: the newest 5% are open (new / open / waiting on buyer / waiting on carrier), with SLA targets
spread around now (some breached, some due within hours), 80% of them assigned. 1% of parcels have had
their tracking number replaced (logistics_trackingnumberchange holds the old one).

Measured in this process through the Django test client (the full middleware, session, template stack;
DEBUG=0): the queue page with 50 rows for several saved views in SLA-due order, as the lead (who sees all
1,000,000 cases) and as a one-shop agent; the query count for 25, 50 and 100 rows (must be equal); search
by a current and by a previous tracking number. EXPLAIN ANALYZE of the page's queries shows the indexes used.
Last line: P3 p95_ms=<worst p95 of the page and the search> queries=<queries per page>
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# This script is named like the standard library's queue module, which psycopg and Django import: take its
# folder off the front of sys.path so theirs wins, and look for _common.py at the end instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE] + [str(_HERE)]

from _common import machine, setup_django  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_queue"
SHOPS, AGENTS_PER_SHOP, BUYERS, CHUNK = 3, 10, 100_000, 200_000
OPEN_SHARE = 0.05

BUYERS_SQL = """
INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
SELECT %(base)s + g, '!', false, 'bq-buyer-' || g, 'Buyer', g::text, 'bq-buyer-' || g || '@example.com', false, true, now()
FROM generate_series(1, %(buyers)s) AS g;
INSERT INTO orders_buyerprofile (user_id, language, phone)
SELECT %(base)s + g, 'ru', '+7 900 ' || lpad(g::text, 7, '0') FROM generate_series(1, %(buyers)s) AS g;
"""

# Case g (1..N) has order g, parcel g and ticket g (ids offset by what the tables held before).
CASES_SQL = """
INSERT INTO orders_order (id, shop_id, buyer_id, order_number, posting_number, scheme, status, recipient_name, recipient_phone,
    country, region, city, postal_code, address_line, declared_value, currency, placed_at, promised_delivery_date, created_at, updated_at)
SELECT %(order_base)s + g, (%(shops)s)[1 + g %% 3], %(buyer_base)s + 1 + g %% %(buyers)s, 'Q' || g || '-0050', 'Q' || g || '-0050-1',
    'fbs', 'shipped', 'Bench Buyer', '', 'RU', '', 'Moscow', '', 'Tverskaya 1', 1000 + g %% 5000, 'RUB',
    now() - (%(n)s - g) * interval '90 seconds' - interval '3 days', (now() - (%(n)s - g) * interval '90 seconds' + interval '7 days')::date,
    now(), now()
FROM generate_series(%(start)s, %(stop)s) AS g;

INSERT INTO logistics_parcel (id, order_id, direction, carrier_id, tracking_number, status, last_event_at, next_poll_at,
    polling_stopped_reason, poll_claim, promised_date, created_at, updated_at)
SELECT %(parcel_base)s + g, %(order_base)s + g, 'forward', (%(carriers)s)[1 + g %% 3], 'BQ' || lpad(g::text, 9, '0') || 'RU',
    CASE WHEN g > %(open_from)s THEN (ARRAY['in_transit', 'customs', 'delivery_failed', 'on_hold', 'exception'])[1 + g %% 5]
         ELSE (ARRAY['delivered', 'delivered', 'delivered', 'returned', 'lost'])[1 + g %% 5] END,
    now() - interval '1 day', NULL, '', '', (now() - (%(n)s - g) * interval '90 seconds' + interval '7 days')::date, now(), now()
FROM generate_series(%(start)s, %(stop)s) AS g;

INSERT INTO tickets_ticket (id, reference, kind, status, priority, channel, subject, shop_id, buyer_id, order_id, parcel_id, assignee_id,
    first_response_due, resolution_due, first_responded_at, resolved_at, closed_at, rating, rating_comment, rated_at, created_at, updated_at,
    sla_paused_at, sla_paused_seconds, first_response_warn_at, resolution_warn_at)
SELECT %(ticket_base)s + g, 'SDQ-' || g,
    (ARRAY['lost_parcel', 'delivery_delay', 'damaged', 'return_exchange', 'address_change', 'tracking_number', 'product_question', 'other'])[1 + g %% 8],
    CASE WHEN g > %(open_from)s THEN (ARRAY['new', 'open', 'open', 'waiting_on_buyer', 'waiting_on_carrier'])[1 + g %% 5]
         WHEN g %% 10 = 0 THEN 'resolved' ELSE 'closed' END,
    (ARRAY['low', 'normal', 'normal', 'high', 'urgent'])[1 + g %% 5], 'portal', 'Where is my parcel ' || g || '?',
    (%(shops)s)[1 + g %% 3], %(buyer_base)s + 1 + g %% %(buyers)s, %(order_base)s + g, %(parcel_base)s + g,
    CASE WHEN g > %(open_from)s AND g %% 5 = 0 THEN NULL
         WHEN g %% 50 = 1 THEN %(lead)s
         ELSE (%(agents)s)[1 + (g %% 3) * %(per_shop)s + (g / 3) %% %(per_shop)s] END,
    first_response_due, resolution_due,
    CASE WHEN g > %(open_from)s AND g %% 5 < 2 THEN NULL ELSE created + interval '2 hours' END,
    CASE WHEN g > %(open_from)s THEN NULL ELSE created + interval '30 hours' END,
    CASE WHEN g > %(open_from)s OR g %% 10 = 0 THEN NULL ELSE created + interval '40 hours' END,
    NULL, '', NULL, created, created,
    CASE WHEN g > %(open_from)s AND g %% 5 >= 3 THEN now() - interval '1 hour' END, 0,  -- waiting on buyer / carrier: clock paused
    first_response_due - interval '1 hour', resolution_due - interval '1 hour'  -- the default policy warns an hour before
FROM (SELECT *,
        CASE WHEN g > %(open_from)s THEN now() + ((g * 7) %% 120 - 48) * interval '1 hour' ELSE created END + interval '24 hours' AS first_response_due,
        CASE WHEN g > %(open_from)s THEN now() + ((g * 13) %% 240 - 96) * interval '1 hour' ELSE created END + interval '72 hours' AS resolution_due
      FROM (SELECT g, now() - (%(n)s - g) * interval '90 seconds' AS created FROM generate_series(%(start)s, %(stop)s) AS g) AS c) AS s;

INSERT INTO logistics_trackingnumberchange (parcel_id, old_carrier_id, old_number, new_carrier_id, new_number, reason, changed_at)
SELECT %(parcel_base)s + g, (%(carriers)s)[1 + g %% 3], 'BQOLD' || lpad(g::text, 9, '0'), (%(carriers)s)[1 + g %% 3],
    'BQ' || lpad(g::text, 9, '0') || 'RU', 'bench: label reprinted', now() - interval '2 days'
FROM generate_series(%(start)s, %(stop)s) AS g WHERE g %% 100 = 7;
"""


def _max_id(cursor, table: str) -> int:  # type: ignore[no-untyped-def]
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
    return int(cursor.fetchone()[0])


def ensure_people():  # type: ignore[no-untyped-def]
    """Shops, carriers, agents (in the agents group, each serving one shop) and the lead (a supervisor serving all)."""
    from django.contrib.auth.models import Group, User

    from logistics.models import Carrier
    from orders.models import Shop, ShopMembership

    shops = [Shop.objects.get_or_create(slug=f"bq-shop-{i}", defaults={"name": f"Bench queue shop {i}"})[0] for i in range(1, SHOPS + 1)]
    carriers = [Carrier.objects.get_or_create(code=f"bq-carrier-{i}", defaults={"name": f"Bench carrier {i}"})[0] for i in range(1, 4)]
    agents_group, supervisors = Group.objects.get(name="agents"), Group.objects.get(name="supervisors")
    agents = []
    for index, shop in enumerate(shops):
        for n in range(AGENTS_PER_SHOP):
            agent, _ = User.objects.get_or_create(username=f"bq-agent-{index}-{n}", defaults={"is_staff": True, "first_name": f"Agent {index}-{n}"})
            agent.groups.add(agents_group)
            ShopMembership.objects.get_or_create(shop=shop, user=agent, defaults={"role": ShopMembership.Role.AGENT})
            agents.append(agent)
    lead, _ = User.objects.get_or_create(username="bq-lead", defaults={"is_staff": True, "first_name": "Lead"})
    lead.groups.add(supervisors)
    for shop in shops:
        ShopMembership.objects.get_or_create(shop=shop, user=lead, defaults={"role": ShopMembership.Role.AGENT})
    return shops, carriers, agents, lead


def _execute_each(cursor: Any, script: str, params: dict[str, Any]) -> None:
    """The script's statements one by one: with parameters bound by the server (settings.py), one execute() takes one."""
    for statement in script.split(";\n"):
        if statement.strip():
            cursor.execute(statement, params)


def ensure_cases(target: int) -> int:
    from django.db import connection

    from tickets.models import Ticket

    shops, carriers, agents, lead = ensure_people()
    have = Ticket.objects.filter(reference__startswith="SDQ-").count()
    if have >= target:
        return have
    if have:
        raise SystemExit(f"bench_queue holds {have:,} bench cases, fewer than --cases {target:,}: drop the database and run again")
    with connection.cursor() as cursor:
        buyer_base = _max_id(cursor, "auth_user")
        _execute_each(cursor, BUYERS_SQL, {"base": buyer_base, "buyers": BUYERS})
        bases = {name: _max_id(cursor, table) for name, table in
                 (("order_base", "orders_order"), ("parcel_base", "logistics_parcel"), ("ticket_base", "tickets_ticket"))}
        params = {
            **bases, "buyer_base": buyer_base, "buyers": BUYERS, "n": target, "open_from": int(target * (1 - OPEN_SHARE)),
            "shops": [s.id for s in shops], "carriers": [c.id for c in carriers], "agents": [a.id for a in agents],
            "per_shop": AGENTS_PER_SHOP, "lead": lead.id,
        }
        for start in range(1, target + 1, CHUNK):
            started = time.perf_counter()
            _execute_each(cursor, CASES_SQL, {**params, "start": start, "stop": min(target, start + CHUNK - 1)})
            print(f"  cases {start:,}..{min(target, start + CHUNK - 1):,} in {time.perf_counter() - started:.1f}s", flush=True)
        for table in ("auth_user", "orders_buyerprofile", "orders_order", "logistics_parcel", "tickets_ticket", "logistics_trackingnumberchange"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with connection.cursor() as cursor:  # fresh statistics and visibility map (index-only scans), as autovacuum would leave them
        cursor.execute("VACUUM ANALYZE")
    return Ticket.objects.filter(reference__startswith="SDQ-").count()


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


CPU_MS: list[float] = []  # this process's CPU time per request (Django's share, without PostgreSQL's)


def timed(client, urls: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for url in urls:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, secure=True)
        samples.append((time.perf_counter() - started) * 1000)
        CPU_MS.append((time.process_time() - cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return samples


def count_queries(client, url: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, secure=True)
    return len(captured.captured_queries), response.content.decode().count('name="ids"')


def explain(client, url: str) -> str:  # type: ignore[no-untyped-def]
    """EXPLAIN ANALYZE of every query of one page request that reads the cases (rows, counts, search)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, secure=True)
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if "tickets_ticket" in query["sql"] and query["sql"].lstrip().upper().startswith("SELECT"):
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + query["sql"])
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return "\n--\n".join(plans)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=60, help="per scenario (at least 50 for a p95)")
    args = parser.parse_args()
    os.environ.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="testserver", SECURE_SSL_REDIRECT="0")
    setup_django(os.environ.get("BENCH_QUEUE_DATABASE_URL", DEFAULT_DB))
    from django.contrib.auth.models import User
    from django.test import Client

    print(f"machine: {machine()}")
    started = time.perf_counter()
    cases = ensure_cases(args.cases)
    print(f"cases: {cases:,} (ready in {time.perf_counter() - started:.0f}s)")
    lead, agent = User.objects.get(username="bq-lead"), User.objects.get(username="bq-agent-0-0")
    clients = {}
    for user in (lead, agent):
        clients[user.username] = Client()
        clients[user.username].force_login(user)
    views = ["open", "mine", "unassigned", "breaching", "carrier", "lost"]
    timed(clients["bq-lead"], [f"/desk/?view={view}" for view in views] * 3)  # warm-up: connections, templates, caches
    CPU_MS.clear()
    load_before = os.getloadavg()[0]
    page_samples: list[float] = []
    for who, view in [("bq-lead", view) for view in views] + [("bq-agent-0-0", "open"), ("bq-agent-0-0", "mine")]:
        samples = timed(clients[who], [f"/desk/?view={view}&sort=sla&per_page=50"] * args.requests)
        page_samples += samples
        print(f"  page {who:14s} view={view:10s} p50 {statistics.median(samples):6.1f} ms  p95 {p95(samples):6.1f} ms  max {max(samples):6.1f} ms")
    rng = random.Random(3)
    open_from = int(args.cases * (1 - OPEN_SHARE))
    current = [f"BQ{g:09d}RU" for g in rng.sample(range(1, args.cases + 1), args.requests)]
    previous = [f"BQOLD{g:09d}" for g in rng.sample(range(7, args.cases + 1, 100), args.requests)]
    search_samples: list[float] = []
    for label, numbers in (("current", current), ("previous", previous)):
        samples = timed(clients["bq-lead"], [f"/desk/?view=all&q={number}" for number in numbers])
        search_samples += samples
        print(f"  search by {label:8s} tracking number  p50 {statistics.median(samples):6.1f} ms  p95 {p95(samples):6.1f} ms  max {max(samples):6.1f} ms")
    found, _rows = count_queries(clients["bq-lead"], f"/desk/?view=all&q={previous[0]}")
    queries = {size: count_queries(clients["bq-lead"], f"/desk/?view=open&per_page={size}") for size in (25, 50, 100)}
    print("  queries per page: " + ", ".join(f"{size} rows → {q} queries ({rows} rows shown)" for size, (q, rows) in queries.items()))
    print(f"  queries for a search page: {found}")
    for who, url in (("bq-lead", "/desk/?view=open"), ("bq-lead", "/desk/?view=mine"), ("bq-lead", "/desk/?view=breaching"),
                     ("bq-lead", f"/desk/?view=all&q={previous[0]}"), ("bq-agent-0-0", "/desk/?view=lost")):
        print(f"\n-- EXPLAIN ANALYZE, {who} {url}\n{explain(clients[who], url)}")
    page_p95, search_p95 = p95(page_samples), p95(search_samples)
    counts = {q for q, _rows in queries.values()}
    print(f"\nload average (1 min) {load_before:.1f} before the timed requests, {os.getloadavg()[0]:.1f} after; "
          f"Django CPU per request p50 {statistics.median(CPU_MS):.1f} ms, p95 {p95(CPU_MS):.1f} ms")
    print(f"queue page p95 {page_p95:.1f} ms over {len(page_samples)} requests; search p95 {search_p95:.1f} ms over {len(search_samples)}; "
          f"open cases {args.cases - open_from:,}; queries equal for 25/50/100 rows: {len(counts) == 1}")
    print(f"P3 p95_ms={max(page_p95, search_p95):.0f} queries={max(counts)}")


if __name__ == "__main__":
    main()
