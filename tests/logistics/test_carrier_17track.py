"""17TRACK v2.2 adapter (and the demo emulator client): recorded payloads, the status table, HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from logistics.carriers import seventeentrack as st
from logistics.carriers.base import CarrierPermanentError, CarrierTemporaryError
from logistics.carriers.registry import get_client
from logistics.statuses import ParcelStatus as S
from tests.logistics.carrier_server import CarrierServer, Received, Reply

FIXTURES = Path(st.__file__).parent / "fixtures" / "17track"
TRACK = "/track/v2.2/gettrackinfo"
REGISTER = "/track/v2.2/register"
UTC = dt.UTC


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def accepted(number: str, events: list[dict[str, Any]], latest: str = "InTransit") -> dict[str, Any]:
    return {
        "number": number,
        "track_info": {"latest_status": {"status": latest, "sub_status": None}, "tracking": {"providers": [{"events": events}]}},
    }


def event(time_utc: str, sub_status: str | None = "InTransit_Other", description: str = "scan") -> dict[str, Any]:
    return {"time_utc": time_utc, "description": description, "location": "X", "sub_status": sub_status}


@pytest.fixture
def server() -> Iterator[CarrierServer]:
    with CarrierServer() as running:
        yield running


@pytest.fixture
def client(server: CarrierServer, settings: Any) -> st.SeventeenTrackClient:
    settings.CARRIER_17TRACK_URL = server.url
    settings.CARRIER_17TRACK_TOKEN = "secret-17"
    return st.SeventeenTrackClient()


def test_fixture_inventory() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == [
        "17track_v2.2_error_invalid_key.json",
        "17track_v2.2_gettrackinfo_response_delivered.json",
        "17track_v2.2_register_response.json",
        "17track_webhook_tracking_updated_delivered.json",
    ]


def test_it_parses_the_delivered_gettrackinfo_sample() -> None:
    results = st.parse_gettrackinfo(load("17track_v2.2_gettrackinfo_response_delivered.json"))

    assert list(results) == ["RR123456789CN"]
    result = results["RR123456789CN"]
    assert result.found and not result.error
    assert [(e.occurred_at, e.status, e.raw_code, e.location) for e in result.events] == [
        (dt.datetime(2022, 4, 25, 2, 0, tzinfo=UTC), S.INFO_RECEIVED, "InfoReceived", "SHENZHEN"),
        (dt.datetime(2022, 4, 26, 6, 30, tzinfo=UTC), S.IN_TRANSIT, "InTransit_PickedUp", "SHENZHEN"),
        (dt.datetime(2022, 4, 28, 13, 0, tzinfo=UTC), S.IN_TRANSIT, "InTransit_Other", "LOS ANGELES, CA"),
        (dt.datetime(2022, 5, 2, 18, 34, tzinfo=UTC), S.DELIVERED, "Delivered_Other", "LOS ANGELES, CA"),
    ]
    assert result.events[-1].raw_description == "Package delivered"
    assert all(e.carrier_event_id.startswith("h:") and e.occurred_at.utcoffset() == dt.timedelta(0) for e in result.events)


def test_it_parses_the_register_sample_and_marks_an_invalid_number_permanent() -> None:
    results = st.parse_gettrackinfo(load("17track_v2.2_register_response.json"))

    assert results["RR123456789CN"].found is False  # registered, no track_info yet
    assert results["RR123456789CN"].permanent_error is False
    assert results["1234"].found is False
    assert results["1234"].permanent_error is True
    assert "-18010012" in results["1234"].error
    assert "1234" in results["1234"].raw


def test_an_invalid_key_is_a_permanent_error() -> None:
    with pytest.raises(CarrierPermanentError, match="Invalid security key") as info:
        st.parse_gettrackinfo(load("17track_v2.2_error_invalid_key.json"))
    assert "-18010002" in info.value.raw


def test_it_parses_the_tracking_updated_webhook_sample() -> None:
    result = st.parse_webhook(load("17track_webhook_tracking_updated_delivered.json"))

    assert result.tracking_number == "1Z2617V10397725789"
    assert [(e.status, e.raw_code) for e in result.events] == [
        (S.INFO_RECEIVED, "InfoReceived"),
        (S.IN_TRANSIT, ""),  # "Origin Scan": no stage, no sub-status
        (S.IN_TRANSIT, ""),
        (S.OUT_FOR_DELIVERY, "OutForDelivery"),
        (S.DELIVERED, "Delivered"),
    ]
    assert result.events[0].occurred_at == dt.datetime(2022, 3, 29, 5, 43, 8, tzinfo=UTC)
    assert result.events[-1].occurred_at == dt.datetime(2022, 4, 4, 23, 35, 22, tzinfo=UTC)
    assert result.events[-1].location == "GASQUET, CA, US"


def test_a_webhook_of_another_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="TRACKING_STOPPED"):
        st.parse_webhook({"event": "TRACKING_STOPPED", "data": {"number": "X"}})
    with pytest.raises(ValueError, match="number"):
        st.parse_webhook({"event": "TRACKING_UPDATED", "data": {}})


def test_webhook_signature_is_sha256_of_body_slash_key() -> None:
    body = (FIXTURES / "17track_webhook_tracking_updated_delivered.json").read_bytes()
    sign = hashlib.sha256(body + b"/my-key").hexdigest()

    assert st.verify_webhook_signature(body, sign, "my-key")
    assert st.verify_webhook_signature(body, sign.upper(), "my-key")
    assert not st.verify_webhook_signature(body, sign, "other-key")
    assert not st.verify_webhook_signature(body + b" ", sign, "my-key")
    assert not st.verify_webhook_signature(body, "", "my-key")
    assert not st.verify_webhook_signature(body, sign, "")


@pytest.mark.parametrize(
    ("codes", "status"),
    [
        (("NotFound",), S.PENDING),
        (("InfoReceived",), S.INFO_RECEIVED),
        (("InTransit_PickedUp",), S.IN_TRANSIT),
        (("InTransit_Departure",), S.IN_TRANSIT),
        (("InTransit_CustomsProcessing",), S.CUSTOMS),
        (("InTransit_CustomsReleased",), S.CUSTOMS),
        (("InTransit_CustomsRequiringInformation",), S.CUSTOMS),
        (("OutForDelivery_Other",), S.OUT_FOR_DELIVERY),
        (("AvailableForPickup_Other",), S.AVAILABLE_FOR_PICKUP),
        (("DeliveryFailure_InvalidAddress",), S.DELIVERY_FAILED),
        (("Exception_Damage",), S.EXCEPTION),
        (("Exception_Returning",), S.RETURNING),
        (("Exception_Returned",), S.RETURNED),
        (("Exception_Lost",), S.LOST),
        (("Exception_Cancel",), S.CANCELLED),
        (("Exception_Destroyed",), S.CANCELLED),
        (("Delivered_Other",), S.DELIVERED),
        (("Expired_Other",), S.EXPIRED),
        ((None, "OutForDelivery"), S.OUT_FOR_DELIVERY),  # v2.4 pushes give only the key stage
        ((None, "Returned"), S.RETURNED),
        (("Exception_SomethingNew",), S.EXCEPTION),  # unknown sub-status: its main status decides
        (("InTransit_CustomsHeld",), S.CUSTOMS),
        (("Bogus",), S.IN_TRANSIT),  # wholly unknown: logged, counted as moving
        ((None, None), None),
    ],
)
def test_map_status(codes: tuple[str | None, ...], status: S | None) -> None:
    assert st.map_status(*codes) == status


def test_one_malformed_item_does_not_cost_the_others() -> None:
    payload = {
        "code": 0,
        "data": {
            "accepted": [
                accepted("GOOD1", [event("2024-01-02T03:04:05Z")]),
                {"number": "BROKEN", "track_info": {"tracking": {"providers": "not-a-list"}, "latest_status": "nope"}},
                {"track_info": {}},  # no number: cannot be attributed, skipped
                accepted("NOTIME", [event("2024-01-02T03:04:05Z"), {"description": "no time at all"}]),
            ],
            "rejected": [{"number": "GONE", "error": {"code": -18019909, "message": "No tracking information at this time."}}],
        },
    }
    results = st.parse_gettrackinfo(payload)

    assert set(results) == {"GOOD1", "BROKEN", "NOTIME", "GONE"}
    assert results["GOOD1"].events[0].occurred_at == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert results["BROKEN"].found is False and "unreadable" in results["BROKEN"].error and results["BROKEN"].raw
    assert len(results["NOTIME"].events) == 1  # the event without a time is skipped, not the number
    assert results["GONE"].found is False and results["GONE"].permanent_error is False


def test_not_found_and_invalid_code_results() -> None:
    payload = {"code": 0, "data": {"accepted": [
        {"number": "A", "track_info": {"latest_status": {"status": "NotFound", "sub_status": "NotFound_Other"}}},
        {"number": "B", "track_info": {"latest_status": {"status": "NotFound", "sub_status": "NotFound_InvalidCode"}}},
    ]}}  # fmt: skip
    results = st.parse_gettrackinfo(payload)

    assert (results["A"].found, results["A"].permanent_error) == (False, False)
    assert (results["B"].found, results["B"].permanent_error) == (False, True)


def test_the_newest_uncoded_event_takes_the_overall_status_and_offsets_become_utc() -> None:
    item = accepted(
        "N1",
        [
            {"time_iso": "2024-03-01T10:00:00+08:00", "description": "accepted", "sub_status": "InTransit_PickedUp"},
            {"time_iso": "2024-03-05T09:00:00-05:00", "description": "left at the door", "sub_status": None},
        ],
        latest="Delivered",
    )
    item["track_info"]["latest_status"]["sub_status"] = "Delivered_Other"
    result = st.parse_gettrackinfo({"code": 0, "data": {"accepted": [item]}})["N1"]

    assert [e.occurred_at for e in result.events] == [
        dt.datetime(2024, 3, 1, 2, 0, tzinfo=UTC),
        dt.datetime(2024, 3, 5, 14, 0, tzinfo=UTC),
    ]
    assert result.events[-1].status == S.DELIVERED


@pytest.mark.parametrize(
    ("payload", "error", "retry_after"),
    [
        ({"code": -18019907, "data": {"errors": [{"code": -18019907, "message": "daily limit"}]}}, CarrierTemporaryError, 3600.0),
        ({"code": -18010003, "data": {"errors": [{"code": -18010003, "message": "internal"}]}}, CarrierTemporaryError, None),
        ({"code": 0}, CarrierTemporaryError, None),
        ({"code": -18010005, "data": {"errors": [{"code": -18010005, "message": "unauthorized"}]}}, CarrierPermanentError, None),
    ],
)
def test_envelope_errors(payload: dict[str, Any], error: type[Exception], retry_after: float | None) -> None:
    with pytest.raises(error) as info:
        st.parse_gettrackinfo(payload)
    assert getattr(info.value, "retry_after", None) == retry_after


def test_track_many_posts_batches_of_40_with_the_token(server: CarrierServer, client: st.SeventeenTrackClient) -> None:
    def answer(request: Received) -> Reply:
        return Reply(body={"code": 0, "data": {"accepted": [accepted(i["number"], []) for i in request.json()], "rejected": []}})

    server.route("POST", TRACK, answer)
    numbers = [f"RB{i:09d}CN" for i in range(85)]

    results = client.track_many(numbers)

    calls = server.received("POST", TRACK)
    assert [len(c.json()) for c in calls] == [40, 40, 5]
    assert calls[0].json()[0] == {"number": "RB000000000CN"}
    assert {c.headers["17token"] for c in calls} == {"secret-17"}
    assert list(results) == numbers


def test_a_partly_failed_batch_still_returns_every_number(server: CarrierServer, client: st.SeventeenTrackClient) -> None:
    good = load("17track_v2.2_gettrackinfo_response_delivered.json")["data"]["accepted"][0]
    body = {"code": 0, "data": {
        "accepted": [good, {"number": "RB000000002CN", "track_info": ["garbage"]}],
        "rejected": [{"number": "1234", "error": {"code": -18010012, "message": "The format of '1234' is invalid."}}],
    }}  # fmt: skip
    server.route("POST", TRACK, Reply(body=body))

    results = client.track_many(["rr123456789cn", "RB000000002CN", "1234", "RB000000003CN"])

    assert results["rr123456789cn"].events[-1].status == S.DELIVERED  # keyed as requested
    assert results["RB000000002CN"].found is False and results["RB000000002CN"].permanent_error is False
    assert results["1234"].permanent_error is True
    assert results["RB000000003CN"].found is False and "did not answer" in results["RB000000003CN"].error


def test_unknown_numbers_are_registered_on_the_fly(server: CarrierServer, client: st.SeventeenTrackClient) -> None:
    not_registered = {"code": -18019902, "message": "The tracking number does not register, please register first"}
    server.route("POST", TRACK, Reply(body={"code": 0, "data": {"accepted": [], "rejected": [
        {"number": "NEW1", "error": not_registered}, {"number": "NEW2", "error": not_registered},
    ]}}))  # fmt: skip
    server.route("POST", REGISTER, Reply(body={"code": 0, "data": {"accepted": [{"number": "NEW1"}], "rejected": [
        {"number": "NEW2", "error": {"code": -18019903, "message": "Carrier cannot be detected."}},
    ]}}))  # fmt: skip

    results = client.track_many(["NEW1", "NEW2"])

    assert server.received("POST", REGISTER)[0].json() == [{"number": "NEW1"}, {"number": "NEW2"}]
    assert (results["NEW1"].found, results["NEW1"].permanent_error) == (False, False)
    assert "registered" in results["NEW1"].error
    assert results["NEW2"].permanent_error is True
    assert "Carrier cannot be detected" in results["NEW2"].error


def test_a_failed_registration_does_not_fail_the_batch(server: CarrierServer, client: st.SeventeenTrackClient) -> None:
    good = load("17track_v2.2_gettrackinfo_response_delivered.json")["data"]["accepted"][0]
    not_registered = {"code": -18019902, "message": "The tracking number does not register, please register first"}
    server.route(
        "POST",
        TRACK,
        Reply(body={"code": 0, "data": {"accepted": [good], "rejected": [{"number": "NEW1", "error": not_registered}]}}),
    )
    server.route("POST", REGISTER, Reply(503))

    results = client.track_many(["RR123456789CN", "NEW1"])

    assert results["RR123456789CN"].events[-1].status == S.DELIVERED
    assert (results["NEW1"].found, results["NEW1"].permanent_error) == (False, False)
    assert "registering failed" in results["NEW1"].error


def test_register_and_stop_report_only_refusals(server: CarrierServer, client: st.SeventeenTrackClient) -> None:
    server.route("POST", REGISTER, Reply(body={"code": 0, "data": {"accepted": [], "rejected": [
        {"number": "OLD", "error": {"code": -18019901, "message": "already registered"}},
        {"number": "BAD", "error": {"code": -18010012, "message": "invalid"}},
    ]}}))  # fmt: skip
    server.route(
        "POST", "/track/v2.2/stoptrack", Reply(body={"code": 0, "data": {"accepted": [{"number": "OLD"}], "rejected": []}})
    )

    assert client.register(["OLD", "BAD"]) == {"BAD": "invalid (-18010012)"}
    assert client.stop(["OLD"]) == {}


def test_the_demo_carrier_is_a_17track_client_on_its_own_settings(server: CarrierServer, settings: Any) -> None:
    settings.CARRIER_DEMO_URL = server.url
    settings.CARRIER_DEMO_TOKEN = "demo-token"
    server.route("POST", TRACK, Reply(body=load("17track_v2.2_gettrackinfo_response_delivered.json")))

    demo = get_client("demo")

    assert (demo.code, demo.max_batch) == ("demo", 40)
    assert demo.track_many(["RR123456789CN"])["RR123456789CN"].events[-1].status == S.DELIVERED
    assert server.received()[0].headers["17token"] == "demo-token"


def test_demo_defaults_to_the_local_emulator(settings: Any) -> None:
    settings.CARRIER_DEMO_URL = settings.CARRIER_17TRACK_URL = ""  # unset: the defaults apply

    assert st.DemoClient().base_url == "http://127.0.0.1:8765"
    assert st.SeventeenTrackClient().base_url == "https://api.17track.net"
