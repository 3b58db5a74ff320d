"""17TRACK API v2.2 adapter, and the demo emulator that speaks the same wire format.

Pure parsing (`parse_gettrackinfo`, `parse_webhook`) is separate from I/O (`SeventeenTrackClient`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from django.conf import settings

from logistics.carriers import http
from logistics.carriers.base import (
    CarrierError,
    CarrierPermanentError,
    CarrierTemporaryError,
    TrackingEvent,
    TrackingResult,
    stable_event_id,
)
from logistics.statuses import ParcelStatus

logger = logging.getLogger("logistics.carriers")

API_PATH = "/track/v2.2"
BATCH_SIZE = 40  # 17TRACK takes at most 40 numbers per call

NOT_REGISTERED = -18019902
ALREADY_REGISTERED = -18019901
NOT_BEING_TRACKED = -18019906
_AUTH_CODES = frozenset({-18010001, -18010002, -18010004, -18010005})  # IP, key, disabled, unauthorised
# Refusals of one number that polling again will not cure: not registered, invalid value/format,
# carrier not detected, carrier code wrong.
_PERMANENT_ITEM_CODES = frozenset({NOT_REGISTERED, -18010011, -18010012, -18019903, -18019910})
# Account-wide limits: back off the whole batch rather than stop polling every parcel in it.
_THROTTLE_CODES: Mapping[int, float] = {-18010014: 60.0, -18019907: 3600.0, -18019908: 3600.0}

_S = ParcelStatus
# The one table: 17TRACK main status, sub-status or key stage -> our status.
STATUS_MAP: Mapping[str, ParcelStatus] = {
    "NotFound": _S.PENDING, "NotFound_Other": _S.PENDING, "NotFound_InvalidCode": _S.PENDING,
    "InfoReceived": _S.INFO_RECEIVED,
    "InTransit": _S.IN_TRANSIT, "InTransit_PickedUp": _S.IN_TRANSIT, "InTransit_Other": _S.IN_TRANSIT,
    "InTransit_Departure": _S.IN_TRANSIT, "InTransit_Arrival": _S.IN_TRANSIT,
    "PickedUp": _S.IN_TRANSIT, "Departure": _S.IN_TRANSIT, "Arrival": _S.IN_TRANSIT,
    "InTransit_CustomsProcessing": _S.CUSTOMS, "InTransit_CustomsReleased": _S.CUSTOMS,
    "InTransit_CustomsRequiringInformation": _S.CUSTOMS,
    "Expired": _S.EXPIRED, "Expired_Other": _S.EXPIRED,
    "AvailableForPickup": _S.AVAILABLE_FOR_PICKUP, "AvailableForPickup_Other": _S.AVAILABLE_FOR_PICKUP,
    "OutForDelivery": _S.OUT_FOR_DELIVERY, "OutForDelivery_Other": _S.OUT_FOR_DELIVERY,
    "DeliveryFailure": _S.DELIVERY_FAILED, "DeliveryFailure_Other": _S.DELIVERY_FAILED,
    "DeliveryFailure_NoBody": _S.DELIVERY_FAILED, "DeliveryFailure_Security": _S.DELIVERY_FAILED,
    "DeliveryFailure_Rejected": _S.DELIVERY_FAILED, "DeliveryFailure_InvalidAddress": _S.DELIVERY_FAILED,
    "Delivered": _S.DELIVERED, "Delivered_Other": _S.DELIVERED,
    "Exception": _S.EXCEPTION, "Exception_Other": _S.EXCEPTION, "Exception_NoBody": _S.EXCEPTION,
    "Exception_Security": _S.EXCEPTION, "Exception_Damage": _S.EXCEPTION, "Exception_Rejected": _S.EXCEPTION,
    "Exception_Delayed": _S.EXCEPTION,
    "Exception_Returning": _S.RETURNING, "Returning": _S.RETURNING,
    "Exception_Returned": _S.RETURNED, "Returned": _S.RETURNED,
    "Exception_Lost": _S.LOST,
    "Exception_Cancel": _S.CANCELLED, "Exception_Destroyed": _S.CANCELLED,
}  # fmt: skip


def map_status(*codes: str | None) -> ParcelStatus | None:
    """Our status for the first code 17TRACK gave (sub-status, then stage); None if it gave none.

    A code missing from the table falls back to its main status ("Exception_New" -> exception), so a
    sub-status 17TRACK adds later still lands in the right family.
    """
    given = [c for c in codes if c]
    for code in given:
        if code in STATUS_MAP:
            return STATUS_MAP[code]
    for code in given:
        main = code.split("_", 1)[0]
        if main in STATUS_MAP:
            logger.warning("17TRACK: unknown code %r, mapped by its main status %r", code, main)
            return _S.CUSTOMS if "Customs" in code else STATUS_MAP[main]
    if given:
        logger.warning("17TRACK: unknown codes %r, treated as in transit", given)
        return _S.IN_TRANSIT
    return None


def parse_gettrackinfo(payload: Mapping[str, Any]) -> dict[str, TrackingResult]:
    """Results for every number in a gettrackinfo (or register-shaped) response, keyed by number.

    Raises CarrierPermanentError for a rejected key and CarrierTemporaryError for any other envelope
    error or a body without data. A malformed or rejected item becomes that number's error result.
    """
    data = _envelope_data(payload)
    results: dict[str, TrackingResult] = {}
    for item in _as_list(data.get("accepted")):
        result = _accepted_result(item)
        if result is not None:
            results[result.tracking_number] = result
    for item in _as_list(data.get("rejected")):
        result = _rejected_result(item)
        if result is not None:
            results[result.tracking_number] = result
    return results


def parse_webhook(payload: Mapping[str, Any]) -> TrackingResult:
    """The result carried by a TRACKING_UPDATED push. Raises ValueError for other events or bad bodies."""
    if payload.get("event") != "TRACKING_UPDATED":
        raise ValueError(f"unsupported 17TRACK webhook event {payload.get('event')!r}")
    result = _accepted_result(payload.get("data"))
    if result is None:
        raise ValueError("17TRACK webhook without a tracking number")
    return result


def verify_webhook_signature(body: bytes, header_sign: str, token: str) -> bool:
    """17TRACK signs a push as hex sha256 of the raw body, "/", and the account's security key."""
    if not header_sign or not token:
        return False
    expected = hashlib.sha256(body + b"/" + token.encode()).hexdigest()
    return hmac.compare_digest(expected, header_sign.strip().lower())


