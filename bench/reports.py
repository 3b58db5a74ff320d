"""Reports: every table of /desk/reports/ for a 30-day period over a large shop, on PostgreSQL.

Usage: .venv/bin/python bench/reports.py [--parcels 200000] [--runs 5]
Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/supportdesk_bench).
The data is generated in SQL (generate_series) once and reused: shipped parcels over the last 30 days
across 6 carriers and 20 regions (~80 % delivered, 0.5 % lost, 1 % returned), a case for every second
parcel (~90 % answered, ~70 % resolved, ~30 % rated, ~10 % with an SLA breach). It times building all
tables (the page's database work) and counts the queries, which must not depend on the data size.
Last line: REPORTS parcels=<n> cases=<m> p95_ms=<x> queries=<q>
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

if sys.path[0] == os.path.dirname(os.path.abspath(__file__)):  # bench/ last: its queue.py would shadow the stdlib's
    sys.path.append(sys.path.pop(0))
from _common import machine, setup_django

REGIONS = [f"Region {i:02d}" for i in range(20)]
KINDS = ["lost_parcel", "delivery_delay", "damaged", "return_exchange", "address_change", "tracking_number", "product_question", "other"]
CHANNELS = ["portal", "email", "chat", "marketplace"]

FILL_SQL = """
WITH o AS (
  INSERT INTO orders_order (shop_id, buyer_id, order_number, posting_number, scheme, status, recipient_name,
      recipient_phone, country, region, city, postal_code, address_line, declared_value, currency, placed_at,
      shipped_at, promised_delivery_date, delivered_at, created_at, updated_at)
  SELECT %(shop)s, %(buyer)s, 'R' || g, 'R' || g || '-1', 'fbs', CASE WHEN g %% 10 < 8 THEN 'delivered' ELSE 'shipped' END,
      'Bench Buyer', '', 'RU', (%(regions)s::text[])[1 + g %% 20], 'City', '', 'Street 1', 1000, 'RUB',
      now() - (g %% 29) * interval '1 day' - interval '2 days',
      now() - (g %% 29) * interval '1 day' - interval '1 day',
      (now() - (g %% 29) * interval '1 day' + interval '5 days')::date,
      CASE WHEN g %% 10 < 8 THEN now() - (g %% 29) * interval '1 day' + (g %% 9) * interval '1 day' + (g %% 24) * interval '1 hour' END,
      now(), now()
  FROM generate_series(%(start)s, %(stop)s) AS g
  RETURNING id, shipped_at, delivered_at, promised_delivery_date
), p AS (
  INSERT INTO logistics_parcel (order_id, direction, carrier_id, tracking_number, status, status_changed_at, last_event_at,
      polling_stopped_reason, poll_claim, promised_date, created_at, updated_at)
  SELECT o.id, 'forward', (%(carriers)s::bigint[])[1 + o.id %% 6], 'REPORT' || o.id,
      CASE WHEN o.delivered_at IS NOT NULL THEN 'delivered' WHEN o.id %% 200 = 0 THEN 'lost' WHEN o.id %% 100 = 1 THEN 'returned'
           ELSE 'in_transit' END,
      COALESCE(o.delivered_at, o.shipped_at), COALESCE(o.delivered_at, o.shipped_at), '', '', o.promised_delivery_date, now(), now()
  FROM o
  RETURNING id, order_id, created_at
)
INSERT INTO tickets_ticket (reference, kind, status, priority, channel, subject, shop_id, buyer_id, order_id, parcel_id,
    first_responded_at, resolved_at, rating, rating_comment, created_at, updated_at, sla_paused_seconds)
SELECT 'SD-R' || p.id, (%(kinds)s::text[])[1 + p.id %% 8], CASE WHEN p.id %% 10 < 7 THEN 'resolved' ELSE 'open' END, 'normal',
    (%(channels)s::text[])[1 + p.id %% 4], 'Bench case', %(shop)s, %(buyer)s, p.order_id, p.id,
    CASE WHEN p.id %% 10 < 9 THEN now() - (p.id %% 29) * interval '1 day' + (p.id %% 30) * interval '1 hour' END,
    CASE WHEN p.id %% 10 < 7 THEN now() - (p.id %% 29) * interval '1 day' + (p.id %% 96) * interval '1 hour' END,
    CASE WHEN p.id %% 10 < 3 THEN 1 + p.id %% 5 END, '', now() - (p.id %% 29) * interval '1 day', now(), 0
FROM p WHERE p.id %% 2 = 0
"""

BREACH_SQL = """
INSERT INTO tickets_ticketevent (ticket_id, kind, old_value, new_value, created_at)
SELECT id, 'sla_breached', '', 'resolution', created_at + interval '3 days' FROM tickets_ticket
WHERE id %% 10 = 0 AND reference LIKE 'SD-R%%' AND NOT EXISTS (
  SELECT 1 FROM tickets_ticketevent e WHERE e.ticket_id = tickets_ticket.id AND e.kind = 'sla_breached')
"""


def ensure_data(target: int) -> tuple[int, int]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from logistics.models import Carrier, Parcel
    from orders.models import Shop
    from tickets.models import Ticket

    shop, _ = Shop.objects.get_or_create(slug="bench-reports", defaults={"name": "Bench reports shop"})
    buyer, _ = get_user_model().objects.get_or_create(username="bench-reports-buyer")
    carriers = [Carrier.objects.get_or_create(code=f"bench-r{i}", defaults={"name": f"Bench carrier {i}"})[0].id for i in range(6)]
    parcels = Parcel.objects.filter(order__shop=shop)
    have, chunk = parcels.count(), 100_000
    with connection.cursor() as cursor:
        for start in range(have, target, chunk):
            stop = min(target, start + chunk) - 1
            params = {"shop": shop.id, "buyer": buyer.id, "carriers": carriers, "regions": REGIONS, "kinds": KINDS,
                      "channels": CHANNELS, "start": start, "stop": stop}  # fmt: skip
            cursor.execute(FILL_SQL, params)
            print(f"  generated parcels {start:,}..{stop:,}", flush=True)
        cursor.execute(BREACH_SQL, [])
        cursor.execute("ANALYZE orders_order; ANALYZE logistics_parcel; ANALYZE tickets_ticket; ANALYZE tickets_ticketevent;")
    return parcels.count(), Ticket.objects.filter(shop=shop).count()


def build_all(shop_slug: str) -> tuple[float, int]:
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from orders.models import Shop
    from tickets.reports.selectors import ReportFilter
    from tickets.reports.tables import build_tables

    today = timezone.localdate()
    report = ReportFilter(start=today - dt.timedelta(days=29), end=today, shops=Shop.objects.filter(slug=shop_slug))
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        build_tables(report)
        elapsed = time.perf_counter() - started
    return elapsed * 1000, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_django()
    print(f"machine: {machine()}")
    parcels, cases = ensure_data(args.parcels)
    build_all("bench-reports")  # warm the cache once, as a page that is looked at repeatedly would be
    timings, queries = [], 0
    for _run in range(args.runs):
        ms, queries = build_all("bench-reports")
        timings.append(ms)
        print(f"  all tables: {ms:.0f} ms, {queries} queries", flush=True)
    p95 = statistics.quantiles(timings, n=20, method="inclusive")[18] if len(timings) > 1 else timings[0]
    print(f"REPORTS parcels={parcels} cases={cases} p95_ms={p95:.0f} queries={queries}")


if __name__ == "__main__":
    main()
