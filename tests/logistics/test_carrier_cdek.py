"""CDEK API v2 adapter: recorded payloads, the status table, the OAuth token cache, HTTP."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from logistics.carriers import cdek
from logistics.carriers.base import CarrierPermanentError, CarrierTemporaryError
from logistics.carriers.registry import get_client
from logistics.statuses import ParcelStatus as S
from tests.logistics.carrier_server import CarrierServer, Reply

FIXTURES = Path(cdek.__file__).parent / "fixtures" / "cdek"
TOKEN = "/v2/oauth/token"
ORDERS = "/v2/orders"
UTC = dt.UTC
NOT_FOUND = {
    "requests": [
        {
            "type": "GET",
            "state": "INVALID",
            "errors": [{"code": "v2_entity_not_found", "message": "Entity is not found by cdek_number 1000000000"}],
        }
    ]
}


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Iterator[None]:
    cdek.TOKENS.clear()  # a new test server may reuse an old port, and the cache is keyed by URL
    yield
    cdek.TOKENS.clear()


@pytest.fixture
def server(settings: Any) -> Iterator[CarrierServer]:
    with CarrierServer() as running:
        settings.CARRIER_CDEK_URL = running.url
        settings.CARRIER_CDEK_CLIENT_ID = "acct"
        settings.CARRIER_CDEK_CLIENT_SECRET = "s3cret&x"
        yield running


def token_reply(token: str, expires_in: int = 3599) -> Reply:
    return Reply(body={**load("cdek_v2_oauth_token_response_doc.json"), "access_token": token, "expires_in": expires_in})


def test_fixture_inventory() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == [
        "cdek_v2_oauth_token_response_doc.json",
        "cdek_v2_orders_get_multi_status_in_transit.json",
        "cdek_webhook_order_status_delivered.json",
    ]


def test_it_parses_the_multi_status_order_sample() -> None:
    result = cdek.parse_order(load("cdek_v2_orders_get_multi_status_in_transit.json"), "1153700000")

    assert result.found and result.tracking_number == "1153700000"
    assert len(result.events) == 18
    first, last = result.events[0], result.events[-1]
    assert (first.occurred_at, first.status, first.raw_code, first.raw_description, first.location) == (
        dt.datetime(2019, 12, 18, 3, 3, 15, tzinfo=UTC), S.INFO_RECEIVED, "CREATED", "Создан", "Москва",
    )  # fmt: skip
    assert (last.occurred_at, last.status, last.raw_code, last.location) == (
        dt.datetime(2020, 4, 1, 4, 12, 55, tzinfo=UTC), S.IN_TRANSIT, "ACCEPTED_AT_RECIPIENT_CITY_WAREHOUSE", "Иркутск",
    )  # fmt: skip
    assert Counter(e.status for e in result.events) == {S.INFO_RECEIVED: 1, S.IN_TRANSIT: 17}
    assert [e.occurred_at for e in result.events] == sorted(e.occurred_at for e in result.events)
    assert all(e.carrier_event_id.startswith("h:") for e in result.events)


def test_a_pushed_status_and_the_same_polled_status_share_one_event_key() -> None:
    polled = cdek.parse_order(load("cdek_v2_orders_get_multi_status_in_transit.json"), "1153700000").events[-1]
    push = {
        "type": "ORDER_STATUS", "uuid": "x",
        "attributes": {"cdek_number": "1153700000", "code": polled.raw_code, "status_date_time": polled.occurred_at.isoformat()},
    }  # fmt: skip
    pushed = cdek.parse_webhook(push).events[0]
    assert pushed.raw_description == "" and polled.raw_description  # the push carries no status name
    assert pushed.event_key == polled.event_key


def test_it_parses_the_order_status_webhook_sample() -> None:
    result = cdek.parse_webhook(load("cdek_webhook_order_status_delivered.json"))

    assert result.tracking_number == "1106153417"
    (event,) = result.events
    assert (event.occurred_at, event.status, event.raw_code, event.location) == (
        dt.datetime(2019, 7, 11, 5, 41, 43, tzinfo=UTC), S.DELIVERED, "DELIVERED", "Новосибирск",
    )  # fmt: skip


def test_a_delivered_return_order_push_means_returned() -> None:
    payload = load("cdek_webhook_order_status_delivered.json")
    payload["attributes"]["is_return"] = True

    assert cdek.parse_webhook(payload).events[0].status == S.RETURNED


@pytest.mark.parametrize(
    "payload",
    [{"type": "PRINT_FORM", "attributes": {}}, {"type": "ORDER_STATUS", "attributes": {"code": "DELIVERED"}}],
)
def test_other_or_broken_pushes_are_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="CDEK"):
        cdek.parse_webhook(payload)


@pytest.mark.parametrize(
    ("code", "kwargs", "status"),
    [
        ("ACCEPTED", {}, S.PENDING),
        ("CREATED", {}, S.INFO_RECEIVED),
        ("RECEIVED_AT_SHIPMENT_WAREHOUSE", {}, S.IN_TRANSIT),
        ("READY_TO_SHIP_AT_SENDING_OFFICE", {}, S.IN_TRANSIT),
        ("TAKEN_BY_TRANSPORTER_FROM_TRANSIT_CITY", {}, S.IN_TRANSIT),
        ("SENT_TO_TRANSIT_CITY", {}, S.IN_TRANSIT),
        ("ACCEPTED_IN_TRANSIT_CITY", {}, S.IN_TRANSIT),
        ("IN_CUSTOMS_INTERNATIONAL", {}, S.CUSTOMS),
        ("IN_CUSTOMS_LOCAL", {}, S.CUSTOMS),
        ("TAKEN_BY_COURIER", {}, S.OUT_FOR_DELIVERY),
        ("ACCEPTED_AT_PICK_UP_POINT", {}, S.AVAILABLE_FOR_PICKUP),
        ("POSTOMAT_POSTED", {}, S.AVAILABLE_FOR_PICKUP),
        ("RETURNED_TO_RECIPIENT_CITY_WAREHOUSE", {}, S.DELIVERY_FAILED),
        ("DELIVERED", {}, S.DELIVERED),
        ("NOT_DELIVERED", {}, S.EXCEPTION),
        ("NOT_DELIVERED", {"reason_code": "11"}, S.EXCEPTION),
        ("NOT_DELIVERED", {"reason_code": "26"}, S.LOST),
        ("NOT_DELIVERED", {"reason_code": "27"}, S.CANCELLED),
        ("REMOVED", {}, S.CANCELLED),
        ("INVALID", {}, S.CANCELLED),
        ("SENT_TO_RECIPIENT_CITY", {"is_return": True}, S.RETURNING),
        ("DELIVERED", {"is_return": True}, S.RETURNED),
        ("SOME_NEW_TRANSIT_STATUS", {}, S.IN_TRANSIT),  # unknown: logged, counted as moving
        ("IN_CUSTOMS_SOMEWHERE_NEW", {}, S.CUSTOMS),
    ],
)
def test_map_status(code: str, kwargs: dict[str, Any], status: S) -> None:
    assert cdek.map_status(code, **kwargs) == status


def test_an_unknown_number_is_a_permanent_not_found_result() -> None:
    result = cdek.parse_order(NOT_FOUND, "1000000000")

    assert (result.found, result.permanent_error) == (False, True)
    assert "v2_entity_not_found" in result.error and result.raw


def test_a_cdek_side_error_is_temporary() -> None:
    payload = {"requests": [{"type": "GET", "state": "INVALID", "errors": [{"code": "v2_internal_error", "message": "oops"}]}]}
    with pytest.raises(CarrierTemporaryError, match="v2_internal_error"):
        cdek.parse_order(payload, "1")
    with pytest.raises(CarrierTemporaryError, match="without entity"):
        cdek.parse_order({"related_entities": []}, "1")


def test_a_status_without_a_usable_time_is_skipped_not_fatal() -> None:
    payload = {"entity": {"statuses": [
        {"code": "CREATED", "name": "Создан", "date_time": "2024-05-01T10:00:00+0300", "city": "Москва"},
        {"code": "ACCEPTED", "name": "Принят", "date_time": "not a time"},
    ]}}  # fmt: skip
    result = cdek.parse_order(payload, "1")

    assert [(e.raw_code, e.occurred_at) for e in result.events] == [("CREATED", dt.datetime(2024, 5, 1, 7, 0, tzinfo=UTC))]


def test_the_token_is_cached_across_calls_and_clients(server: CarrierServer) -> None:
    server.route("POST", TOKEN, token_reply("tok-1"))
    server.route("GET", ORDERS, Reply(body=load("cdek_v2_orders_get_multi_status_in_transit.json")))

    get_client("cdek").track_many(["1153700000"])
    results = get_client("cdek").track_many(["1153700000", "1153700001"])

    assert server.count("POST", TOKEN) == 1
    assert [r.query["cdek_number"] for r in server.received("GET", ORDERS)] == [["1153700000"], ["1153700000"], ["1153700001"]]
    assert {r.headers["authorization"] for r in server.received("GET", ORDERS)} == {"Bearer tok-1"}
    assert len(results["1153700001"].events) == 18
    token_request = server.received("POST", TOKEN)[0]
    assert token_request.form() == {"grant_type": ["client_credentials"], "client_id": ["acct"], "client_secret": ["s3cret&x"]}
    assert "client_secret" not in token_request.query  # the secret stays out of URLs and access logs


def test_the_token_is_refreshed_shortly_before_it_expires(server: CarrierServer) -> None:
    server.route("POST", TOKEN, token_reply("tok-1"), token_reply("tok-2"))
    server.route("GET", ORDERS, Reply(body=load("cdek_v2_orders_get_multi_status_in_transit.json")))
    clock = FakeClock()
    client = cdek.CdekClient(clock=clock)

    client.track("1")
    clock.now += 3599 - 120  # well inside the token's life: reused
    client.track("1")
    clock.now += 90  # 30 s before it expires: inside the 60 s renewal margin
    client.track("1")

    assert server.count("POST", TOKEN) == 2
    assert [r.headers["authorization"] for r in server.received("GET", ORDERS)] == [
        "Bearer tok-1",
        "Bearer tok-1",
        "Bearer tok-2",
    ]


def test_a_401_on_the_order_fetches_a_new_token_once(server: CarrierServer) -> None:
    server.route("POST", TOKEN, token_reply("tok-1"), token_reply("tok-2"))
    server.route("GET", ORDERS, Reply(401, body={"error": "invalid_token"}), Reply(body=NOT_FOUND, status=400))

    result = cdek.CdekClient().track("1000000000")

    assert result.permanent_error is True and result.found is False
    assert server.count("POST", TOKEN) == 2


def test_a_401_twice_is_bad_credentials(server: CarrierServer) -> None:
    server.route("POST", TOKEN, token_reply("tok-1"))
    server.route("GET", ORDERS, Reply(401, body={"error": "invalid_token"}))

    with pytest.raises(CarrierPermanentError, match="bad credentials"):
        cdek.CdekClient().track("1")
    assert server.count("GET", ORDERS) == 2


@pytest.mark.parametrize("status", [400, 401])
def test_rejected_client_credentials_are_permanent(server: CarrierServer, status: int) -> None:
    server.route("POST", TOKEN, Reply(status, body={"error": "invalid_client", "error_description": "Bad credentials"}))

    with pytest.raises(CarrierPermanentError, match="bad credentials"):
        get_client("cdek").track_many(["1"])
    assert server.count("GET", ORDERS) == 0


def test_a_token_answer_without_a_token_is_temporary(server: CarrierServer) -> None:
    server.route("POST", TOKEN, Reply(body={"token_type": "bearer"}))

    with pytest.raises(CarrierTemporaryError, match="access_token"):
        get_client("cdek").track_many(["1"])


def test_an_unexpected_status_is_temporary(server: CarrierServer) -> None:
    server.route("POST", TOKEN, token_reply("tok-1"))
    server.route("GET", ORDERS, Reply(409, body={"requests": []}))

    with pytest.raises(CarrierTemporaryError, match="409"):
        get_client("cdek").track_many(["1"])