def _envelope_data(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    data = payload.get("data")
    if isinstance(data, Mapping) and ("accepted" in data or "rejected" in data):
        return data  # per-number answers, even when `code` says some of them failed
    code, message = _envelope_error(payload)
    raw = json.dumps(payload, ensure_ascii=False)
    if code in _AUTH_CODES:
        raise CarrierPermanentError(f"17TRACK rejected the credentials: {message}", raw=http.raw_text(raw))
    if code is not None and code in _THROTTLE_CODES:
        raise CarrierTemporaryError(f"17TRACK limit: {message}", raw=http.raw_text(raw), retry_after=_THROTTLE_CODES[code])
    if code:
        raise CarrierTemporaryError(f"17TRACK error {code}: {message}", raw=http.raw_text(raw))
    raise http.malformed("17TRACK response without data", raw)


def _envelope_error(payload: Mapping[str, Any]) -> tuple[int | None, str]:
    data = payload.get("data")
    errors = data.get("errors") if isinstance(data, Mapping) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], Mapping) else {}
    code = first.get("code", payload.get("code"))
    return (code if isinstance(code, int) else None), str(first.get("message") or payload.get("message") or "")


def _accepted_result(item: Any) -> TrackingResult | None:
    number = _number_of(item)
    if number is None:
        logger.warning("17TRACK: accepted item without a number: %.500r", item)
        return None
    try:
        return _track_info_result(number, item.get("track_info"))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        # One bad item must not cost the other 39 numbers their update.
        raw = http.raw_text(json.dumps(item, ensure_ascii=False, default=str))
        logger.warning("17TRACK: unreadable item for %s (%s): %s", number, exc, raw)
        return TrackingResult(number, found=False, error=f"unreadable 17TRACK data: {exc}", raw=raw)


def _track_info_result(number: str, info: Any) -> TrackingResult:
    if info is None:
        return TrackingResult(number, found=False, error="17TRACK has no tracking data for this number yet")
    if not isinstance(info, Mapping):
        raise TypeError("track_info is not an object")
    latest = info.get("latest_status") or {}
    latest_status = map_status(latest.get("sub_status"), latest.get("status"))
    events = _events(info, latest_status)
    if not events and latest.get("status") in (None, "NotFound"):
        invalid = latest.get("sub_status") == "NotFound_InvalidCode"
        error = "17TRACK says the number is invalid" if invalid else "the carrier has no information yet"
        return TrackingResult(number, found=False, error=error, permanent_error=invalid)
    return TrackingResult(number, events=events)


