"""Claim dossier: build time, queries and memory as the evidence grows (no target in DESIGN §8; proves the ZIP
streams files from storage instead of holding them, and that queries stay constant).

Usage: BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_claims_bench .venv/bin/python bench/dossier.py
    [--events 40] [--messages 30] [--file-mb 5] [--files 10,40]
Builds one lost-parcel case with that many tracking events and messages (Russian and Chinese text), then
builds its dossier after adding evidence files of --file-mb random bytes up to each count in --files.
Evidence lives in a temporary MEDIA_ROOT, removed at the end.
Last line: DOSSIER files=<n> evidence_mb=<m> ms=<t> peak_py_mb=<p> queries=<q>
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from typing import TYPE_CHECKING

if sys.path[0] == os.path.dirname(os.path.abspath(__file__)):  # bench/ last: its queue.py would shadow the stdlib's
    sys.path.append(sys.path.pop(0))
from _common import machine, peak_rss_mb, setup_django

if TYPE_CHECKING:
    from tickets.models import Claim, Ticket


def make_case(events: int, messages: int) -> Ticket:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from logistics.models import Carrier, Parcel, TrackingEvent
    from orders.models import Order, OrderLine, Shop
    from tickets.models import Message, Ticket, TicketKind

    stamp = timezone.now()
    shop, _ = Shop.objects.get_or_create(slug="bench-dossier", defaults={"name": "深圳小店"})
    buyer, _ = get_user_model().objects.get_or_create(username="bench-dossier-buyer")
    carrier, _ = Carrier.objects.get_or_create(code="bench-dossier", defaults={"name": "Почта России"})
    order = Order.objects.create(
        shop=shop, buyer=buyer, order_number=f"BD-{stamp:%H%M%S%f}", posting_number=f"BD-{stamp:%H%M%S%f}-1", scheme="fbs",
        recipient_name="王小明", city="Москва", address_line="ул. Тверская, д. 1", declared_value=Decimal("4500"),
        placed_at=stamp - dt.timedelta(days=30),
    )
    OrderLine.objects.bulk_create(OrderLine(order=order, sku=f"S{i}", name=f"Товар 商品 {i}", unit_price=Decimal("900")) for i in range(5))
    parcel = Parcel.objects.create(order=order, carrier=carrier, tracking_number=f"BD{stamp:%H%M%S%f}")
    TrackingEvent.objects.bulk_create(
        TrackingEvent(parcel=parcel, event_key=f"e{i}", occurred_at=stamp - dt.timedelta(hours=events - i), status="in_transit",
                      raw_code=str(i % 30), raw_description="Сортировка 分拣中心", location="Москва")
        for i in range(events)
    )
    ticket = Ticket.objects.create(shop=shop, buyer=buyer, order=order, parcel=parcel, kind=TicketKind.LOST_PARCEL, subject="Посылка")
    Message.objects.bulk_create(
        Message(ticket=ticket, author=buyer, body=f"Где посылка? 包裹在哪里？ {i}", visibility="internal" if i % 5 == 0 else "public")
        for i in range(messages)
    )
    return ticket


def add_files(ticket: Ticket, upto: int, size_mb: int) -> None:
    from django.core.files.base import ContentFile

    from tickets.models import Message
    from tickets.services import attachment_add

    message = Message.objects.filter(ticket=ticket, visibility="public").first()
    if message is None:
        raise SystemExit("the bench case has no public message to carry evidence")
    for i in range(ticket.attachments.count(), upto):
        data = os.urandom(size_mb * 1024 * 1024)
        attachment_add(message=message, upload=ContentFile(data, name=f"фото-{i}.jpg"), original_name=f"фото-{i}.jpg",
                       content_type="image/jpeg", evidence_kind="package_photo", acting_user=None)


def measure(claim: Claim) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets.dossier import claim_dossier

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        archive = claim_dossier(claim=claim)
    elapsed = (time.perf_counter() - started) * 1000
    size = archive.seek(0, os.SEEK_END)
    archive.close()
    tracemalloc.start()  # a second build under tracemalloc (slower) for the Python heap's peak
    claim_dossier(claim=claim).close()
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return elapsed, peak, len(queries), size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--file-mb", type=int, default=5)
    parser.add_argument("--files", default="10,40")
    args = parser.parse_args()
    media = tempfile.mkdtemp(prefix="bench-dossier-media-")
    os.environ["MEDIA_ROOT"] = media
    try:
        setup_django()
        from tickets.models import Claim

        print(machine())
        ticket = make_case(args.events, args.messages)
        claim = Claim.objects.create(ticket=ticket, kind="compensation", amount=Decimal("4500"), currency="RUB")
        for count in [int(n) for n in args.files.split(",")]:
            add_files(ticket, count, args.file_mb)
            ms, peak, queries, size = measure(claim)
            print(f"files={count} evidence={count * args.file_mb} MB zip={size / 1024 / 1024:.1f} MB build={ms:.0f} ms "
                  f"python_heap_peak={peak:.1f} MB queries={queries} process_peak_rss={peak_rss_mb():.0f} MB")
        print(f"DOSSIER files={count} evidence_mb={count * args.file_mb} ms={ms:.0f} peak_py_mb={peak:.1f} queries={queries}")
    finally:
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
