"""Webhooks through a real worker (2 pool processes) over Redis: each delivery is sent exactly once,
however often the dispatcher runs at the same time."""

from __future__ import annotations

import json

import pytest

from supportdesk.celery import app
from tests.factories import ShopFactory, WebhookSubscriptionFactory
from tests.integration.conftest import SERVICE_TEST, wait_for
from tests.logistics.carrier_server import CarrierServer, Reply
from webhooks.models import EventType, WebhookDelivery
from webhooks.outbox import record_event
from webhooks.signing import verify

pytestmark = [*SERVICE_TEST, pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")]


def test_a_real_worker_delivers_each_event_once(celery_processes, celery_queue, monkeypatch):
    from webhooks import outbox

    # The first-attempt messages are "lost" (tests run tasks eagerly in-process): only the dispatcher,
    # sent through Redis to the worker, can deliver them.
    monkeypatch.setattr(outbox, "_enqueue_on_commit", lambda delivery_ids: None)
    celery_processes.start("worker", WEBHOOKS_ALLOW_LOOPBACK="1")
    shop = ShopFactory()
    with CarrierServer() as receiver:
        receiver.route("POST", "/hook", Reply(200, body="ok"))
        subscription = WebhookSubscriptionFactory(shop=shop, url=f"{receiver.url}/hook", events=[EventType.CASE_CREATED])
        for n in range(20):
            record_event(shop=shop, event_type=EventType.CASE_CREATED, data={"n": n})  # committed: transactional test
        for _ in range(4):  # overlapping dispatcher runs enqueue every delivery several times
            app.send_task("webhooks.tasks.webhooks_dispatch_due_task", queue=celery_queue)
        done = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.SUCCEEDED)
        wait_for(lambda: done.count() == 20, what=f"20 deliveries\n{celery_processes.logs()}")
        received = receiver.received("POST", "/hook")
    assert sorted(r.json()["data"]["n"] for r in received) == list(range(20))  # each exactly once
    for request in received:
        headers = request.headers
        assert verify(secret=subscription.secret, msg_id=headers["webhook-id"], timestamp=int(headers["webhook-timestamp"]),
                      body=request.body, signature_header=headers["webhook-signature"])  # fmt: skip
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}
    assert json.loads(received[0].body)["type"] == "case.created"
