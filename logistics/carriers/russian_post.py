"""Russian Post tracking adapter (tracking.pochta.ru SOAP API).

Single access (`getOperationHistory`, SOAP 1.2, one number per call) is what `track_many` uses. Batch
access (`getTicket` / `getResponseByTicket`, SOAP 1.1, up to 3,000 numbers) is asynchronous: the answer
to a ticket is ready 15 minutes or more after it is issued, so it cannot sit inside one polling call.
Its builders and parsers and the two client calls are here for a two-step poller; nothing uses them yet.

xml.etree is used because defusedxml is not installed; any DOCTYPE or ENTITY declaration is refused
before parsing, which rules out entity-expansion attacks, and expat never fetches external entities.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import xml.etree.ElementTree as ET  # noqa: S405  (see the module docstring)
from collections.abc import Iterator, Mapping, Sequence
from typing import ClassVar
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings

from logistics.carriers import http
from logistics.carriers.base import CarrierPermanentError, CarrierTemporaryError, TrackingEvent, TrackingResult
from logistics.statuses import ParcelStatus

logger = logging.getLogger("logistics.carriers")

SINGLE_PATH = "/rtm34"
BATCH_PATH = "/fc"
TICKET_LIMIT = 3000  # numbers per getTicket, per the API docs
TICKET_NOT_READY_RETRY = 900.0  # the docs ask for at most one getResponseByTicket per 15 minutes
# Batch answers give the office's local time with no zone; Moscow time is our (lossy) assumption.
BATCH_TIMEZONE = dt.timezone(dt.timedelta(hours=3))

_S = ParcelStatus
# The one table: (OperType, OperAttr) -> our status; (OperType, None) is the default for the type.
OPERATIONS: Mapping[tuple[int, int | None], ParcelStatus] = {
    (1, None): _S.IN_TRANSIT,  # accepted at the counter
    (2, None): _S.DELIVERED,  # handed over...
    (2, 2): _S.RETURNED, (2, 4): _S.RETURNED, (2, 7): _S.RETURNED, (2, 9): _S.RETURNED,  # ...to the SENDER
    (3, None): _S.RETURNING,
    (4, None): _S.EXCEPTION,  # redirected (wrong or changed address)
    (5, None): _S.EXCEPTION, (5, 1): _S.LOST,  # not delivered; attribute 1 is "lost"
    (6, None): _S.AVAILABLE_FOR_PICKUP,  # kept at the office for the addressee
    (7, None): _S.ON_HOLD,
    (8, None): _S.IN_TRANSIT,  # processing; some attributes say where it now waits
    (8, 2): _S.AVAILABLE_FOR_PICKUP, (8, 9): _S.AVAILABLE_FOR_PICKUP, (8, 10): _S.AVAILABLE_FOR_PICKUP,
    (8, 14): _S.AVAILABLE_FOR_PICKUP, (8, 23): _S.AVAILABLE_FOR_PICKUP, (8, 24): _S.AVAILABLE_FOR_PICKUP,
    (8, 25): _S.AVAILABLE_FOR_PICKUP,
    (8, 15): _S.OUT_FOR_DELIVERY, (8, 18): _S.OUT_FOR_DELIVERY,  # given to a courier / a postman
    (9, None): _S.IN_TRANSIT, (10, None): _S.IN_TRANSIT,  # international import / export
    (11, None): _S.CUSTOMS, (14, None): _S.CUSTOMS, (19, None): _S.CUSTOMS, (24, None): _S.CUSTOMS,
    (39, None): _S.CUSTOMS, (40, None): _S.CUSTOMS,
    (12, None): _S.DELIVERY_FAILED, (22, None): _S.DELIVERY_FAILED, (35, None): _S.DELIVERY_FAILED,
    (13, None): _S.IN_TRANSIT,
    (15, None): _S.ON_HOLD, (23, None): _S.ON_HOLD, (38, None): _S.ON_HOLD,
    (16, None): _S.CANCELLED, (17, None): _S.CANCELLED, (26, None): _S.CANCELLED,  # destroyed, confiscated, cancelled
    (18, None): _S.LOST,
    (20, None): _S.INFO_RECEIVED, (27, None): _S.INFO_RECEIVED, (28, None): _S.INFO_RECEIVED,
    (37, None): _S.INFO_RECEIVED,
    (21, None): _S.DELIVERED,
    (25, None): _S.EXCEPTION,  # opened
    (29, None): _S.IN_TRANSIT, (30, None): _S.IN_TRANSIT, (31, None): _S.IN_TRANSIT, (32, None): _S.IN_TRANSIT,
    (33, None): _S.IN_TRANSIT, (34, None): _S.IN_TRANSIT,
}  # fmt: skip

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
SOAP12_TYPE = "application/soap+xml; charset=utf-8"
SOAP11_TYPE = "text/xml; charset=utf-8"


def map_operation(oper_type: int, oper_attr: int | None) -> ParcelStatus:
    """Our status for an operation. OperType 2 with attribute 2, 4, 7 or 9 is a hand-back to the sender."""
    status = OPERATIONS.get((oper_type, oper_attr)) or OPERATIONS.get((oper_type, None))
    if status is None:
        logger.warning("Russian Post: unknown operation %s.%s, treated as in transit", oper_type, oper_attr)
        return _S.IN_TRANSIT
    return status


def build_history_request(barcode: str, login: str, password: str) -> bytes:
    """The getOperationHistory SOAP 1.2 envelope, as in the API docs."""
    return (
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:oper="http://russianpost.org/operationhistory" xmlns:data="http://russianpost.org/operationhistory/data" '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/><soap:Body><oper:getOperationHistory>'
        f"<data:OperationHistoryRequest><data:Barcode>{escape(barcode)}</data:Barcode>"
        "<data:MessageType>0</data:MessageType><data:Language>RUS</data:Language></data:OperationHistoryRequest>"
        f'<data:AuthorizationHeader soapenv:mustUnderstand="1"><data:login>{escape(login)}</data:login>'
        f"<data:password>{escape(password)}</data:password></data:AuthorizationHeader>"
        "</oper:getOperationHistory></soap:Body></soap:Envelope>"
    ).encode()


def parse_operation_history(raw: bytes | str, number: str) -> TrackingResult:
    """The result for one getOperationHistory answer.

    Raises CarrierPermanentError for an AuthorizationFault and CarrierTemporaryError for other faults,
    refused declarations and bodies that are not well-formed XML. An OperationHistoryFault or an empty
    history is a not-found result.
    """
    root = parse_xml(raw)
    fault_result = _fault_result(root, number)
    if fault_result is not None:
        return fault_result
    # "No operations yet" may come as an empty OperationHistoryData or as a bare response element.
    if all(next(_named(root, name), None) is None for name in ("OperationHistoryData", "getOperationHistoryResponse")):
        raise http.malformed("no OperationHistoryData in the Russian Post answer", raw)
    records = list(_named(root, "historyRecord"))
    if not records:
        return TrackingResult(number, found=False, error="Russian Post has no operations for this number yet")
    events = [event for event in map(_history_event, records) if event is not None]
    if len(events) < len(records):
        logger.warning("Russian Post: skipped %d unreadable record(s) for %s", len(records) - len(events), number)
    return TrackingResult(number, events=tuple(sorted(events, key=lambda e: e.occurred_at)))


def build_ticket_request(barcodes: Sequence[str], login: str, password: str) -> bytes:
    """The getTicket SOAP 1.1 envelope for up to 3,000 numbers."""
    if not 1 <= len(barcodes) <= TICKET_LIMIT:
        raise ValueError(f"a ticket takes 1 to {TICKET_LIMIT} numbers, not {len(barcodes)}")
    items = "".join(f"<fcl:Item Barcode={quoteattr(b)}/>" for b in barcodes)
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:pos="http://fclient.russianpost.org/postserver" xmlns:fcl="http://fclient.russianpost.org">'
        f"<soapenv:Header/><soapenv:Body><pos:ticketRequest><request>{items}</request>"
        f"<login>{escape(login)}</login><password>{escape(password)}</password><language>RUS</language>"
        "</pos:ticketRequest></soapenv:Body></soapenv:Envelope>"
    ).encode()


def parse_ticket_response(raw: bytes | str) -> str:
    """The ticket id from a getTicket answer. Raises like `parse_answer_by_ticket` for errors."""
    root = parse_xml(raw)
    _raise_for_batch_error(root)
    for response in _named(root, "ticketResponse"):
        for value in response:
            if _local(value.tag) == "value" and (value.text or "").strip():
                return (value.text or "").strip()
    raise http.malformed("getTicket answer without a ticket", raw)


def build_answer_request(ticket: str, login: str, password: str) -> bytes:
    """The getResponseByTicket SOAP 1.1 envelope."""
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:pos="http://fclient.russianpost.org/postserver"><soapenv:Header/><soapenv:Body>'
        f"<pos:answerByTicketRequest><ticket>{escape(ticket)}</ticket><login>{escape(login)}</login>"
        f"<password>{escape(password)}</password></pos:answerByTicketRequest></soapenv:Body></soapenv:Envelope>"
    ).encode()


def parse_answer_by_ticket(raw: bytes | str) -> dict[str, TrackingResult]:
    """Results per number from a getResponseByTicket answer.

    Raises CarrierTemporaryError(retry_after=900) while the answer is not ready (error 6),
    CarrierPermanentError for rejected credentials (3), CarrierTemporaryError for other ticket errors
    (an expired ticket, 17, means: ask for a new one). An item error (12: nothing known) is that
    number's not-found result.
    """
    root = parse_xml(raw)
    _raise_for_batch_error(root)
    results: dict[str, TrackingResult] = {}
    for item in _named(root, "Item"):
        number = (item.get("Barcode") or "").strip()
        if number:
            results[number] = _ticket_item_result(number, item)
    return results


def parse_xml(raw: bytes | str) -> ET.Element:
    """Parse a carrier's XML; refuses DOCTYPE/ENTITY declarations. Raises CarrierTemporaryError."""
    data = raw.encode() if isinstance(raw, str) else raw
    if _DECLARATION.search(data):
        raise http.malformed("XML with a DOCTYPE or ENTITY declaration (refused)", data)
    try:
        return ET.fromstring(data)  # noqa: S314  (declarations refused above)
    except ET.ParseError as exc:
        raise http.malformed(f"not well-formed XML ({exc})", data) from exc


