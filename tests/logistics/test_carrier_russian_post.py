"""Russian Post adapter: recorded SOAP samples, the OperType table and its trap, faults, HTTP, batch parsers."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET  # noqa: S405  (our own test documents)
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from logistics.carriers import russian_post as rp
from logistics.carriers.base import CarrierPermanentError, CarrierTemporaryError
from logistics.carriers.registry import get_client
from logistics.statuses import ParcelStatus as S
from tests.logistics.carrier_server import CarrierServer, Reply

FIXTURES = Path(rp.__file__).parent / "fixtures" / "russian_post"
UTC = dt.UTC
ENVELOPE = (
    '<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Body>'
    '<ns7:getOperationHistoryResponse xmlns:ns3="http://russianpost.org/operationhistory/data" '
    'xmlns:ns7="http://russianpost.org/operationhistory"><ns3:OperationHistoryData>{records}'
    "</ns3:OperationHistoryData></ns7:getOperationHistoryResponse></S:Body></S:Envelope>"
)


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def record(oper_type: int, oper_attr: int | None, when: str, place: str = "Москва 555", index: str = "111555") -> str:
    attr = f"<ns3:OperAttr><ns3:Id>{oper_attr}</ns3:Id><ns3:Name>attr</ns3:Name></ns3:OperAttr>" if oper_attr is not None else ""
    return (
        "<ns3:historyRecord><ns3:AddressParameters><ns3:OperationAddress>"
        f"<ns3:Index>{index}</ns3:Index><ns3:Description>{place}</ns3:Description></ns3:OperationAddress></ns3:AddressParameters>"
        f"<ns3:OperationParameters><ns3:OperType><ns3:Id>{oper_type}</ns3:Id><ns3:Name>type</ns3:Name></ns3:OperType>"
        f"{attr}<ns3:OperDate>{when}</ns3:OperDate></ns3:OperationParameters></ns3:historyRecord>"
    )


def history(*records: str) -> bytes:
    return ENVELOPE.format(records="".join(records)).encode()


def fault(detail: str, status_text: str = "Ошибка") -> bytes:
    return (
        '<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Body><S:Fault>'
        "<S:Code><S:Value>S:Receiver</S:Value></S:Code>"
        f'<S:Reason><S:Text xml:lang="ru">{status_text}</S:Text></S:Reason>'
        f'<S:Detail><ns3:{detail} xmlns:ns3="http://russianpost.org/operationhistory/data">{status_text}</ns3:{detail}></S:Detail>'
        "</S:Fault></S:Body></S:Envelope>"
    ).encode()


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def shape(xml: bytes) -> list[tuple[str, str]]:
    """Element names and texts in document order, namespaces and whitespace ignored."""
    return [(local(e.tag), (e.text or "").strip()) for e in ET.fromstring(xml).iter()]  # noqa: S314


@pytest.fixture
def server(settings: Any) -> Iterator[CarrierServer]:
    with CarrierServer() as running:
        settings.CARRIER_RUSSIAN_POST_URL = running.url
        settings.CARRIER_RUSSIAN_POST_LOGIN = "my_login"
        settings.CARRIER_RUSSIAN_POST_PASSWORD = "my_password"
        yield running


def test_fixture_inventory() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == [
        "russianpost_batch_getresponsebyticket_request_doc.xml",
        "russianpost_batch_getresponsebyticket_response_doc_normalized.xml",
        "russianpost_batch_getresponsebyticket_response_doc_verbatim.xml",
        "russianpost_batch_getticket_request_doc.xml",
        "russianpost_batch_getticket_response_doc.xml",
        "russianpost_getoperationhistory_request_doc.xml",
        "russianpost_getoperationhistory_response_doc_normalized.xml",
        "russianpost_getoperationhistory_response_doc_verbatim.xml",
    ]


def test_it_parses_the_operation_history_sample() -> None:
    result = rp.parse_operation_history(load("russianpost_getoperationhistory_response_doc_normalized.xml"), "EA123456789RU")

    assert result.found and result.tracking_number == "EA123456789RU"
    (event,) = result.events
    assert event.occurred_at == dt.datetime(2015, 7, 9, 15, 8, tzinfo=UTC)  # 18:08 +03:00
    assert (event.status, event.raw_code, event.raw_description) == (S.IN_TRANSIT, "1.1", "Прием: Единичный")
    assert event.location == "Москва 555, 111555"
    assert event.carrier_event_id == ""


@pytest.mark.parametrize(
    ("name", "parse"),
    [
        (
            "russianpost_getoperationhistory_response_doc_verbatim.xml",
            partial(rp.parse_operation_history, number="EA123456789RU"),
        ),
        ("russianpost_batch_getresponsebyticket_response_doc_verbatim.xml", rp.parse_answer_by_ticket),
    ],
)
def test_the_verbatim_docs_samples_fail_cleanly(
    name: str, parse: Callable[[bytes], object], caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(CarrierTemporaryError, match="not well-formed") as info:
        parse(load(name))
    assert info.value.raw.startswith("<S:Envelope")
    assert "malformed" in caplog.text


@pytest.mark.parametrize(("oper_attr", "status"), [(1, S.DELIVERED), (2, S.RETURNED), (3, S.DELIVERED), (4, S.RETURNED),
                                                    (5, S.DELIVERED), (6, S.DELIVERED), (7, S.RETURNED), (8, S.DELIVERED),
                                                    (9, S.RETURNED), (12, S.DELIVERED), (None, S.DELIVERED)])  # fmt: skip
def test_handed_over_to_the_sender_is_returned_not_delivered(oper_attr: int | None, status: S) -> None:
    result = rp.parse_operation_history(history(record(2, oper_attr, "2024-02-01T12:00:00.000+07:00")), "RA644000001RU")

    assert result.events[0].status == status
    assert result.events[0].occurred_at == dt.datetime(2024, 2, 1, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("oper_type", "oper_attr", "status"),
    [
        (1, 1, S.IN_TRANSIT),
        (28, None, S.INFO_RECEIVED),
        (8, 0, S.IN_TRANSIT),
        (8, 2, S.AVAILABLE_FOR_PICKUP),  # arrived at the delivery office
        (8, 9, S.AVAILABLE_FOR_PICKUP),  # arrived at a parcel locker
        (8, 15, S.OUT_FOR_DELIVERY),  # given to a courier
        (9, 1, S.IN_TRANSIT),
        (10, 1, S.IN_TRANSIT),
        (11, 1, S.CUSTOMS),
        (14, 1, S.CUSTOMS),
        (12, 1, S.DELIVERY_FAILED),
        (7, 2, S.ON_HOLD),
        (4, 3, S.EXCEPTION),
        (25, None, S.EXCEPTION),
        (3, 1, S.RETURNING),
        (21, None, S.DELIVERED),
        (18, None, S.LOST),
        (5, 1, S.LOST),
        (26, 1, S.CANCELLED),
        (99, 1, S.IN_TRANSIT),  # unknown: logged, counted as moving
    ],
)
def test_map_operation(oper_type: int, oper_attr: int | None, status: S) -> None:
    assert rp.map_operation(oper_type, oper_attr) == status


def test_records_are_sorted_and_unreadable_ones_skipped() -> None:
    raw = history(
        record(8, 2, "2024-02-03T10:00:00.000+03:00", "Норильск Почтамт", "663300"),
        record(1, 1, "2024-02-01T09:30:00.000+03:00"),
        record(8, 0, "not a date"),
        record(8, 0, "2024-02-02T10:00:00"),  # no offset: cannot be placed in UTC
    )
    result = rp.parse_operation_history(raw, "RA644000001RU")

    assert [(e.raw_code, e.occurred_at) for e in result.events] == [
        ("1.1", dt.datetime(2024, 2, 1, 6, 30, tzinfo=UTC)),
        ("8.2", dt.datetime(2024, 2, 3, 7, 0, tzinfo=UTC)),
    ]
    assert result.events[-1].location == "Норильск Почтамт, 663300"


def test_an_empty_history_is_not_found_yet() -> None:
    for raw in (history(), history().replace(b"<ns3:OperationHistoryData></ns3:OperationHistoryData>", b"")):
        result = rp.parse_operation_history(raw, "RA644000001RU")

        assert (result.found, result.permanent_error) == (False, False)


def test_faults() -> None:
    with pytest.raises(CarrierPermanentError, match="bad credentials"):
        rp.parse_operation_history(fault("AuthorizationFault", "Ошибка авторизации"), "X")
    refused = rp.parse_operation_history(fault("OperationHistoryFault", "Неверный идентификатор"), "X")
    assert refused.found is False and "Неверный идентификатор" in refused.error
    with pytest.raises(CarrierTemporaryError, match="Внутренняя"):
        rp.parse_operation_history(fault("SomethingElseFault", "Внутренняя ошибка"), "X")
    with pytest.raises(CarrierTemporaryError, match="OperationHistoryData"):
        rp.parse_operation_history(b"<a/>", "X")


@pytest.mark.parametrize(
    "evil",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>',
        b'<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>',
        b"<a><!ENTITY x 'y'></a>",
    ],
)
def test_doctype_and_entity_declarations_are_refused(evil: bytes) -> None:
    with pytest.raises(CarrierTemporaryError, match="DOCTYPE or ENTITY"):
        rp.parse_operation_history(evil, "X")


def test_the_history_request_matches_the_docs_sample_and_escapes() -> None:
    built = rp.build_history_request("RA644000001RU", "my_login", "my_password")

    assert shape(built) == shape(load("russianpost_getoperationhistory_request_doc.xml"))
    header = ET.fromstring(built).find(".//{*}AuthorizationHeader")  # noqa: S314
    assert header is not None
    assert header.attrib == {"{http://schemas.xmlsoap.org/soap/envelope/}mustUnderstand": "1"}
    tricky = rp.build_history_request("RA1", "a&b", "<p>'\"")
    assert [t for n, t in shape(tricky) if n in ("login", "password")] == ["a&b", "<p>'\""]


def test_it_parses_the_batch_answer_sample() -> None:
    results = rp.parse_answer_by_ticket(load("russianpost_batch_getresponsebyticket_response_doc_normalized.xml"))

    assert list(results) == ["45008378901234", "10725878901235", "RA123456789RU"]
    first = results["45008378901234"]
    assert len(first.events) == 8
    assert first.events[0].occurred_at == dt.datetime(2015, 9, 8, 14, 7, tzinfo=UTC)  # 17:07 Moscow
    assert (first.events[6].raw_code, first.events[6].status, first.events[6].raw_description) == (
        "4.3",
        S.EXCEPTION,
        "Досылка почты",
    )
    assert first.events[-1].status == S.AVAILABLE_FOR_PICKUP and first.events[-1].location == "125364"
    second = results["10725878901235"]
    assert [(e.raw_code, e.status) for e in second.events[-2:]] == [("8.15", S.OUT_FOR_DELIVERY), ("2.8", S.DELIVERED)]
    assert second.events[-1].occurred_at == dt.datetime(2015, 9, 16, 10, 45, tzinfo=UTC)
    missing = results["RA123456789RU"]
    assert (missing.found, missing.permanent_error) == (False, False)
    assert "Сообщение не найдено" in missing.error


def test_ticket_requests_and_answers() -> None:
    assert rp.parse_ticket_response(load("russianpost_batch_getticket_response_doc.xml")) == "20150917162048476CLIENTID"
    built = rp.build_ticket_request(["RA123456788RU", "RA123456789RU", "RA123456780RU"], "my_login", "my_password")
    doc_items = [t for n, t in shape(load("russianpost_batch_getticket_request_doc.xml")) if n != "request"]
    assert [t for n, t in shape(built) if n != "request"] == doc_items
    barcodes = [e.get("Barcode") for e in ET.fromstring(built).iter() if local(e.tag) == "Item"]  # noqa: S314
    assert barcodes == ["RA123456788RU", "RA123456789RU", "RA123456780RU"]
    answer = rp.build_answer_request("20150917162048476CLIENTID", "my_login", "my_password")
    assert shape(answer) == shape(load("russianpost_batch_getresponsebyticket_request_doc.xml"))
    with pytest.raises(ValueError, match="3000"):
        rp.build_ticket_request(["RA1"] * 3001, "l", "p")


@pytest.mark.parametrize(
    ("code", "error", "retry_after"),
    [("6", CarrierTemporaryError, 900.0), ("17", CarrierTemporaryError, None), ("3", CarrierPermanentError, None)],
)
def test_ticket_level_errors(code: str, error: type[Exception], retry_after: float | None) -> None:
    raw = (
        '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>'
        '<ns2:answerByTicketResponse xmlns:ns2="http://fclient.russianpost.org/postserver">'
        f'<error ErrorTypeID="{code}" ErrorName="no"/></ns2:answerByTicketResponse></S:Body></S:Envelope>'
    )
    with pytest.raises(error) as info:
        rp.parse_answer_by_ticket(raw)
    assert getattr(info.value, "retry_after", None) == retry_after


def test_track_many_posts_soap_12_with_the_credentials(server: CarrierServer) -> None:
    server.route("POST", "/rtm34", Reply(body=load("russianpost_getoperationhistory_response_doc_normalized.xml")))

    results = get_client("russian_post").track_many(["EA123456789RU", "RA644000001RU", "EA123456789RU"])

    assert list(results) == ["EA123456789RU", "RA644000001RU"]
    assert results["RA644000001RU"].events[0].raw_code == "1.1"
    calls = server.received("POST", "/rtm34")
    assert len(calls) == 2
    assert calls[0].headers["content-type"].startswith("application/soap+xml")
    texts = dict(shape(calls[1].body))
    assert (texts["Barcode"], texts["login"], texts["password"]) == ("RA644000001RU", "my_login", "my_password")


def test_a_fault_with_status_500_is_read_not_just_retried(server: CarrierServer) -> None:
    server.route("POST", "/rtm34", Reply(500, body=fault("AuthorizationFault"), headers={"Content-Type": "application/soap+xml"}))

    with pytest.raises(CarrierPermanentError, match="bad credentials"):
        get_client("russian_post").track_many(["EA123456789RU"])


def test_the_ticket_flow_over_http(server: CarrierServer) -> None:
    server.route(
        "POST", "/fc",
        Reply(body=load("russianpost_batch_getticket_response_doc.xml")),
        Reply(body=load("russianpost_batch_getresponsebyticket_response_doc_normalized.xml")),
    )  # fmt: skip
    client = rp.RussianPostClient()

    ticket = client.request_ticket(["45008378901234", "10725878901235", "RA123456789RU"])
    results = client.fetch_ticket(ticket)

    assert ticket == "20150917162048476CLIENTID"
    assert len(results["10725878901235"].events) == 5
    calls = server.received("POST", "/fc")
    assert [c.headers["soapaction"] for c in calls] == ['""', '""']
    assert calls[0].headers["content-type"].startswith("text/xml")
    assert dict(shape(calls[1].body))["ticket"] == "20150917162048476CLIENTID"
