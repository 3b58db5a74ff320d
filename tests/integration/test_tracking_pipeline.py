"""The tracking engine end to end: real beat + worker processes over Redis, PostgreSQL, and the
17TRACK emulator on loopback.

The emulator's clock starts 20 days in the past and replays it fast until it reaches real time,
so parcels registered on their first poll have weeks of history by the second poll.
"""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest
from django.utils import timezone

from logistics.carriers.seventeentrack import parse_gettrackinfo
from logistics.emulator import start_emulator
from logistics.models import Carrier, CarrierThreshold, Parcel, TrackingEvent
from logistics.statuses import ParcelStatus
from tests.factories import CarrierFactory, OrderFactory, ParcelFactory
from tests.integration.conftest import SERVICE_TEST, wait_for
from tickets.models import Ticket, TicketKind

pytestmark = SERVICE_TEST

REPLAY_DAYS = 20
REPLAY_SECONDS = 15  # the emulated clock catches up with real time after this long
TOKEN = "pipeline-token"
PIPELINE_ENV = {"POLL_TICK_SECONDS": "1", "ANOMALY_SWEEP_SECONDS": "5", "POLL_LEASE_SECONDS": "5", "CARRIER_DEMO_TOKEN": TOKEN}


@pytest.fixture
def emulator():
    handle = start_emulator(speed=REPLAY_DAYS * 86400 / REPLAY_SECONDS, token=TOKEN, start_days_ago=REPLAY_DAYS)
    yield handle
    handle.stop()


@pytest.fixture
def demo_carrier(db) -> Carrier:
    return CarrierFactory(
        code="demo", adapter=Carrier.Adapter.DEMO, max_batch=40, requests_per_minute=6000, stall_days=1, lost_days=2,
    )


def make_parcel(carrier: Carrier, number: str, promised_in_days: int) -> Parcel:
    order = OrderFactory(promised_delivery_date=timezone.localdate() + dt.timedelta(days=promised_in_days))
    return ParcelFactory(order=order, carrier=carrier, tracking_number=number, promised_date=order.promised_delivery_date)


def register_and_replay(emulator, numbers: list[str]) -> None:
    """Register the numbers while the emulated clock is still weeks behind (as a seller's system
    does when it ships), then wait until the clock has replayed their journeys up to now."""
    for start in range(0, len(numbers), 40):
        batch = [{"number": n} for n in numbers[start : start + 40]]
        httpx.post(f"{emulator.url}/track/v2.2/register", json=batch, headers={"17token": TOKEN}).raise_for_status()
    wait_for(lambda: emulator.now().timestamp() >= time.time() - 1, timeout=REPLAY_SECONDS + 10, what="the emulator to catch up")


def emulator_event_counts(url: str, numbers: list[str]) -> dict[str, int]:
    response = httpx.post(f"{url}/track/v2.2/gettrackinfo", json=[{"number": n} for n in numbers], headers={"17token": TOKEN})
    return {n: len(r.events) for n, r in parse_gettrackinfo(response.json()).items()}


def test_parcels_advance_and_anomalies_open_exactly_one_case_each(emulator, demo_carrier, celery_processes):
    on_time = make_parcel(demo_carrier, "DEMOONTIME0001", promised_in_days=30)
    stalled = make_parcel(demo_carrier, "DEMOSTALL0001", promised_in_days=30)
    late = make_parcel(demo_carrier, "DEMOCUSTOMS0001", promised_in_days=-2)
    # Held in customs for weeks: this seller expects that and relaxes the loss thresholds, so the
    # parcel is only late, not suspected lost.
    CarrierThreshold.objects.create(shop=late.order.shop, carrier=demo_carrier, stall_days=30, lost_days=40)
    register_and_replay(emulator, ["DEMOONTIME0001", "DEMOSTALL0001", "DEMOCUSTOMS0001"])
    for kind in ("worker", "beat"):
        celery_processes.start(kind, CARRIER_DEMO_URL=emulator.url, **PIPELINE_ENV)

    wait_for(lambda: Parcel.objects.get(id=on_time.id).status == ParcelStatus.DELIVERED, timeout=60, what="delivery")
    cases = Ticket.objects.filter(channel="system")
    wait_for(lambda: cases.count() >= 2, timeout=60, what=f"anomaly cases\n{celery_processes.logs()}")
    time.sleep(12)  # two more sweeps and case runs: still one case per anomaly
    assert sorted(cases.values_list("parcel__tracking_number", "kind")) == [
        ("DEMOCUSTOMS0001", TicketKind.DELIVERY_DELAY), ("DEMOSTALL0001", TicketKind.LOST_PARCEL),
    ]
    stalled.refresh_from_db()
    assert stalled.status == ParcelStatus.IN_TRANSIT and stalled.events.count() >= 3
    assert late.tickets.get().attachments.filter(evidence_kind="tracking_timeline").exists()


def test_killing_the_worker_mid_batch_loses_nothing_and_stores_nothing_twice(emulator, demo_carrier, celery_processes):
    parcels = [make_parcel(demo_carrier, f"DEMOONTIME{n:04d}", promised_in_days=30) for n in range(60)]
    numbers = [p.tracking_number for p in parcels]
    register_and_replay(emulator, numbers)
    emulator.set_fault("timeout", count=100, delay=30)  # every batch now hangs inside the worker
    worker = celery_processes.start("worker", CARRIER_DEMO_URL=emulator.url, **PIPELINE_ENV)
    celery_processes.start("beat", CARRIER_DEMO_URL=emulator.url, **PIPELINE_ENV)
    claimed = Parcel.objects.exclude(poll_claim="")
    wait_for(lambda: claimed.count() == 60, timeout=60, what=f"the batches to be claimed\n{celery_processes.logs()}")
    time.sleep(2)
    celery_processes.kill(worker)  # SIGKILL, mid-request
    assert not TrackingEvent.objects.exists()
    emulator.clear_faults()

    celery_processes.start("worker", CARRIER_DEMO_URL=emulator.url, **PIPELINE_ENV)
    delivered = Parcel.objects.filter(status=ParcelStatus.DELIVERED)
    wait_for(lambda: delivered.count() == 60, timeout=90, what=f"every parcel to be polled again\n{celery_processes.logs()}")
    expected = emulator_event_counts(emulator.url, numbers[:40]) | emulator_event_counts(emulator.url, numbers[40:])
    stored = {p.tracking_number: p.events.count() for p in Parcel.objects.filter(id__in=[p.id for p in parcels])}
    assert stored == expected
