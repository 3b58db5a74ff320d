"""The HTTP client against a local Ozon on 127.0.0.1: headers, bodies and every fault class."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from marketplace.ozon.client import GET_PATH, LIST_PATH, TRACKING_SET_PATH, OzonClient
from marketplace.ozon.errors import OzonPermanentError, OzonTemporaryError
from tests.logistics.carrier_server import CarrierServer, Reply
from tests.marketplace.conftest import payload

SINCE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
TO = dt.datetime(2026, 12, 1, 12, 30, tzinfo=dt.UTC)


def client() -> OzonClient:
    return OzonClient(client_id="836001", api_key="secret-key-1")


def test_list_sends_credentials_filter_and_paging(ozon: CarrierServer) -> None:
    ozon.route("POST", LIST_PATH, Reply(body=payload("ozon_v3_posting_fbs_list_response.json")))

    page = client().list_fbs_postings(since=SINCE, to=TO, offset=1000, status_changed_since=SINCE)

    [request] = ozon.received("POST", LIST_PATH)
    assert request.headers["client-id"] == "836001"
    assert request.headers["api-key"] == "secret-key-1"
    body = request.json()
    assert body["filter"]["since"] == "2026-11-01T00:00:00.000Z"
    assert body["filter"]["to"] == "2026-12-01T12:30:00.000Z"
    assert body["filter"]["last_changed_status_date"] == {"from": "2026-11-01T00:00:00.000Z", "to": "2026-12-01T12:30:00.000Z"}
    assert (body["limit"], body["offset"]) == (1000, 1000)
    assert page.has_next


def test_get_and_tracking_set(ozon: CarrierServer) -> None:
    ozon.route("POST", GET_PATH, Reply(body=payload("ozon_v3_posting_fbs_get_response_awaiting_packaging.json")))
    ozon.route("POST", TRACKING_SET_PATH, Reply(body=payload("ozon_v2_fbs_posting_tracking_number_set_response.json")))

    assert client().get_fbs_posting("57195475-0050-3").posting_number == "57195475-0050-3"
    [result] = client().set_tracking_numbers([("48173252-0033-2", "RA644000001RU")])

    assert ozon.received("POST", GET_PATH)[0].json()["posting_number"] == "57195475-0050-3"
    assert ozon.received("POST", TRACKING_SET_PATH)[0].json() == {
        "tracking_numbers": [{"posting_number": "48173252-0033-2", "tracking_number": "RA644000001RU"}]
    }
    assert result.ok


def test_401_is_permanent_with_ozons_message(ozon: CarrierServer) -> None:
    ozon.route("POST", LIST_PATH, Reply(401, body=payload("ozon_error_401_missing_client_id.json")))

    with pytest.raises(OzonPermanentError, match="bad Ozon credentials.*Client-Id and Api-Key headers are required"):
        client().list_fbs_postings(since=SINCE, to=TO)


def test_403_and_400_are_permanent(ozon: CarrierServer) -> None:
    ozon.route("POST", GET_PATH, Reply(403, body={"code": 7, "message": "Permission denied"}), Reply(400, body={"message": "bad posting"}))

    with pytest.raises(OzonPermanentError, match="credentials"):
        client().get_fbs_posting("1-2-3")
    with pytest.raises(OzonPermanentError, match="answered 400: bad posting"):
        client().get_fbs_posting("1-2-3")


def test_429_is_temporary_with_retry_after(ozon: CarrierServer) -> None:
    ozon.route("POST", LIST_PATH, Reply(429, headers={"Retry-After": "17"}, body={"code": 8, "message": "rate limit"}))

    with pytest.raises(OzonTemporaryError) as caught:
        client().list_fbs_postings(since=SINCE, to=TO)
    assert caught.value.retry_after == 17.0


def test_500_and_truncated_json_are_temporary(ozon: CarrierServer) -> None:
    ozon.route("POST", LIST_PATH, Reply(500, body="<html>oops</html>"), Reply(body='{"result": {"postings": [{"posting_numb'))

    with pytest.raises(OzonTemporaryError, match="answered 500"):
        client().list_fbs_postings(since=SINCE, to=TO)
    with pytest.raises(OzonTemporaryError, match="malformed"):
        client().list_fbs_postings(since=SINCE, to=TO)


def test_a_timeout_is_temporary(ozon: CarrierServer, settings: Any) -> None:
    settings.MARKETPLACE_OZON_TIMEOUT = 0.3  # the server answers after 2 s
    ozon.route("POST", LIST_PATH, Reply(delay=2.0, body="{}"))

    with pytest.raises(OzonTemporaryError, match="timed out"):
        client().list_fbs_postings(since=SINCE, to=TO)
