from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from django.utils import timezone

from logistics import polling
from logistics.carriers.base import CarrierPermanentError, CarrierTemporaryError, TrackingEvent, TrackingResult
from logistics.models import Carrier, Parcel
from logistics.polling import parcels_claim_due, parcels_refresh, poll_due_parcels
from logistics.statuses import ParcelStatus
from logistics.tasks import parcels_refresh_task
from tests.factories import CarrierFactory, ParcelFactory

T0 = dt.datetime(2026, 11, 10, 6, 0, tzinfo=dt.UTC)


class FakeCarrier:
    """Answers like a carrier: every number in transit since T0, with scripted failures."""

    code = "demo"
    max_batch = 40

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.failures: list[Exception] = []
        self.skip: set[str] = set()
        self.refuse: set[str] = set()

    def track_many(self, numbers: Sequence[str]) -> dict[str, TrackingResult]:
        self.calls.append(list(numbers))
        if self.failures:
            raise self.failures.pop(0)
        event = TrackingEvent(occurred_at=T0, status=ParcelStatus.IN_TRANSIT, raw_code="InTransit_Other", raw_description="Sorted")
        return {
            n: TrackingResult(n, found=False, error="unknown number", permanent_error=True) if n in self.refuse else TrackingResult(n, events=(event,))
            for n in numbers
            if n not in self.skip
        }


@pytest.fixture
def fake(monkeypatch) -> FakeCarrier:
    carrier = FakeCarrier()
    monkeypatch.setattr(polling, "get_client", lambda adapter: carrier)
    return carrier


@pytest.fixture
def demo(db) -> Carrier:
    return CarrierFactory(code="demo", adapter=Carrier.Adapter.DEMO, max_batch=3, requests_per_minute=600)


def due_parcels(carrier: Carrier, count: int, **kwargs) -> list[Parcel]:
    return [ParcelFactory(carrier=carrier, next_poll_at=timezone.now() - dt.timedelta(minutes=1), **kwargs) for _ in range(count)]


def test_tick_claims_due_parcels_and_sends_one_task_per_batch(fake, demo):
    parcels = due_parcels(demo, 7)
    not_due = ParcelFactory(carrier=demo, next_poll_at=timezone.now() + dt.timedelta(hours=1))
    finished = ParcelFactory(carrier=demo, status=ParcelStatus.DELIVERED, next_poll_at=timezone.now() - dt.timedelta(hours=1))
    assert poll_due_parcels() == 7
    assert sorted(len(call) for call in fake.calls) == [1, 3, 3]
    for parcel in parcels:
        parcel.refresh_from_db()
        assert parcel.status == ParcelStatus.IN_TRANSIT and parcel.last_polled_at is not None
        assert parcel.next_poll_at > timezone.now()
    assert all(number not in sum(fake.calls, []) for number in (not_due.tracking_number, finished.tracking_number))


def test_a_claimed_parcel_cannot_be_claimed_again_until_its_lease_ends(demo):
    due_parcels(demo, 4)
    now = timezone.now()
    first = parcels_claim_due(carrier=demo, limit=10, now=now, lease=dt.timedelta(minutes=10))
    second = parcels_claim_due(carrier=demo, limit=10, now=now, lease=dt.timedelta(minutes=10))
    after_lease = parcels_claim_due(carrier=demo, limit=10, now=now + dt.timedelta(minutes=11), lease=dt.timedelta(minutes=10))
    assert len(first) == 4 and second == [] and sorted(after_lease) == sorted(first)


def test_rate_limit_caps_parcels_claimed_per_tick(fake, demo, settings):
    settings.POLL_TICK_SECONDS = 10
    demo.requests_per_minute = 6  # one request per 10-second tick
    demo.save()
    due_parcels(demo, 5)
    assert poll_due_parcels() == 3  # one batch of max_batch=3
    assert poll_due_parcels() == 2


def test_paused_and_unconfigured_carriers_are_skipped(fake, demo, settings):
    demo.paused_until = timezone.now() + dt.timedelta(minutes=5)
    demo.save()
    due_parcels(demo, 2)
    settings.CARRIER_17TRACK_TOKEN = ""
    due_parcels(CarrierFactory(code="yanwen", adapter=Carrier.Adapter.SEVENTEEN_TRACK), 2)
    assert poll_due_parcels() == 0
    assert fake.calls == []


