"""The one HTTP seam of the carrier adapters.

`request` sends through a shared, pooled httpx client with timeouts; tests patch exactly that function
(or point the adapters at a local server). The other helpers map what came back onto the two carrier
error classes, so every adapter treats timeouts, rate limits, 5xx and garbage bodies the same way.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from logistics.carriers.base import CarrierPermanentError, CarrierTemporaryError

logger = logging.getLogger("logistics.carriers")

DEFAULT_TIMEOUT = 10.0
RAW_LIMIT = 2048  # how much of a bad body we keep on the error and in the log
USER_AGENT = "supportdesk-tracking/1.0"

_client: httpx.Client | None = None
_client_pid = 0
_client_lock = threading.Lock()


def _shared_client() -> httpx.Client:
    # One pooled client per process: keep-alive matters at a thousand parcels a second. A client made
    # before a Celery prefork would share its sockets with every child, so a forked child makes its own.
    global _client, _client_pid
    pid = os.getpid()
    if _client is None or _client_pid != pid:
        with _client_lock:
            if _client is None or _client_pid != pid:
                _client = httpx.Client(
                    headers={"User-Agent": USER_AGENT},
                    limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                )
                _client_pid = pid
    return _client


def request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    data: Mapping[str, str] | None = None,
    content: bytes | None = None,
    params: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> httpx.Response:
    """Send one request and return the response, whatever its status.

    Raises CarrierTemporaryError on timeouts and connection errors. The message names the host and
    path only: query strings may carry credentials.
    """
    try:
        return _shared_client().request(
            method, url, headers=headers, json=json, data=data, content=content, params=params, timeout=timeout
        )
    except httpx.TimeoutException as exc:
        raise CarrierTemporaryError(f"{method} {_where(url)} timed out after {timeout:g}s") from exc
    except httpx.TransportError as exc:  # refused, reset, DNS, protocol errors
        raise CarrierTemporaryError(f"{method} {_where(url)} failed: {type(exc).__name__}") from exc


def raise_for_transport(response: httpx.Response) -> None:
    """Raise for statuses that mean the same thing at every carrier; let the rest through.

    429, 408 and 5xx raise CarrierTemporaryError (with `retry_after` from Retry-After when given);
    401 and 403 raise CarrierPermanentError("bad credentials"). Other 4xx are left to the adapter,
    because some carriers (CDEK) answer "not found" with a 400 and a JSON body.
    """
    status = response.status_code
    where = _where(str(response.request.url)) if _has_request(response) else "carrier"
    if status in (408, 429) or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise CarrierTemporaryError(f"{where} answered {status}", raw=raw_text(response.content), retry_after=retry_after)
    if status in (401, 403):
        raise CarrierPermanentError("bad credentials", raw=raw_text(response.content))


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object. Raises CarrierTemporaryError (raw body attached, logged) otherwise."""
    try:
        payload = response.json()
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError both are ValueErrors
        raise malformed("body is not JSON", response.content) from exc
    if not isinstance(payload, dict):
        raise malformed("JSON body is not an object", response.content)
    return payload


def malformed(why: str, raw: str | bytes) -> CarrierTemporaryError:
    """Build (and log) the error for a body we could not read: the carrier may be mid-deploy."""
    text = raw_text(raw)
    logger.warning("carrier sent a malformed body (%s): %s", why, text)
    return CarrierTemporaryError(f"malformed carrier response: {why}", raw=text)


def raw_text(raw: str | bytes) -> str:
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text[:RAW_LIMIT]


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018  (a Response built by hand has no request)
    except RuntimeError:
        return False
    return True