def _fault_result(root: ET.Element, number: str) -> TrackingResult | None:
    fault = next(_named(root, "Fault"), None)
    if fault is None:
        return None
    names = {_local(element.tag) for element in fault.iter()}
    text = _fault_text(fault)
    raw = http.raw_text(ET.tostring(fault, encoding="unicode"))
    if "AuthorizationFault" in names:
        raise CarrierPermanentError(f"bad credentials: {text}", raw=raw)
    if "OperationHistoryFault" in names:
        return TrackingResult(number, found=False, error=f"Russian Post: {text}", raw=raw)
    raise CarrierTemporaryError(f"Russian Post fault: {text}", raw=raw)


def _fault_text(fault: ET.Element) -> str:
    for name in ("Detail", "detail", "Reason", "faultstring"):
        for element in _named(fault, name):
            text = " ".join(t.strip() for t in element.itertext() if t.strip())
            if text:
                return text
    return "unspecified fault"


def _history_event(record: ET.Element) -> TrackingEvent | None:
    oper_type = _int(_text(record, "OperationParameters", "OperType", "Id"))
    oper_attr = _int(_text(record, "OperationParameters", "OperAttr", "Id"))
    try:
        occurred_at = dt.datetime.fromisoformat(_text(record, "OperationParameters", "OperDate"))
    except ValueError:
        return None
    if oper_type is None or occurred_at.tzinfo is None:  # the single-access API always sends an offset
        return None
    names = (_text(record, "OperationParameters", "OperType", "Name"), _text(record, "OperationParameters", "OperAttr", "Name"))
    place = (
        _text(record, "AddressParameters", "OperationAddress", "Description"),
        _text(record, "AddressParameters", "OperationAddress", "Index"),
    )
    return TrackingEvent(
        occurred_at=occurred_at.astimezone(dt.UTC),
        status=map_operation(oper_type, oper_attr),
        raw_code=f"{oper_type}.{oper_attr}" if oper_attr is not None else str(oper_type),
        raw_description=": ".join(n for n in names if n),
        location=", ".join(p for p in place if p),
    )


