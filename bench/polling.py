"""P1: tracking ingestion through the real worker path against the emulator.

Usage: .venv/bin/python bench/polling.py [--parcels 20000] [--naive 1000] [--workers 2]
Needs PostgreSQL (BENCH_DATABASE_URL) and Redis (BENCH_BROKER_URL, default redis://127.0.0.1:6379/0).

Worker path: the emulator runs as its own process on loopback; a real `celery worker` (prefork)
consumes the refresh tasks that the dispatcher (`poll_due_parcels`, as beat runs it) sends per
carrier batch of 40. Timed from the first dispatch until every parcel is ingested.
Naive loop, same script, same emulator, same numbers: one request per parcel and one save per
event, timed over --naive parcels.
Last line: P1 parcels_per_s=<n> naive_ratio=<x>
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import uuid

if sys.path[0] == os.path.dirname(os.path.abspath(__file__)):  # bench/ last: its queue.py would shadow the stdlib's
    sys.path.append(sys.path.pop(0))
from _common import ROOT, machine, setup_django

BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/0")
TOKEN = "bench-token"
REPLAY_DAYS = 30
REPLAY_SECONDS = 25


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_emulator(port: int) -> subprocess.Popen[bytes]:
    speed = REPLAY_DAYS * 86400 / REPLAY_SECONDS
    command = [sys.executable, "manage.py", "run_carrier_emulator", "--port", str(port), "--token", TOKEN,
               "--speed", str(speed), "--start-days-ago", str(REPLAY_DAYS), "-v", "0"]
    return subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL)


def prepare(count: int) -> list[str]:
    from logistics.models import Carrier, Parcel
    from orders.models import Shop
    from tests.factories import BuyerFactory, OrderFactory

    carrier, _ = Carrier.objects.update_or_create(
        code="bench-demo", defaults={"name": "Bench demo", "adapter": "demo", "max_batch": 40, "requests_per_minute": 1_000_000},
    )
    Carrier.objects.exclude(id=carrier.id).update(is_active=False)
    shop, _ = Shop.objects.get_or_create(slug="bench-p1", defaults={"name": "Bench P1"})
    have = Parcel.objects.filter(carrier=carrier).count()
    if have < count:
        buyer = BuyerFactory()
        orders = [OrderFactory.build(shop=shop, buyer=buyer, posting_number=f"P1-{n}") for n in range(have, count)]
        from orders.models import Order

        Order.objects.bulk_create(orders, batch_size=2000)
        saved = Order.objects.filter(shop=shop, posting_number__in=[o.posting_number for o in orders])
        Parcel.objects.bulk_create(
            [Parcel(order=o, carrier=carrier, tracking_number=f"BENCH{o.id:08d}") for o in saved], batch_size=2000
        )
    return list(Parcel.objects.filter(carrier=carrier).order_by("id").values_list("tracking_number", flat=True)[:count])


def reset(numbers: list[str]) -> None:
    from django.utils import timezone

    from logistics.models import Parcel, TrackingEvent

    TrackingEvent.objects.filter(parcel__tracking_number__in=numbers).delete()
    Parcel.objects.filter(tracking_number__in=numbers).update(
        status="pending", last_event_at=None, last_polled_at=None, status_changed_at=None, next_poll_at=timezone.now(), poll_claim="",
    )
    from django.db import connection

    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would have after a bulk change
        cursor.execute("VACUUM ANALYZE logistics_trackingevent")
        cursor.execute("VACUUM ANALYZE logistics_parcel")


def register(url: str, numbers: list[str]) -> None:
    import httpx

    with httpx.Client(headers={"17token": TOKEN}) as client:
        for start in range(0, len(numbers), 40):
            client.post(f"{url}/track/v2.2/register", json=[{"number": n} for n in numbers[start : start + 40]]).raise_for_status()


def run_naive(url: str, numbers: list[str]) -> float:
    """One request per parcel, one save per event: how a first draft would poll."""
    import httpx
    from django.utils import timezone

    from logistics.carriers.seventeentrack import parse_gettrackinfo
    from logistics.models import Parcel, TrackingEvent

    started = time.perf_counter()
    with httpx.Client(headers={"17token": TOKEN}) as client:
        for number in numbers:
            response = client.post(f"{url}/track/v2.2/gettrackinfo", json=[{"number": number}])
            result = parse_gettrackinfo(response.json())[number]
            parcel = Parcel.objects.get(tracking_number=number)
            for e in result.events:
                TrackingEvent.objects.get_or_create(
                    parcel=parcel, event_key=e.event_key,
                    defaults={"occurred_at": e.occurred_at, "status": e.status, "raw_code": e.raw_code,
                              "raw_description": e.raw_description, "location": e.location},
                )
            if result.events:
                parcel.status, parcel.last_event_at = result.events[-1].status, result.events[-1].occurred_at
            parcel.last_polled_at = timezone.now()
            parcel.save()
    return len(numbers) / (time.perf_counter() - started)


def run_worker_path(url: str, numbers: list[str], workers: int, queue: str) -> tuple[float, int]:
    from logistics.models import Parcel, TrackingEvent
    from logistics.polling import poll_due_parcels
    from supportdesk.celery import app

    env = {**os.environ, "CARRIER_DEMO_URL": url, "CARRIER_DEMO_TOKEN": TOKEN}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "supportdesk", "worker", "--pool", "prefork", "--concurrency", str(workers),
         "--queues", queue, "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
        cwd=ROOT, env=env,
    )
    try:
        while not app.control.ping(timeout=0.5):
            time.sleep(0.5)
        pending = Parcel.objects.filter(carrier__code="bench-demo", last_polled_at__isnull=True)
        started = time.perf_counter()
        claimed = 0
        while pending.exists():
            claimed += poll_due_parcels()  # what beat does every tick
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    events = TrackingEvent.objects.filter(parcel__carrier__code="bench-demo").count()
    print(f"worker path: {len(numbers):,} parcels ({claimed:,} claims, {events:,} events) in {elapsed:.2f}s")
    return len(numbers) / elapsed, events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=20_000)
    parser.add_argument("--naive", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ.update(CELERY_BROKER_URL=BROKER, CELERY_TASK_DEFAULT_QUEUE=queue, LOG_LEVEL="WARNING", POLL_TICK_SECONDS="60")
    setup_django()
    print(f"machine: {machine()}")
    numbers = prepare(args.parcels)
    port = free_port()
    emulator = start_emulator(port)
    url = f"http://127.0.0.1:{port}"
    try:
        time.sleep(2)
        register(url, numbers)
        print(f"registered {len(numbers):,} numbers; replaying {REPLAY_DAYS} days of journeys...", flush=True)
        time.sleep(REPLAY_SECONDS + 2)
        reset(numbers)
        naive_rate = run_naive(url, numbers[: args.naive])
        print(f"naive loop: {naive_rate:,.0f} parcels/s over {args.naive:,} parcels")
        reset(numbers)
        rate, _events = run_worker_path(url, numbers, args.workers, queue)
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    print(f"P1 parcels_per_s={rate:.0f} naive_ratio={rate / naive_rate:.1f}")


if __name__ == "__main__":
    main()
