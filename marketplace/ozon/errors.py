"""The two Ozon error classes (temporary: retry later; permanent: fix something first), like the carriers'."""

from __future__ import annotations


class OzonError(Exception):
    """Base of both; `message` is safe to show to staff (no credentials in it)."""

    def __init__(self, message: str, *, raw: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.raw = raw


class OzonTemporaryError(OzonError):
    """Timeouts, connection errors, 429, 408, 5xx and bodies we cannot read: retry with backoff."""

    def __init__(self, message: str, *, raw: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, raw=raw)
        self.retry_after = retry_after


class OzonPermanentError(OzonError):
    """Bad or missing credentials (401/403), a request Ozon refuses (other 4xx): retrying will not help."""


class OzonPayloadError(ValueError):
    """One posting in an otherwise readable answer lacks what we need (it is skipped and logged)."""
