"""The Ozon Seller API over HTTP: three calls, each a short fetch + a pure parser from `parsing`.

HTTP goes through the carriers' one helper (`logistics.carriers.http.request`: pooled, with timeouts),
so tests patch or point at the same seam. The base URL comes from settings (MARKETPLACE_OZON_URL), so
the same code talks to Ozon or to a local test server.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from typing import Any

import httpx
from django.conf import settings

from logistics.carriers import http
from logistics.carriers.base import CarrierTemporaryError
from marketplace.ozon.errors import OzonPermanentError, OzonTemporaryError
from marketplace.ozon.parsing import (
    Posting,
    PostingPage,
    TrackingSetResult,
    parse_error_message,
    parse_posting_get,
    parse_posting_list,
    parse_tracking_set,
)

logger = logging.getLogger("marketplace.ozon")

PAGE_SIZE = 1000  # the largest `limit` /v3/posting/fbs/list accepts
LIST_PATH = "/v3/posting/fbs/list"
GET_PATH = "/v3/posting/fbs/get"
TRACKING_SET_PATH = "/v2/fbs/posting/tracking-number/set"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class OzonClient:
    """One seller account's view of the API. Every call raises OzonTemporaryError or OzonPermanentError."""

    def __init__(self, *, client_id: str, api_key: str, base_url: str | None = None, timeout: float | None = None) -> None:
        self.base_url = (base_url or settings.MARKETPLACE_OZON_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.MARKETPLACE_OZON_TIMEOUT
        self._headers = {"Client-Id": client_id, "Api-Key": api_key, "Content-Type": "application/json"}

    def list_fbs_postings(
        self, *, since: dt.datetime, to: dt.datetime, offset: int = 0, limit: int = PAGE_SIZE,
        status_changed_since: dt.datetime | None = None,
    ) -> PostingPage:
        """One page of FBS postings created in [since, to], optionally only those whose status changed since then."""
        filter_: dict[str, Any] = {"since": _iso(since), "to": _iso(to)}
        if status_changed_since is not None:
            filter_["last_changed_status_date"] = {"from": _iso(status_changed_since), "to": _iso(to)}
        body = {"dir": "ASC", "filter": filter_, "limit": limit, "offset": offset,
                "with": {"analytics_data": True, "financial_data": False}}
        return parse_posting_list(self._post(LIST_PATH, body))

    def get_fbs_posting(self, posting_number: str) -> Posting:
        body = {"posting_number": posting_number, "with": {"analytics_data": True, "financial_data": False}}
        return parse_posting_get(self._post(GET_PATH, body))

    def set_tracking_numbers(self, numbers: Sequence[tuple[str, str]]) -> list[TrackingSetResult]:
        """Tell Ozon the tracking number of each (posting number, tracking number)."""
        body = {"tracking_numbers": [{"posting_number": p, "tracking_number": t} for p, t in numbers]}
        return parse_tracking_set(self._post(TRACKING_SET_PATH, body))

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = http.request("POST", self.base_url + path, headers=self._headers, json=body, timeout=self.timeout)
        except CarrierTemporaryError as error:  # timeouts, refused connections
            raise OzonTemporaryError(error.message) from error
        raise_for_status(response, path)
        return _json_object(response, path)


def raise_for_status(response: httpx.Response, path: str) -> None:
    """429/408/5xx → OzonTemporaryError (with Retry-After); 401/403 and other 4xx → OzonPermanentError."""
    status = response.status_code
    if status < 400:
        return
    raw = http.raw_text(response.content)
    try:
        detail = parse_error_message(json.loads(response.content))
    except ValueError:
        detail = ""
    message = f"Ozon {path} answered {status}" + (f": {detail}" if detail else "")
    if status in (408, 429) or status >= 500:
        raise OzonTemporaryError(message, raw=raw, retry_after=http.parse_retry_after(response.headers.get("Retry-After")))
    if status in (401, 403):
        raise OzonPermanentError(f"bad Ozon credentials (Client-Id / Api-Key): {detail or status}", raw=raw)
    raise OzonPermanentError(message, raw=raw)


def _json_object(response: httpx.Response, path: str) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError as error:  # truncated or not JSON at all: Ozon may be mid-deploy
        logger.warning("Ozon %s sent a body that is not JSON: %s", path, http.raw_text(response.content))
        raise OzonTemporaryError(f"Ozon {path} sent a malformed body", raw=http.raw_text(response.content)) from error
    if not isinstance(payload, dict):
        raise OzonTemporaryError(f"Ozon {path} sent JSON that is not an object", raw=http.raw_text(response.content))
    return payload
