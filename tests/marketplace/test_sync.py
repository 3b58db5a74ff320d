"""Pulling FBS postings from a local Ozon into orders and parcels."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model

from logistics.models import Parcel, TrackingEvent, TrackingNumberChange
from logistics.tracking_numbers import make_russian_post_14
from marketplace.models import MarketplacePush
from marketplace.ozon.client import LIST_PATH
from marketplace.ozon.errors import OzonPermanentError, OzonTemporaryError
from marketplace.services import marketplace_queue_tracking_pushes, ozon_sync_account
from marketplace.tasks import marketplace_sync_accounts_task
from orders.models import Order
from tests.factories import MarketplaceAccountFactory, ShopFactory
from tests.logistics.carrier_server import CarrierServer, Reply
from tests.marketplace.conftest import payload

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
RP_NUMBER = make_russian_post_14("8008321234567")


def posting(number: str, status: str = "awaiting_packaging", **changes: Any) -> dict[str, Any]:
    item = payload("ozon_v3_posting_fbs_get_response_awaiting_packaging.json")["result"]
    item.update(posting_number=number, order_number=number.rsplit("-", 1)[0], status=status, **changes)
    return item


def page(*postings: dict[str, Any], has_next: bool = False) -> Reply:
    return Reply(body={"result": {"postings": list(postings), "has_next": has_next}})


def sync(account: Any, now: dt.datetime = NOW) -> Any:
    with time_machine.travel(now, tick=False):
        return ozon_sync_account(account=account, now=now)


def test_it_pages_through_postings_into_orders_and_parcels(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    first = payload("ozon_v3_posting_fbs_list_response.json")  # has_next: true
    ozon.route("POST", LIST_PATH, Reply(body=first), page(posting("57195475-0050-3")))

    report = sync(account)

    assert (report.pages, report.created) == (2, 2)
    assert [r.json()["offset"] for r in ozon.received("POST", LIST_PATH)] == [0, 1000]
    order = Order.objects.get(shop=account.shop, posting_number="05708065-0029-1")
    assert (order.order_number, order.status, order.scheme, order.currency) == ("05708065-0029", "placed", "fbs", "RUB")
    assert order.declared_value == Decimal("1390.00")
    assert order.placed_at == dt.datetime(2022, 5, 13, 7, 7, 32, tzinfo=dt.UTC)
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("205953", 1)]
    parcel = order.parcels.get()
    # Ozon's own logistics: the posting number is the tracking number; awaiting_deliver = label made.
    assert (parcel.carrier.code, parcel.tracking_number, parcel.status) == ("ozon-logistics", "05708065-0029-1", "info_received")
    assert parcel.next_poll_at is None  # nobody polls a manual carrier
    assert parcel.events.get().raw_code == "awaiting_deliver"
    account.refresh_from_db()
    assert (account.sync_cursor, account.last_synced_at, account.last_error) == (NOW, NOW, "")


def test_running_twice_changes_nothing(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    ozon.route("POST", LIST_PATH, page(posting("57195475-0050-3", "delivering", delivering_date="2026-11-28T10:00:00Z")))
    sync(account)
    before = list(Order.objects.values_list("id", "status", "updated_at"))
    events = TrackingEvent.objects.count()

    report = sync(account, NOW + dt.timedelta(minutes=5))

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert list(Order.objects.values_list("id", "status", "updated_at")) == before
    assert TrackingEvent.objects.count() == events
    assert Parcel.objects.count() == 1


def test_second_run_asks_only_for_status_changes_since_the_cursor(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    ozon.route("POST", LIST_PATH, page())
    sync(account)
    sync(account, NOW + dt.timedelta(hours=1))

    first, second = (r.json()["filter"] for r in ozon.received("POST", LIST_PATH))
    assert "last_changed_status_date" not in first
    assert second["last_changed_status_date"]["from"] == "2026-12-01T11:30:00.000Z"  # cursor minus the overlap


def test_statuses_move_the_order_and_parcel_forward_only(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    number = "57195475-0050-3"
    ozon.route(
        "POST", LIST_PATH, page(posting(number, "delivering", delivering_date="2026-11-28T10:00:00Z")), page(posting(number, "delivered")),
        page(posting(number, "delivering")),  # a stale answer
    )
    sync(account)
    order = Order.objects.get(posting_number=number)
    assert order.status == "shipped"
    assert order.shipped_at == dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC)
    assert order.parcels.get().status == "in_transit"

    sync(account, NOW + dt.timedelta(hours=1))
    sync(account, NOW + dt.timedelta(hours=2))

    order.refresh_from_db()
    assert (order.status, order.delivered_at) == ("delivered", NOW + dt.timedelta(hours=1))
    parcel = order.parcels.get()
    assert parcel.status == "delivered"
    assert sorted(parcel.events.values_list("raw_code", flat=True)) == ["delivered", "delivering"]


def test_arbitration_holds_the_parcel_and_leaves_the_order(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    ozon.route("POST", LIST_PATH, page(posting("57195475-0050-3", "arbitration")))

    sync(account)

    order = Order.objects.get()
    assert (order.status, order.parcels.get().status) == ("placed", "on_hold")


def test_a_3pl_tracking_number_gets_its_carrier_and_is_polled(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    method = {"id": 1, "name": "Почта России, до отделения", "tpl_provider_id": 4, "tpl_provider": "Почта России"}
    ozon.route("POST", LIST_PATH, page(posting("57195475-0050-3", "delivering", tracking_number=RP_NUMBER, delivery_method=method,
                                               tpl_integration_type="3pl_tracking")))

    sync(account)

    parcel = Parcel.objects.get()
    assert (parcel.carrier.code, parcel.tracking_number, parcel.status) == ("russian-post", RP_NUMBER, "pending")
    assert parcel.next_poll_at is not None  # its carrier's own tracking takes over
    assert not parcel.events.exists()


@pytest.mark.parametrize(
    ("provider", "number", "warning"),
    [("Неизвестная служба", "ZX123456", "no carrier matches"), ("Почта России", "80083212345670", "check digit")],
)
def test_an_unknown_carrier_or_bad_number_leaves_the_posting_without_parcel(
    ozon: CarrierServer, account: Any, carriers: Any, provider: str, number: str, warning: str,
) -> None:
    method = {"id": 1, "name": provider, "tpl_provider": provider}
    ozon.route("POST", LIST_PATH, page(posting("57195475-0050-3", "delivering", tracking_number=number, delivery_method=method,
                                               tpl_integration_type="non_integrated")))

    report = sync(account)

    assert report.created == 1
    assert not Parcel.objects.exists()
    assert warning in report.warnings[0]


def test_a_number_changed_at_ozon_is_recorded_and_never_pushed_back(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    method = {"id": 1, "name": "Почта России", "tpl_provider": "Почта России"}
    new_number = make_russian_post_14("8008321234568")
    ozon.route(
        "POST", LIST_PATH,
        page(posting("57195475-0050-3", "delivering", tracking_number=RP_NUMBER, delivery_method=method)),
        page(posting("57195475-0050-3", "delivering", tracking_number=new_number, delivery_method=method)),
    )
    sync(account)
    sync(account, NOW + dt.timedelta(hours=1))

    change = TrackingNumberChange.objects.get()
    assert (change.old_number, change.new_number) == (RP_NUMBER, new_number)
    assert change.marketplace_push.status == MarketplacePush.Status.FROM_MARKETPLACE
    assert marketplace_queue_tracking_pushes(now=NOW + dt.timedelta(hours=1)) == 0


def test_buyers_known_to_ozon_are_matched_others_share_the_shop_placeholder(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    customer = {"customer_id": 7781, "name": "Анна Смирнова", "phone": "+79990001122", "address": {"city": "Казань", "address_tail": "ул. Баумана, 1"}}
    ozon.route("POST", LIST_PATH, page(
        posting("10000001-0001-1", customer=customer), posting("10000002-0001-1", customer=customer),
        posting("10000003-0001-1"), posting("10000004-0001-1"),
    ))

    sync(account)

    buyers = dict(Order.objects.values_list("posting_number", "buyer__username"))
    assert buyers == {"10000001-0001-1": "ozon-7781", "10000002-0001-1": "ozon-7781",
                      "10000003-0001-1": "ozon-buyer-shenzhen-gadgets", "10000004-0001-1": "ozon-buyer-shenzhen-gadgets"}
    anna = get_user_model().objects.get(username="ozon-7781")
    assert not anna.has_usable_password()
    assert (anna.first_name, anna.buyer_profile.phone) == ("Анна Смирнова", "+79990001122")
    order = Order.objects.get(posting_number="10000001-0001-1")
    assert (order.recipient_name, order.city, order.address_line) == ("Анна Смирнова", "Казань", "ул. Баумана, 1")
    assert Order.objects.get(posting_number="10000003-0001-1").city == "—"  # withheld by Ozon


def test_bad_credentials_are_recorded_and_the_cursor_stays(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    ozon.route("POST", LIST_PATH, Reply(401, body=payload("ozon_error_401_missing_client_id.json")))

    with pytest.raises(OzonPermanentError):
        sync(account)

    account.refresh_from_db()
    assert "Client-Id and Api-Key headers are required" in account.last_error
    assert account.sync_cursor is None


def test_a_fault_mid_way_keeps_what_came_and_the_cursor(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    ozon.route("POST", LIST_PATH, page(posting("57195475-0050-3"), has_next=True), Reply(500, body="down"))

    with pytest.raises(OzonTemporaryError):
        sync(account)

    assert Order.objects.count() == 1
    account.refresh_from_db()
    assert account.sync_cursor is None


def test_the_beat_task_syncs_active_accounts_only(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    MarketplaceAccountFactory(shop=ShopFactory(), is_active=False)
    ozon.route("POST", LIST_PATH, page(posting("57195475-0050-3")))

    assert marketplace_sync_accounts_task.delay().get() == 1

    assert Order.objects.get().shop == account.shop
    assert len(ozon.received("POST", LIST_PATH)) == 1


def test_the_beat_task_does_nothing_without_active_accounts(db: Any) -> None:
    assert marketplace_sync_accounts_task.delay().get() == 0


def test_unknown_statuses_and_dateless_postings_are_skipped(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    ozon.route("POST", LIST_PATH, page(posting("10000001-0001-1", "teleported"), posting("10000002-0001-1", in_process_at=None,
                                                                                          shipment_date=None)))

    report = sync(account)

    assert (report.created, report.skipped) == (0, 2)
    assert not Order.objects.exists()


def test_the_account_task_retries_a_rate_limit_then_syncs(ozon: CarrierServer, account: Any, carriers: Any, monkeypatch: Any) -> None:
    from marketplace.tasks import marketplace_sync_account_task

    ozon.route("POST", LIST_PATH, Reply(429, headers={"Retry-After": "17"}, body={"message": "slow down"}), page(posting("57195475-0050-3")))
    countdowns: list[float] = []
    original_retry = marketplace_sync_account_task.retry

    def spy_retry(*args: Any, **kwargs: Any) -> Any:
        countdowns.append(kwargs["countdown"])
        return original_retry(*args, **kwargs)

    monkeypatch.setattr(marketplace_sync_account_task, "retry", spy_retry)
    marketplace_sync_account_task.apply(args=(account.id,), throw=False)

    assert countdowns == [17.0]  # Ozon's Retry-After
    assert len(ozon.received("POST", LIST_PATH)) == 2  # the eager retry ran again and went through
    assert Order.objects.count() == 1


def test_the_account_task_stops_on_bad_credentials(ozon: CarrierServer, account: Any, carriers: Any) -> None:
    from marketplace.tasks import marketplace_sync_account_task

    ozon.route("POST", LIST_PATH, Reply(401, body=payload("ozon_error_401_missing_client_id.json")))

    marketplace_sync_account_task.delay(account.id)

    assert len(ozon.received("POST", LIST_PATH)) == 1
    account.refresh_from_db()
    assert "Client-Id and Api-Key" in account.last_error
