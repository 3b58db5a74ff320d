"""Two workers claiming the same delivery at once: exactly one wins (PostgreSQL, two real connections)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from tests.factories import ShopFactory, WebhookSubscriptionFactory
from webhooks import delivery as webhook_delivery
from webhooks.models import EventType, WebhookDelivery
from webhooks.outbox import record_event

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_claim_waiting_on_another_sees_it_taken(monkeypatch):
    from webhooks import outbox

    monkeypatch.setattr(outbox, "_enqueue_on_commit", lambda delivery_ids: None)  # no first attempt of its own
    if connection.vendor != "postgresql":
        pytest.fail("needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/supportdesk")
    shop = ShopFactory()
    WebhookSubscriptionFactory(shop=shop, url="https://hooks.example.com/in", events=[EventType.CASE_CREATED])
    record_event(shop=shop, event_type=EventType.CASE_CREATED, data={"n": 1})
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    results: dict[str, bool] = {}
    first_claimed, second_started = threading.Event(), threading.Event()

    def first() -> None:
        with transaction.atomic():  # holds the row lock until the second claim is waiting on it
            results["first"] = webhook_delivery.claim(delivery.id, now)
            first_claimed.set()
            second_started.wait(10)
            threading.Event().wait(0.5)  # let the second UPDATE reach the lock
        connections.close_all()

    def second() -> None:
        first_claimed.wait(10)
        second_started.set()
        results["second"] = webhook_delivery.claim(delivery.id, now)
        connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert results == {"first": True, "second": False}
    assert WebhookDelivery.objects.get().attempts == 1
