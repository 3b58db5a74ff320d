from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from logistics.carriers import seventeentrack
from logistics.models import Carrier, TrackingEvent
from logistics.services import parcel_apply_tracking
from logistics.statuses import ParcelStatus
from tests.factories import CarrierFactory, ParcelFactory

FIXTURES = Path(__file__).resolve().parents[2] / "logistics" / "carriers" / "fixtures"
PUSH_17TRACK = (FIXTURES / "17track" / "17track_webhook_tracking_updated_delivered.json").read_bytes()
PUSH_CDEK = (FIXTURES / "cdek" / "cdek_webhook_order_status_delivered.json").read_bytes()
URL = "/webhooks/carriers/{}/"


def sign(body: bytes, key: str) -> str:
    return hashlib.sha256(body + b"/" + key.encode()).hexdigest()


@pytest.fixture
def ups_parcel(db, settings):
    settings.CARRIER_17TRACK_TOKEN = "push-key"
    carrier = CarrierFactory(code="ups-via-17track", adapter=Carrier.Adapter.SEVENTEEN_TRACK)
    return ParcelFactory(carrier=carrier, tracking_number="1Z2617V10397725789")


def push(client, body: bytes, sign_header: str | None, adapter: str = "17track", query: str = ""):
    headers = {"sign": sign_header} if sign_header else {}
    return client.post(URL.format(adapter) + query, data=body, content_type="application/json", headers=headers)


def test_signed_17track_push_is_stored_once(client, ups_parcel):
    first = push(client, PUSH_17TRACK, sign(PUSH_17TRACK, "push-key"))
    assert first.status_code == 200, first.content
    stored = TrackingEvent.objects.filter(parcel=ups_parcel).count()
    assert stored > 0
    push(client, PUSH_17TRACK, sign(PUSH_17TRACK, "push-key"))
    ups_parcel.refresh_from_db()
    assert TrackingEvent.objects.filter(parcel=ups_parcel).count() == stored
    assert ups_parcel.status == ParcelStatus.DELIVERED


def test_pushed_and_polled_copies_of_an_event_are_stored_once(client, ups_parcel):
    push(client, PUSH_17TRACK, sign(PUSH_17TRACK, "push-key"))
    stored = TrackingEvent.objects.filter(parcel=ups_parcel).count()
    import json

    polled = seventeentrack.parse_webhook(json.loads(PUSH_17TRACK))  # the same events, arriving through a poll
    parcel_apply_tracking(parcel=ups_parcel, result=polled)
    assert TrackingEvent.objects.filter(parcel=ups_parcel).count() == stored


@pytest.mark.parametrize("signature", [None, "0" * 64, "not-hex"])
def test_unsigned_or_wrongly_signed_push_is_refused(client, ups_parcel, signature):
    response = push(client, PUSH_17TRACK, signature)
    assert response.status_code == 401
    assert response.json()["detail"] == "signature missing or wrong"
    assert not TrackingEvent.objects.exists()


def test_malformed_push_gets_a_json_400_and_is_logged(client, ups_parcel, caplog):
    body = b'{"event": "TRACKING_UPDATED", "data": '
    response = push(client, body, sign(body, "push-key"))
    assert response.status_code == 400
    assert response.json()["status"] == 400
    assert "TRACKING_UPDATED" in caplog.text  # the raw body is in the log


def test_push_for_unknown_number_is_acknowledged_and_ignored(client, settings, db):
    settings.CARRIER_17TRACK_TOKEN = "push-key"
    response = push(client, PUSH_17TRACK, sign(PUSH_17TRACK, "push-key"))
    assert response.status_code == 202


def test_cdek_push_needs_our_secret(client, settings, db):
    settings.CARRIER_CDEK_WEBHOOK_SECRET = "s3cret"
    parcel = ParcelFactory(carrier=CarrierFactory(code="cdek", adapter=Carrier.Adapter.CDEK), tracking_number="1106153417")
    assert push(client, PUSH_CDEK, None, adapter="cdek").status_code == 401
    assert push(client, PUSH_CDEK, None, adapter="cdek", query="?secret=wrong").status_code == 401
    response = push(client, PUSH_CDEK, None, adapter="cdek", query="?secret=s3cret")
    assert response.status_code == 200, response.content
    parcel.refresh_from_db()
    assert parcel.status == ParcelStatus.DELIVERED


def test_unknown_adapter_and_get_are_refused(client, db):
    assert client.post(URL.format("fedex"), data=b"{}", content_type="application/json").status_code == 404
    assert client.get(URL.format("17track")).status_code == 405