def _events(info: Mapping[str, Any], latest_status: ParcelStatus | None) -> tuple[TrackingEvent, ...]:
    tracking = info.get("tracking") or {}
    raw_events = [e for p in _as_list(tracking.get("providers")) for e in _as_list(p.get("events"))]
    parsed = [(event, _event_time(event)) for event in raw_events]
    dated = sorted(((e, t) for e, t in parsed if t is not None), key=lambda pair: pair[1])
    if len(dated) < len(parsed):
        logger.warning("17TRACK: skipped %d event(s) without a usable time", len(parsed) - len(dated))
    events = []
    for index, (event, occurred_at) in enumerate(dated):
        status = map_status(event.get("sub_status"), event.get("stage"))
        if status is None:  # most scans carry no code; the newest takes the tracking's overall status
            status = latest_status if index == len(dated) - 1 and latest_status else _S.IN_TRANSIT
        events.append(
            TrackingEvent(
                occurred_at=occurred_at,
                status=status,
                raw_code=str(event.get("sub_status") or event.get("stage") or ""),
                raw_description=str(event.get("description") or ""),
                location=_location(event),
                # v2.4 pushes may lack the sub-status a v2.2 poll has: key on time and text only
                carrier_event_id=stable_event_id(occurred_at.isoformat(), event.get("description") or ""),
            )
        )
    return tuple(events)


def _event_time(event: Mapping[str, Any]) -> dt.datetime | None:
    for key in ("time_utc", "time_iso"):
        value = event.get(key)
        if isinstance(value, str) and value:
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                continue
            # A time with no offset at all: 17TRACK gives no zone, so UTC is the least wrong guess.
            return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    return None


def _location(event: Mapping[str, Any]) -> str:
    if event.get("location"):
        return str(event["location"])
    address = event.get("address") or {}
    return ", ".join(str(address[k]) for k in ("city", "state", "country") if address.get(k))


def _rejected_result(item: Any) -> TrackingResult | None:
    number = _number_of(item)
    if number is None:
        logger.warning("17TRACK: rejected item without a number: %.500r", item)
        return None
    error = item.get("error") if isinstance(item.get("error"), Mapping) else {}
    code = error.get("code")
    message = str(error.get("message") or "17TRACK rejected the number")
    return TrackingResult(
        number,
        found=False,
        error=f"{message} ({code})",
        permanent_error=code in _PERMANENT_ITEM_CODES,
        raw=http.raw_text(json.dumps(item, ensure_ascii=False, default=str)),
    )


def _number_of(item: Any) -> str | None:
    if isinstance(item, Mapping) and isinstance(item.get("number"), str) and item["number"].strip():
        return str(item["number"]).strip()
    return None