def _ticket_item_result(number: str, item: ET.Element) -> TrackingResult:
    error = next((child for child in item if _local(child.tag).lower() == "error"), None)
    if error is not None:
        message = f"Russian Post: {error.get('ErrorName') or 'error'} ({error.get('ErrorTypeID')})"
        return TrackingResult(number, found=False, error=message)
    events = []
    for operation in (child for child in item if _local(child.tag) == "Operation"):
        oper_type, oper_attr = _int(operation.get("OperTypeID")), _int(operation.get("OperCtgID"))
        try:
            local = dt.datetime.strptime(operation.get("DateOper") or "", "%d.%m.%Y %H:%M:%S")  # noqa: DTZ007
        except ValueError:
            local = None
        if oper_type is None or local is None:
            logger.warning("Russian Post: skipped an unreadable operation for %s", number)
            continue
        events.append(
            TrackingEvent(
                occurred_at=local.replace(tzinfo=BATCH_TIMEZONE).astimezone(dt.UTC),
                status=map_operation(oper_type, oper_attr),
                raw_code=f"{oper_type}.{oper_attr}" if oper_attr is not None else str(oper_type),
                raw_description=operation.get("OperName") or "",
                location=operation.get("IndexOper") or "",
            )
        )
    return TrackingResult(number, events=tuple(sorted(events, key=lambda e: e.occurred_at)))


