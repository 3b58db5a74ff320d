"""CDEK API v2 adapter: OAuth client-credentials token, order look-up by CDEK number, ORDER_STATUS pushes.

Pure parsing (`parse_order`, `parse_webhook`) is separate from I/O (`CdekClient`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import httpx
from django.conf import settings

from logistics.carriers import http
from logistics.carriers.base import CarrierPermanentError, CarrierTemporaryError, TrackingEvent, TrackingResult, stable_event_id
from logistics.statuses import ParcelStatus

logger = logging.getLogger("logistics.carriers")

_S = ParcelStatus
# The one table: CDEK order status code -> our status (for a forward order; see `_for_direction`).
STATUS_MAP: Mapping[str, ParcelStatus] = {
    "ACCEPTED": _S.PENDING,  # created, still being validated by CDEK
    "CREATED": _S.INFO_RECEIVED,
    "RECEIVED_AT_SHIPMENT_WAREHOUSE": _S.IN_TRANSIT,
    "READY_TO_SHIP_AT_SENDING_OFFICE": _S.IN_TRANSIT, "READY_FOR_SHIPMENT_IN_SENDER_CITY": _S.IN_TRANSIT,
    "READY_FOR_SHIPMENT_IN_TRANSIT_CITY": _S.IN_TRANSIT, "READY_TO_SHIP_IN_TRANSIT_OFFICE": _S.IN_TRANSIT,
    # "Returned to ... warehouse" are re-arrivals inside CDEK, not returns to the sender (CDEK docs).
    "RETURNED_TO_SENDER_CITY_WAREHOUSE": _S.IN_TRANSIT, "RETURNED_TO_TRANSIT_WAREHOUSE": _S.IN_TRANSIT,
    "TAKEN_BY_TRANSPORTER_FROM_SENDER_CITY": _S.IN_TRANSIT, "TAKEN_BY_TRANSPORTER_FROM_TRANSIT_CITY": _S.IN_TRANSIT,
    "SENT_TO_TRANSIT_CITY": _S.IN_TRANSIT, "SENT_TO_SENDER_CITY": _S.IN_TRANSIT, "SENT_TO_RECIPIENT_CITY": _S.IN_TRANSIT,
    "ACCEPTED_IN_TRANSIT_CITY": _S.IN_TRANSIT, "ACCEPTED_AT_TRANSIT_WAREHOUSE": _S.IN_TRANSIT,
    "ACCEPTED_IN_SENDER_CITY": _S.IN_TRANSIT, "ACCEPTED_IN_RECIPIENT_CITY": _S.IN_TRANSIT,
    "ARRIVED_AT_RECIPIENT_CITY": _S.IN_TRANSIT, "ACCEPTED_AT_RECIPIENT_CITY_WAREHOUSE": _S.IN_TRANSIT,
    "SHIPPED_TO_DESTINATION": _S.IN_TRANSIT, "PASSED_TO_TRANSIT_CARRIER": _S.IN_TRANSIT,
    "IN_CUSTOMS_INTERNATIONAL": _S.CUSTOMS, "IN_CUSTOMS_LOCAL": _S.CUSTOMS, "CUSTOMS_COMPLETE": _S.CUSTOMS,
    "ACCEPTED_AT_PICK_UP_POINT": _S.AVAILABLE_FOR_PICKUP, "POSTOMAT_POSTED": _S.AVAILABLE_FOR_PICKUP,
    "TAKEN_BY_COURIER": _S.OUT_FOR_DELIVERY,
    "RETURNED_TO_RECIPIENT_CITY_WAREHOUSE": _S.DELIVERY_FAILED,  # attempt failed, another one follows
    "POSTOMAT_SEIZED": _S.DELIVERY_FAILED,  # not collected from the locker in time
    "DELIVERED": _S.DELIVERED, "POSTOMAT_RECEIVED": _S.DELIVERED,
    "NOT_DELIVERED": _S.EXCEPTION,
    "INVALID": _S.CANCELLED, "REMOVED": _S.CANCELLED,
}  # fmt: skip
# NOT_DELIVERED is refined by its reason code: 26 "lost", 27 "unclaimed, disposed of".
_NOT_DELIVERED_REASONS: Mapping[str, ParcelStatus] = {"26": _S.LOST, "27": _S.CANCELLED}
_RETURN_LEG: Mapping[ParcelStatus, ParcelStatus] = {
    _S.IN_TRANSIT: _S.RETURNING, _S.OUT_FOR_DELIVERY: _S.RETURNING, _S.AVAILABLE_FOR_PICKUP: _S.RETURNING,
    _S.DELIVERED: _S.RETURNED,
}  # fmt: skip
# Request errors that mean "this number is wrong or not ours": polling again will not help.
_PERMANENT_ERROR_MARKERS = ("not_found", "forbidden", "invalid_format", "invalid_value", "field_is_empty")


def map_status(code: str, *, reason_code: str = "", is_return: bool = False) -> ParcelStatus:
    """Our status for a CDEK status code; an unknown code is logged and counted as in transit."""
    status = STATUS_MAP.get(code)
    if status is None:
        status = _S.CUSTOMS if code.startswith("IN_CUSTOMS") else _S.IN_TRANSIT
        logger.warning("CDEK: unknown status code %r, treated as %s", code, status)
    if code == "NOT_DELIVERED":
        status = _NOT_DELIVERED_REASONS.get(reason_code, status)
    # A return order's own journey ends with the sender: its "delivered" means returned.
    return _RETURN_LEG.get(status, status) if is_return else status


def parse_order(payload: Mapping[str, Any], number: str) -> TrackingResult:
    """The result for one GET /v2/orders answer (200 with an entity, or 400 with request errors).

    Raises CarrierTemporaryError for a CDEK-side error or a body with neither entity nor errors.
    """
    entity = payload.get("entity")
    if isinstance(entity, Mapping) and isinstance(entity.get("statuses"), list):
        try:
            return TrackingResult(number, events=_order_events(entity))
        except (AttributeError, TypeError, ValueError) as exc:
            raw = http.raw_text(json.dumps(payload, ensure_ascii=False))
            logger.warning("CDEK: unreadable order %s (%s): %s", number, exc, raw)
            return TrackingResult(number, found=False, error=f"unreadable CDEK data: {exc}", raw=raw)
    errors = _request_errors(payload)
    if not errors:
        raise http.malformed("CDEK order response without entity or errors", json.dumps(payload, ensure_ascii=False))
    code, message = errors[0]
    raw = http.raw_text(json.dumps(payload, ensure_ascii=False))
    if any(marker in code for marker in _PERMANENT_ERROR_MARKERS):
        return TrackingResult(number, found=False, error=f"CDEK: {message} ({code})", permanent_error=True, raw=raw)
    raise CarrierTemporaryError(f"CDEK error {code}: {message}", raw=raw)


def parse_webhook(payload: Mapping[str, Any]) -> TrackingResult:
    """The one status an ORDER_STATUS push carries. Raises ValueError for other pushes or bad bodies."""
    if payload.get("type") != "ORDER_STATUS":
        raise ValueError(f"unsupported CDEK webhook type {payload.get('type')!r}")
    attributes = payload.get("attributes")
    if not isinstance(attributes, Mapping) or not attributes.get("cdek_number") or not attributes.get("code"):
        raise ValueError("CDEK ORDER_STATUS push without cdek_number or code")
    code = str(attributes["code"])
    occurred_at = _utc(str(attributes.get("status_date_time") or payload.get("date_time") or ""))
    event = TrackingEvent(
        occurred_at=occurred_at,
        status=map_status(code, reason_code=str(attributes.get("status_reason_code") or ""), is_return=_is_return(attributes)),
        raw_code=code,
        location=str(attributes.get("city") or attributes.get("city_name") or ""),
        carrier_event_id=stable_event_id(code, occurred_at.isoformat()),  # the push has no status name
    )
    return TrackingResult(str(attributes["cdek_number"]), events=(event,))


def _order_events(entity: Mapping[str, Any]) -> tuple[TrackingEvent, ...]:
    is_return = _is_return(entity)
    events = []
    for status in entity["statuses"]:
        try:
            occurred_at = _utc(str(status.get("date_time") or ""))
        except ValueError:
            logger.warning("CDEK: skipped a status without a usable time: %.300r", status)
            continue
        code = str(status.get("code") or "")
        events.append(
            TrackingEvent(
                occurred_at=occurred_at,
                status=map_status(code, reason_code=str(status.get("reason_code") or ""), is_return=is_return),
                raw_code=code,
                raw_description=str(status.get("name") or ""),
                location=str(status.get("city") or ""),
                carrier_event_id=stable_event_id(code, occurred_at.isoformat()),
            )
        )
    return tuple(sorted(events, key=lambda e: e.occurred_at))


def _is_return(obj: Mapping[str, Any]) -> bool:
    return bool(obj.get("is_return") or obj.get("is_client_return"))


def _request_errors(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    requests = payload.get("requests")
    found = []
    for request in requests if isinstance(requests, list) else []:
        for error in (request.get("errors") or []) if isinstance(request, Mapping) else []:
            if isinstance(error, Mapping):
                found.append((str(error.get("code") or ""), str(error.get("message") or "")))
    return found


def _utc(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)  # CDEK writes offsets as +0700; 3.11 reads them
    # CDEK always sends an offset; if one is ever missing, its servers' Moscow time is the safer guess.
    return moment.replace(tzinfo=_MOSCOW).astimezone(dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


_MOSCOW = dt.timezone(dt.timedelta(hours=3))


class _TokenCache:
    """Access tokens per (base URL, client id), shared by every client in the process."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], now: float) -> str | None:
        with self._lock:
            token, expires_at = self._tokens.get(key, ("", 0.0))
        return token if token and now < expires_at else None

    def put(self, key: tuple[str, str], token: str, expires_at: float) -> None:
        with self._lock:
            self._tokens[key] = (token, expires_at)

    def drop(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


TOKENS = _TokenCache()


class CdekClient:
    """CDEK API v2 over HTTP, one order per call (CDEK has no batch look-up).

    Raises CarrierTemporaryError (timeouts, 429/5xx, CDEK-side errors, malformed bodies) and
    CarrierPermanentError for rejected credentials. A number CDEK does not know comes back as a
    result with `permanent_error=True`. The OAuth token is cached until shortly before it expires and
    fetched again once if CDEK answers 401 before that.
    """

    code: ClassVar[str] = "cdek"
    max_batch: ClassVar[int] = 1

    def __init__(
        self,
        *,
        base_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeout: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = (base_url or getattr(settings, "CARRIER_CDEK_URL", "") or "https://api.cdek.ru").rstrip("/")
        self.client_id = client_id if client_id is not None else getattr(settings, "CARRIER_CDEK_CLIENT_ID", "")
        self.client_secret = client_secret if client_secret is not None else getattr(settings, "CARRIER_CDEK_CLIENT_SECRET", "")
        self.timeout = timeout if timeout is not None else getattr(settings, "CARRIER_HTTP_TIMEOUT", http.DEFAULT_TIMEOUT)
        self.clock = clock

    def track_many(self, numbers: Sequence[str]) -> dict[str, TrackingResult]:
        """One look-up per number; a transient failure fails the call (ingest is idempotent, so a retry is safe)."""
        return {number: self.track(number) for number in dict.fromkeys(numbers)}

    def track(self, number: str) -> TrackingResult:
        response = self._get_order(number, self._token())
        if response.status_code == 401:  # token revoked or expired early: fetch a new one, once
            TOKENS.drop(self._cache_key)
            response = self._get_order(number, self._token())
        http.raise_for_transport(response)
        if response.status_code not in (200, 400, 404):
            raise CarrierTemporaryError(f"CDEK answered {response.status_code}", raw=http.raw_text(response.content))
        return parse_order(http.json_object(response), number)

    @property
    def _cache_key(self) -> tuple[str, str]:
        return (self.base_url, self.client_id)

    def _get_order(self, number: str, token: str) -> httpx.Response:
        return http.request(
            "GET", f"{self.base_url}/v2/orders", params={"cdek_number": number},
            headers={"Authorization": f"Bearer {token}"}, timeout=self.timeout,
        )  # fmt: skip

    def _token(self) -> str:
        cached = TOKENS.get(self._cache_key, self.clock())
        if cached:
            return cached
        # Credentials go in the form body, not the query string, so they stay out of access logs.
        response = http.request(
            "POST", f"{self.base_url}/v2/oauth/token", params={"grant_type": "client_credentials"},
            data={"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret},
            timeout=self.timeout,
        )  # fmt: skip
        http.raise_for_transport(response)
        if response.status_code == 400:  # invalid_client and friends
            raise CarrierPermanentError("bad credentials", raw=http.raw_text(response.content))
        payload = http.json_object(response)
        token, expires_in = payload.get("access_token"), payload.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
            raise http.malformed("CDEK token response without access_token/expires_in", response.content)
        # Renew shortly before expiry so a token never dies in the middle of a batch.
        TOKENS.put(self._cache_key, token, self.clock() + expires_in - min(60.0, expires_in * 0.1))
        return token
