from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import IdempotencyRecord
from api.services import idempotency_records_purge
from tests.api.conftest import assert_problem, png_bytes
from tests.factories import OrderFactory, ParcelFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

KEY = {"Idempotency-Key": "f3c1d2a0-1"}


def _case(order, **changes):
    body = {"order": order.id, "kind": "other", "subject": "Question", "body": "Hello"}
    body.update(changes)
    return body


def test_same_key_and_body_replays_the_first_response_and_creates_nothing(api, order):
    first = api.post("/api/v1/cases", _case(order), headers=KEY)
    again = api.post("/api/v1/cases", _case(order), headers=KEY)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


def test_same_key_other_body_is_422(api, order):
    api.post("/api/v1/cases", _case(order), headers=KEY)
    assert_problem(api.post("/api/v1/cases", _case(order, body="Other"), headers=KEY), 422)
    assert Ticket.objects.count() == 1


def test_same_key_on_another_endpoint_is_422(api, order, carrier):
    api.post("/api/v1/cases", _case(order), headers=KEY)
    assert_problem(api.post("/api/v1/carriers/cdek/validate", {"tracking_number": "1"}, headers=KEY), 422)


def test_keys_are_per_token(api, other_api, order, other_order):
    api.post("/api/v1/cases", _case(order), headers=KEY)
    assert other_api.post("/api/v1/cases", _case(other_order), headers=KEY).status_code == 201
    assert Ticket.objects.count() == 2


def test_a_refused_request_is_replayed_as_refused(api, order):
    first = api.post("/api/v1/cases", _case(order, kind="bogus"), headers=KEY)
    again = api.post("/api/v1/cases", _case(order, kind="bogus"), headers=KEY)
    assert_problem(again, 400)
    assert again.json() == first.json()


def test_without_a_key_each_post_runs(api, order):
    api.post("/api/v1/cases", _case(order))
    api.post("/api/v1/cases", _case(order))
    assert Ticket.objects.count() == 2


def test_multipart_replay_compares_file_contents(api, order):
    def send(color):
        data = _case(order)
        data["screenshot"] = SimpleUploadedFile("s.png", png_bytes(color))
        return api.multipart("/api/v1/cases", data, headers=KEY)

    assert send("red").status_code == 201
    assert send("red")["Idempotent-Replayed"] == "true"
    assert_problem(send("blue"), 422)
    assert Ticket.objects.count() == 1


def test_a_key_runs_again_after_it_expires(api, order, settings):
    settings.API_IDEMPOTENCY_HOURS = 1
    api.post("/api/v1/cases", _case(order), headers=KEY)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        assert api.post("/api/v1/cases", _case(order), headers=KEY).status_code == 201
    assert Ticket.objects.count() == 2


def test_an_overlong_key_is_refused(api, order):
    assert_problem(api.post("/api/v1/cases", _case(order), headers={"Idempotency-Key": "k" * 256}), 400)


def test_a_key_still_running_is_409(api, order, token_pair):
    # The record a first attempt leaves while it runs (or if its process died mid-request).
    IdempotencyRecord.objects.create(owner=f"token:{token_pair[0].id}", key=KEY["Idempotency-Key"], fingerprint="x",
                                     expires_at=timezone.now() + dt.timedelta(hours=1))
    IdempotencyRecord.objects.update(fingerprint=_fingerprint_of(api, order))
    assert_problem(api.post("/api/v1/cases", _case(order), headers=KEY), 409)


def _fingerprint_of(api, order):
    """The fingerprint the server computes, read back from a record made under another key."""
    api.post("/api/v1/cases", _case(order), headers={"Idempotency-Key": "probe"})
    probe = IdempotencyRecord.objects.get(key="probe")
    Ticket.objects.all().delete()
    return probe.fingerprint


def test_purge_deletes_expired_records(api, order):
    api.post("/api/v1/cases", _case(order), headers=KEY)
    assert idempotency_records_purge(now=timezone.now() + dt.timedelta(days=2)) == 1
    assert not IdempotencyRecord.objects.exists()


def test_a_refusal_echoing_a_nul_character_is_still_kept_and_replayed(api, order):
    first = api.post("/api/v1/cases", _case(order, kind="bad\x00kind"), headers=KEY)
    assert_problem(first, 400)
    again = api.post("/api/v1/cases", _case(order, kind="bad\x00kind"), headers=KEY)
    assert again["Idempotent-Replayed"] == "true" and again.status_code == 400


def test_a_key_with_spaces_or_control_characters_is_refused(api, order):
    assert_problem(api.post("/api/v1/cases", _case(order), headers={"Idempotency-Key": "two words"}), 400)


def test_a_key_costs_four_statements_over_the_same_create_without_one(api, order):
    api.post("/api/v1/cases", _case(order))  # records last_used_at (at most once a minute)
    with CaptureQueriesContext(connection) as without_key:
        assert api.post("/api/v1/cases", _case(order)).status_code == 201
    with CaptureQueriesContext(connection) as with_key:
        assert api.post("/api/v1/cases", _case(order), headers=KEY).status_code == 201
    # The claim (INSERT ... ON CONFLICT DO NOTHING, no savepoint of its own), the stored response (UPDATE), and the
    # SAVEPOINT / RELEASE that case_open's transaction becomes inside the key's.
    assert len(with_key) - len(without_key) == 4


def test_a_refusal_from_inside_the_case_service_is_kept_and_replayed(api, order, carrier):
    """The parcel-of-another-order check runs inside case_open, within the key's transaction, which must stay usable."""
    elsewhere = ParcelFactory(order=OrderFactory(shop=order.shop, buyer=order.buyer), carrier=carrier)
    body = _case(order, parcel=elsewhere.id)
    first = api.post("/api/v1/cases", body, headers=KEY)
    assert assert_problem(first, 400)["errors"]["parcel"]
    again = api.post("/api/v1/cases", body, headers=KEY)
    assert again.status_code == 400 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert not Ticket.objects.exists()