def test_one_refused_or_missing_number_does_not_affect_the_batch(fake, demo):
    good, refused, missing = due_parcels(demo, 3)
    fake.refuse.add(refused.tracking_number)
    fake.skip.add(missing.tracking_number)
    report = parcels_refresh(carrier_id=demo.id, parcel_ids=[good.id, refused.id, missing.id])
    assert (report.polled, report.updated, report.stopped, report.missing) == (3, 1, 1, 1)
    refused.refresh_from_db()
    missing.refresh_from_db()
    good.refresh_from_db()
    assert good.status == ParcelStatus.IN_TRANSIT
    assert refused.next_poll_at is None and refused.polling_stopped_reason == "unknown number"
    assert missing.next_poll_at is not None and missing.status == ParcelStatus.PENDING


def test_temporary_error_is_retried_honouring_retry_after(fake, demo, monkeypatch):
    parcels = due_parcels(demo, 2)
    fake.failures = [CarrierTemporaryError("429 Too Many Requests", retry_after=30)]
    countdowns: list[float] = []
    original_retry = parcels_refresh_task.retry

    def spy_retry(*args, **kwargs):
        countdowns.append(kwargs["countdown"])
        return original_retry(*args, **kwargs)

    monkeypatch.setattr(parcels_refresh_task, "retry", spy_retry)
    parcels_refresh_task.apply(args=(demo.id, [p.id for p in parcels]), throw=False)
    assert countdowns == [30]
    assert len(fake.calls) == 2  # eager retry ran the batch again, and it went through
    assert Parcel.objects.filter(status=ParcelStatus.IN_TRANSIT).count() == 2
    demo.refresh_from_db()
    assert demo.consecutive_failures == 0  # success closes the breaker


def test_repeated_failures_open_the_circuit_breaker(fake, demo):
    parcels = due_parcels(demo, 1)
    for _ in range(polling.FAILURES_BEFORE_PAUSE):
        fake.failures.append(CarrierTemporaryError("HTTP 503"))
        with pytest.raises(CarrierTemporaryError):
            parcels_refresh(carrier_id=demo.id, parcel_ids=[parcels[0].id])
    demo.refresh_from_db()
    assert demo.consecutive_failures == polling.FAILURES_BEFORE_PAUSE
    assert demo.paused_until is not None and demo.paused_until > timezone.now()
    assert demo.last_error == "HTTP 503"


def test_bad_credentials_pause_the_carrier_without_stopping_parcels(fake, demo):
    parcel = due_parcels(demo, 1)[0]
    fake.failures.append(CarrierPermanentError("bad credentials"))
    parcels_refresh(carrier_id=demo.id, parcel_ids=[parcel.id])
    demo.refresh_from_db()
    parcel.refresh_from_db()
    assert demo.paused_until is not None
    assert parcel.polling_stopped_reason == ""


def test_poll_now_polls_at_once_even_after_polling_stopped(fake, demo, django_capture_on_commit_callbacks):
    from logistics.polling import parcels_poll_now

    later = ParcelFactory(carrier=demo, next_poll_at=timezone.now() + dt.timedelta(hours=3))
    stopped = ParcelFactory(carrier=demo, next_poll_at=None, polling_stopped_reason="carrier refused")
    finished = ParcelFactory(carrier=demo, status=ParcelStatus.DELIVERED, next_poll_at=None)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sent = parcels_poll_now(parcel_ids=[later.id, stopped.id, finished.id])
    assert sent == 2 and len(callbacks) == 1  # one batch, sent only on commit
    assert sorted(sum(fake.calls, [])) == sorted([later.tracking_number, stopped.tracking_number])
    stopped.refresh_from_db()
    assert stopped.status == ParcelStatus.IN_TRANSIT and stopped.polling_stopped_reason == ""


def test_admin_poll_now_action(fake, demo, client, superuser, django_capture_on_commit_callbacks):
    parcel = ParcelFactory(carrier=demo, next_poll_at=timezone.now() + dt.timedelta(hours=3))
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/logistics/parcel/", {"action": "poll_now", "_selected_action": [parcel.id]}, follow=True)
    assert "1 parcel(s) sent to their carriers." in response.content.decode()
    parcel.refresh_from_db()
    assert parcel.status == ParcelStatus.IN_TRANSIT