def _raise_for_batch_error(root: ET.Element) -> None:
    fault = next(_named(root, "Fault"), None)
    if fault is not None:
        raise CarrierTemporaryError(
            f"Russian Post fault: {_fault_text(fault)}", raw=http.raw_text(ET.tostring(fault, encoding="unicode"))
        )
    item_errors = {id(e) for item in _named(root, "Item") for e in item}
    for element in root.iter():
        if _local(element.tag).lower() == "error" and id(element) not in item_errors:
            code, name = element.get("ErrorTypeID") or "", element.get("ErrorName") or (element.text or "").strip()
            raw = http.raw_text(ET.tostring(element, encoding="unicode"))
            if code == "3":
                raise CarrierPermanentError(f"bad credentials: {name}", raw=raw)
            retry_after = TICKET_NOT_READY_RETRY if code == "6" else None
            raise CarrierTemporaryError(f"Russian Post batch error {code}: {name}", raw=raw, retry_after=retry_after)


def _named(root: ET.Element, name: str) -> Iterator[ET.Element]:
    return (element for element in root.iter() if _local(element.tag) == name)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element, *path: str) -> str:
    node: ET.Element | None = element
    for name in path:
        node = next((child for child in node if _local(child.tag) == name), None) if node is not None else None
    return (node.text or "").strip() if node is not None else ""


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


class RussianPostClient:
    """Russian Post single-access tracking over SOAP, one number per call.

    Raises CarrierTemporaryError (timeouts, 429/5xx, SOAP faults other than authorisation, malformed
    XML) and CarrierPermanentError for rejected credentials. A number with no history, or one the
    service refuses (OperationHistoryFault), comes back as a not-found result.
    """

    code: ClassVar[str] = "russian_post"
    max_batch: ClassVar[int] = 1  # see the module docstring: the batch API answers 15+ minutes later

    def __init__(
        self, *, base_url: str | None = None, login: str | None = None, password: str | None = None, timeout: float | None = None
    ) -> None:
        self.base_url = (
            base_url or getattr(settings, "CARRIER_RUSSIAN_POST_URL", "") or "https://tracking.russianpost.ru"
        ).rstrip("/")
        self.login = login if login is not None else getattr(settings, "CARRIER_RUSSIAN_POST_LOGIN", "")
        self.password = password if password is not None else getattr(settings, "CARRIER_RUSSIAN_POST_PASSWORD", "")
        self.timeout = timeout if timeout is not None else getattr(settings, "CARRIER_HTTP_TIMEOUT", http.DEFAULT_TIMEOUT)

    def track_many(self, numbers: Sequence[str]) -> dict[str, TrackingResult]:
        """One getOperationHistory per number; a transient failure fails the call (ingest is idempotent)."""
        return {number: self.track(number) for number in dict.fromkeys(numbers)}

    def track(self, number: str) -> TrackingResult:
        body = build_history_request(number, self.login, self.password)
        return parse_operation_history(self._call(SINGLE_PATH, body, SOAP12_TYPE), number)

    def request_ticket(self, numbers: Sequence[str]) -> str:
        """Ask for a batch answer for up to 3,000 numbers; returns the ticket to fetch it with later."""
        body = build_ticket_request(numbers, self.login, self.password)
        return parse_ticket_response(self._call(BATCH_PATH, body, SOAP11_TYPE))

    def fetch_ticket(self, ticket: str) -> dict[str, TrackingResult]:
        """The batch answer for a ticket; CarrierTemporaryError(retry_after=900) while it is not ready."""
        body = build_answer_request(ticket, self.login, self.password)
        return parse_answer_by_ticket(self._call(BATCH_PATH, body, SOAP11_TYPE))

    def _call(self, path: str, body: bytes, content_type: str) -> bytes:
        headers = {"Content-Type": content_type}
        if content_type == SOAP11_TYPE:
            headers["SOAPAction"] = '""'  # SOAP 1.1 servers require the header, even empty
        response = http.request("POST", f"{self.base_url}{path}", headers=headers, content=body, timeout=self.timeout)
        # SOAP faults arrive as 500 (or 400); their body says more than the status, so the parser decides.
        if response.status_code in (400, 500) and b"Fault" in response.content:
            return response.content
        http.raise_for_transport(response)
        if response.status_code != 200:
            raise CarrierTemporaryError(f"Russian Post answered {response.status_code}", raw=http.raw_text(response.content))
        return response.content
