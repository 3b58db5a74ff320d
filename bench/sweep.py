"""P2: the anomaly sweep over 1,000,000 active parcels on PostgreSQL in <= 10 s, memory flat.

Usage: .venv/bin/python bench/sweep.py [--parcels 1000000]
Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/supportdesk_bench).
The data is generated in SQL (generate_series) once and reused by later runs, with a realistic
mix: ~8% past the promised date, ~10% silent for 3+ days, 1% carrier exceptions, 1% returning.
It times the first sweep over fresh data (records every anomaly) and the steady-state sweep that
beat runs every minute (nothing new to record).
Last line: P2 parcels=<n> seconds=<s>
"""

from __future__ import annotations

import argparse
import os
import sys
import time

if sys.path[0] == os.path.dirname(os.path.abspath(__file__)):  # bench/ last: its queue.py would shadow the stdlib's
    sys.path.append(sys.path.pop(0))
from _common import machine, peak_rss_mb, setup_django

FILL_SQL = """
WITH o AS (
  INSERT INTO orders_order (shop_id, buyer_id, order_number, posting_number, scheme, status, recipient_name,
      recipient_phone, country, region, city, postal_code, address_line, declared_value, currency, placed_at,
      promised_delivery_date, created_at, updated_at)
  SELECT %(shop)s, %(buyer)s, 'B' || g, 'B' || g || '-1', 'fbs', 'shipped', 'Bench Buyer', '', 'RU', '', 'Moscow', '',
      'Tverskaya 1', 1000, 'RUB', now() - interval '20 days',
      -- about 8%% of parcels are past their promised date
      (CASE WHEN g %% 100 < 8 THEN now() - (1 + g %% 10) * interval '1 day' ELSE now() + (1 + g %% 20) * interval '1 day' END)::date,
      now(), now()
  FROM generate_series(%(start)s, %(stop)s) AS g
  RETURNING id, promised_delivery_date
)
INSERT INTO logistics_parcel (order_id, direction, carrier_id, tracking_number, status, last_event_at, next_poll_at,
    polling_stopped_reason, poll_claim, promised_date, created_at, updated_at)
SELECT o.id, 'forward', %(carrier)s, 'BENCH' || o.id,
    -- mostly moving; 1%% carrier exceptions, 1%% returning
    CASE WHEN o.id %% 100 = 0 THEN 'exception' WHEN o.id %% 100 = 1 THEN 'returning' WHEN o.id %% 10 = 2 THEN 'customs'
         WHEN o.id %% 10 = 3 THEN 'info_received' WHEN o.id %% 10 = 4 THEN 'out_for_delivery' ELSE 'in_transit' END,
    -- silence: 90%% heard from within 3 days, 6%% within 3-10 days, 4%% within 10-40 days
    now() - CASE WHEN o.id %% 97 < 87 THEN (o.id %% 72) * interval '1 hour'
                 WHEN o.id %% 97 < 93 THEN (3 + o.id %% 7) * interval '1 day'
                 ELSE (10 + o.id %% 30) * interval '1 day' END,
    now() + interval '1 hour', '', '', o.promised_delivery_date, now() - interval '1 day', now() - interval '1 day'
FROM o
"""


def ensure_parcels(target: int) -> int:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from logistics.models import Carrier, Parcel
    from orders.models import Shop

    shop, _ = Shop.objects.get_or_create(slug="bench", defaults={"name": "Bench shop"})
    buyer, _ = get_user_model().objects.get_or_create(username="bench-buyer")
    carrier, _ = Carrier.objects.get_or_create(code="bench", defaults={"name": "Bench", "adapter": "manual", "stall_days": 7, "lost_days": 20})
    have = Parcel.objects.filter(carrier=carrier).count()
    chunk = 200_000
    with connection.cursor() as cursor:
        for start in range(have, target, chunk):
            stop = min(target, start + chunk) - 1
            cursor.execute(FILL_SQL, {"shop": shop.id, "buyer": buyer.id, "carrier": carrier.id, "start": start, "stop": stop})
            print(f"  generated parcels {start:,}..{stop:,}", flush=True)
        cursor.execute("ANALYZE logistics_parcel; ANALYZE orders_order;")
    return Parcel.objects.filter(carrier=carrier).count()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=1_000_000)
    args = parser.parse_args()
    setup_django()
    from logistics.anomalies import anomalies_sweep
    from logistics.models import ParcelAnomaly

    print(f"machine: {machine()}")
    parcels = ensure_parcels(args.parcels)
    ParcelAnomaly.objects.all().delete()
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    report = anomalies_sweep()
    seconds = time.perf_counter() - started
    again = time.perf_counter()
    second = anomalies_sweep()
    seconds_again = time.perf_counter() - again
    print(f"first sweep: recorded={report.recorded:,} in {seconds:.2f}s; second sweep (nothing new): recorded={second.recorded} in {seconds_again:.2f}s")
    print(f"peak RSS before sweep {rss_before:.0f} MB, after {peak_rss_mb():.0f} MB")
    print(f"P2 parcels={parcels} seconds={max(seconds, seconds_again):.2f}")


if __name__ == "__main__":
    main()
