"""Pushing changed tracking numbers of Ozon FBS postings back to Ozon: once, retried, recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from logistics.services import parcel_change_tracking_number
from logistics.tracking_numbers import make_russian_post_14
from marketplace.models import MarketplacePush
from marketplace.ozon.client import TRACKING_SET_PATH
from marketplace.services import PUSH_MAX_ATTEMPTS, marketplace_push_due, marketplace_push_send, marketplace_queue_tracking_pushes
from marketplace.tasks import marketplace_push_tracking_numbers_task
from tests.factories import MarketplaceAccountFactory, OrderFactory, ParcelFactory, ShopFactory
from tests.logistics.carrier_server import CarrierServer, Reply
from tests.marketplace.conftest import payload

OLD, NEW, NEWER = (make_russian_post_14(f"800832123456{d}") for d in (1, 2, 3))
OK = Reply(body={"result": [{"error": [], "posting_number": "57000001-0050-1", "result": True}]})


@pytest.fixture
def parcel(account: Any, carriers: Any) -> Any:
    order = OrderFactory(shop=account.shop, posting_number="57000001-0050-1", scheme="fbs")
    return ParcelFactory(order=order, carrier=carriers["russian-post"], tracking_number=OLD)


def change(parcel: Any, number: str = NEW, user: Any = None) -> Any:
    return parcel_change_tracking_number(parcel=parcel, new_number=number, reason="Relabelled", acting_user=user)


def test_a_changed_number_is_pushed_once(ozon: CarrierServer, parcel: Any, agent: Any) -> None:
    ozon.route("POST", TRACKING_SET_PATH, OK)
    tracking_change = change(parcel, user=agent)

    assert marketplace_push_tracking_numbers_task.delay().get() == 1
    assert marketplace_push_due() == 0

    [request] = ozon.received("POST", TRACKING_SET_PATH)
    assert request.json() == {"tracking_numbers": [{"posting_number": "57000001-0050-1", "tracking_number": NEW}]}
    assert request.headers["client-id"] == "836001"
    push = MarketplacePush.objects.get(change=tracking_change)
    assert (push.status, push.attempts, push.last_error) == ("sent", 1, "")
    assert push.sent_at is not None


def test_queueing_twice_queues_once(parcel: Any) -> None:
    change(parcel)

    assert marketplace_queue_tracking_pushes() == 1
    assert marketplace_queue_tracking_pushes() == 0
    assert MarketplacePush.objects.count() == 1


def test_429_waits_for_retry_after_then_sends(ozon: CarrierServer, parcel: Any) -> None:
    ozon.route("POST", TRACKING_SET_PATH, Reply(429, headers={"Retry-After": "120"}, body={"message": "slow down"}), OK)
    change(parcel)
    now = dt.datetime.now(dt.UTC)

    assert marketplace_push_due(now=now) == 0
    push = MarketplacePush.objects.get()
    assert (push.status, push.attempts, push.next_attempt_at) == ("pending", 1, now + dt.timedelta(seconds=120))
    assert "429" in push.last_error
    assert marketplace_push_due(now=now + dt.timedelta(seconds=60)) == 0  # not due yet
    assert marketplace_push_due(now=now + dt.timedelta(seconds=121)) == 1
    assert ozon.count("POST", TRACKING_SET_PATH) == 2


def test_temporary_errors_give_up_after_the_last_attempt(ozon: CarrierServer, parcel: Any) -> None:
    ozon.route("POST", TRACKING_SET_PATH, Reply(500, body="down"))
    change(parcel)
    marketplace_queue_tracking_pushes()
    push = MarketplacePush.objects.get()
    push.attempts = PUSH_MAX_ATTEMPTS - 1
    push.save(update_fields=["attempts"])

    marketplace_push_send(push=push)

    push.refresh_from_db()
    assert (push.status, push.attempts) == ("failed", PUSH_MAX_ATTEMPTS)


@pytest.mark.parametrize(
    ("reply", "error"),
    [(Reply(401, body=payload("ozon_error_401_missing_client_id.json")), "Client-Id and Api-Key headers are required"),
     (Reply(body={"result": [{"posting_number": "57000001-0050-1", "result": False, "error": ["INVALID_TRACKING_NUMBER"]}]}),
      "INVALID_TRACKING_NUMBER")],
)
def test_permanent_errors_and_refusals_are_recorded_not_retried(ozon: CarrierServer, parcel: Any, reply: Reply, error: str) -> None:
    ozon.route("POST", TRACKING_SET_PATH, reply)
    change(parcel)

    marketplace_push_due()
    marketplace_push_due(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))

    push = MarketplacePush.objects.get()
    assert push.status == "failed"
    assert error in push.last_error
    assert ozon.count("POST", TRACKING_SET_PATH) == 1


def test_an_older_change_is_superseded_by_a_newer_one(ozon: CarrierServer, parcel: Any) -> None:
    ozon.route("POST", TRACKING_SET_PATH, OK)
    first = change(parcel, NEW)
    second = change(parcel, NEWER)

    marketplace_push_due(now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))

    assert MarketplacePush.objects.get(change=first).status == "superseded"
    assert MarketplacePush.objects.get(change=second).status == "sent"
    assert [r.json()["tracking_numbers"][0]["tracking_number"] for r in ozon.received("POST", TRACKING_SET_PATH)] == [NEWER]


def test_a_push_claimed_by_another_worker_is_not_sent_again(ozon: CarrierServer, parcel: Any) -> None:
    ozon.route("POST", TRACKING_SET_PATH, OK)
    change(parcel)
    marketplace_queue_tracking_pushes()
    stale = MarketplacePush.objects.select_related("account", "change").get()
    MarketplacePush.objects.filter(id=stale.id).update(attempts=1)  # the other worker's claim

    marketplace_push_send(push=stale)

    assert ozon.count("POST", TRACKING_SET_PATH) == 0


def test_fbo_orders_and_shops_without_an_active_account_are_not_pushed(carriers: Any, account: Any) -> None:
    fbo = ParcelFactory(order=OrderFactory(shop=account.shop, scheme="fbo"), carrier=carriers["russian-post"], tracking_number=OLD)
    inactive = MarketplaceAccountFactory(shop=ShopFactory(), is_active=False)
    no_account = ParcelFactory(order=OrderFactory(shop=ShopFactory()), carrier=carriers["russian-post"], tracking_number=NEW)
    off = ParcelFactory(order=OrderFactory(shop=inactive.shop), carrier=carriers["russian-post"], tracking_number=NEWER)
    for digit, parcel in enumerate((fbo, no_account, off)):
        change(parcel, make_russian_post_14(f"800832123457{digit}"))

    assert marketplace_queue_tracking_pushes() == 0
