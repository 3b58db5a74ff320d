"""17TRACK v2.2 envelopes, error codes and messages, as the real API sends them.

Whole-call failures: `{"code": <code>, "data": {"errors": [{"code": <code>, "message": ...}]}}`.
Per-number outcomes: `{"code": 0, "data": {"accepted": [...], "rejected": [{"number", "error"}]}}`.
"""

from __future__ import annotations

from typing import Final

from logistics.emulator.render import dumps

MAX_BATCH: Final = 40

INVALID_KEY: Final = -18010002
INTERNAL_ERROR: Final = -18010003
INVALID_FORMAT: Final = -18010012
INVALID_DATA: Final = -18010013
TOO_MANY_NUMBERS: Final = -18010014
ALREADY_REGISTERED: Final = -18019901
NOT_REGISTERED: Final = -18019902
NOT_BEING_TRACKED: Final = -18019906
RATE_LIMITED: Final = 429

MESSAGES: Final = {
    INVALID_KEY: "Invalid security key.",
    INTERNAL_ERROR: "Internal service error. Please try again later.",
    INVALID_FORMAT: "The format of '{0}' is invalid.",
    INVALID_DATA: "Submitted data is invalid.",
    TOO_MANY_NUMBERS: "Tracking numbers exceed 40 limit.",
    ALREADY_REGISTERED: "The tracking number '{0}' has been registered, don't need to repeat registration.",
    NOT_REGISTERED: "The tracking number '{0}' does not register, please register first.",
    NOT_BEING_TRACKED: "Stop tracking is not allowed. You can only stop numbers that are being tracked.",
    RATE_LIMITED: "Too many requests.",
}


def error_envelope(code: int) -> bytes:
    error = {"code": code, "message": MESSAGES[code]}
    return dumps({"code": code, "data": {"errors": [error]}}).encode()


def rejection(number: str, code: int, tag: str | None = None) -> str:
    item: dict[str, object] = {"number": number}
    if tag is not None:
        item["tag"] = tag
    item["error"] = {"code": code, "message": MESSAGES[code].format(number)}
    return dumps(item)


def batch_envelope(accepted: list[str], rejected: list[str]) -> bytes:
    """Join pre-rendered JSON items; the hot path never re-encodes a cached track."""
    return f'{{"code":0,"data":{{"accepted":[{",".join(accepted)}],"rejected":[{",".join(rejected)}]}}}}'.encode()


def ok_envelope(data: object) -> bytes:
    """Replies of the emulator's own control endpoints use the same `code`/`data` shape."""
    return dumps({"code": 0, "data": data}).encode()
