"""Concurrent duplicates on PostgreSQL: the unique constraint makes the second request wait and replay the first."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client

from api import services as api_services
from tickets.models import Ticket

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_simultaneous_posts_with_one_key_create_one_case(api, order, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.fail("needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name>")
    real_case_open = api_services.case_open

    def slow_case_open(**kwargs):
        time.sleep(0.5)  # hold the first request's transaction open while the second arrives
        return real_case_open(**kwargs)

    monkeypatch.setattr("api.views.cases.case_open", slow_case_open)
    body = json.dumps({"order": order.id, "kind": "other", "subject": "Twice", "body": "Sent twice at once"})
    start, responses = threading.Barrier(2), []

    def send() -> None:
        try:
            start.wait(timeout=10)
            responses.append(Client().post("/api/v1/cases", body, content_type="application/json",
                                           headers={"Authorization": f"Bearer {api.secret}", "Idempotency-Key": "same"}))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert sorted(r.get("Idempotent-Replayed", "") for r in responses) == ["", "true"]
    assert Ticket.objects.count() == 1