def _as_list(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _codes_of_rejected(payload: Mapping[str, Any]) -> dict[str, Any]:
    data = payload.get("data")
    rejected = data.get("rejected") if isinstance(data, Mapping) else None
    return {
        n: (item.get("error") or {}).get("code")
        for item in _as_list(rejected)
        if (n := _number_of(item)) is not None and isinstance(item.get("error") or {}, Mapping)
    }


def _key(number: str) -> str:
    return number.strip().upper()


class SeventeenTrackClient:
    """17TRACK API v2.2 over HTTP: `track_many` in batches of 40, `register`, `stop`.

    Raises CarrierTemporaryError (timeouts, 429/5xx, limits, malformed bodies) for a whole batch and
    CarrierPermanentError for a rejected key; a number 17TRACK refuses comes back as a result.
    Numbers it does not know yet are registered on the fly (`auto_register`) and answered "no data yet".
    """

    code: ClassVar[str] = "17track"
    max_batch: ClassVar[int] = BATCH_SIZE
    auto_register: ClassVar[bool] = True
    url_setting: ClassVar[str] = "CARRIER_17TRACK_URL"
    auth_setting: ClassVar[str] = "CARRIER_17TRACK_TOKEN"
    default_url: ClassVar[str] = "https://api.17track.net"

    def __init__(self, *, base_url: str | None = None, token: str | None = None, timeout: float | None = None) -> None:
        self.base_url = (base_url or getattr(settings, self.url_setting, "") or self.default_url).rstrip("/")
        self.token = token if token is not None else getattr(settings, self.auth_setting, "")
        self.timeout = timeout if timeout is not None else getattr(settings, "CARRIER_HTTP_TIMEOUT", http.DEFAULT_TIMEOUT)

    def track_many(self, numbers: Sequence[str]) -> dict[str, TrackingResult]:
        """One result per requested number (keyed as given), fetched in batches of 40."""
        wanted = {_key(n): n for n in numbers}
        keys = list(wanted)
        found: dict[str, TrackingResult] = {}
        unregistered: list[str] = []
        for start in range(0, len(keys), BATCH_SIZE):
            batch, batch_unregistered = self._track_batch(keys[start : start + BATCH_SIZE])
            found.update(batch)
            unregistered += batch_unregistered
        if self.auto_register and unregistered:
            found.update(self._register_unknown(unregistered))
        missing = "17TRACK did not answer for this number"
        return {
            number: replace(found[key], tracking_number=number)
            if key in found
            else TrackingResult(number, found=False, error=missing)
            for key, number in wanted.items()
        }

    def register(self, numbers: Sequence[str]) -> dict[str, str]:
        """Register numbers for tracking; returns the ones 17TRACK refused, with its reason.

        A number that is already registered counts as registered.
        """
        return self._batch_command("register", numbers, ok_codes={ALREADY_REGISTERED})

    def stop(self, numbers: Sequence[str]) -> dict[str, str]:
        """Stop tracking numbers (frees 17TRACK quota); returns the ones it refused, with its reason."""
        return self._batch_command("stoptrack", numbers, ok_codes={NOT_BEING_TRACKED})

    def _track_batch(self, keys: Sequence[str]) -> tuple[dict[str, TrackingResult], list[str]]:
        payload = self._post("gettrackinfo", [{"number": k} for k in keys])
        results = {_key(n): r for n, r in parse_gettrackinfo(payload).items()}
        unregistered = [_key(n) for n, code in _codes_of_rejected(payload).items() if code == NOT_REGISTERED]
        return results, unregistered

    def _register_unknown(self, keys: Sequence[str]) -> dict[str, TrackingResult]:
        try:
            refused = {_key(n): reason for n, reason in self.register(keys).items()}
        except CarrierError as exc:  # the tracked numbers' answers stand; registering is retried next poll
            logger.warning("17TRACK: registering %d unknown number(s) failed: %s", len(keys), exc.message)
            error = f"not registered with 17TRACK yet; registering failed: {exc.message}"
            return {k: TrackingResult(k, found=False, error=error) for k in keys}
        return {
            k: TrackingResult(k, found=False, error=f"17TRACK refused to register the number: {refused[k]}", permanent_error=True)
            if k in refused
            else TrackingResult(k, found=False, error="registered with 17TRACK just now; no tracking data yet")
            for k in keys
        }

    def _batch_command(self, path: str, numbers: Sequence[str], *, ok_codes: set[int]) -> dict[str, str]:
        refused: dict[str, str] = {}
        for start in range(0, len(numbers), BATCH_SIZE):
            payload = self._post(path, [{"number": n} for n in numbers[start : start + BATCH_SIZE]])
            data = _envelope_data(payload)  # raises for key, limit and envelope errors
            for item in _as_list(data.get("rejected")):
                error = item.get("error") if isinstance(item.get("error"), Mapping) else {}
                if (number := _number_of(item)) is not None and error.get("code") not in ok_codes:
                    refused[number] = f"{error.get('message') or 'refused'} ({error.get('code')})"
        return refused

    def _post(self, path: str, body: list[dict[str, str]]) -> dict[str, Any]:
        response = http.request(
            "POST", f"{self.base_url}{API_PATH}/{path}", headers={"17token": self.token}, json=body, timeout=self.timeout
        )
        http.raise_for_transport(response)
        return http.json_object(response)


class DemoClient(SeventeenTrackClient):
    """The demo carrier: our emulator, which speaks 17TRACK v2.2. Same behaviour and errors."""

    code: ClassVar[str] = "demo"
    url_setting: ClassVar[str] = "CARRIER_DEMO_URL"
    auth_setting: ClassVar[str] = "CARRIER_DEMO_TOKEN"
    default_url: ClassVar[str] = "http://127.0.0.1:8765"
