"""Throttles per token (or signed-in user) and per client IP, counted in the Django cache (Redis in production).

Rates come from API_THROTTLE_TOKEN_RATE and API_THROTTLE_IP_RATE ("600/min"); DRF answers 429 with Retry-After.

Fixed windows counted with one atomic increment, not DRF's SimpleRateThrottle: that keeps the time of every
request of the window in one cache value, read, trimmed and written back whole on each request, so its cost grows
with the rate (1,200 timestamps pickled twice a request at 1200/min) and two concurrent requests can both write
back the same old list, letting more through than the rate. A window allows at most its number of requests; a
client that spends it at the very end of one window and the start of the next gets up to twice in a short span,
the usual trade of fixed windows.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from api.models import ApiToken


def count_in_window(key: str, window_seconds: int) -> int:
    """Add one to `key`'s counter, which expires with its window, and return the count."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):  # one round trip: INCR and EXPIRE in a pipeline
        full_key = cache.make_and_validate_key(key)
        pipeline = cache._cache.get_client(full_key, write=True).pipeline()  # type: ignore[attr-defined]  # Django's client
        pipeline.incr(full_key)
        pipeline.expire(full_key, window_seconds + 1)
        count, _expiry_set = pipeline.execute()
        return int(count)
    cache.add(key, 0, timeout=window_seconds + 1)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between the two calls: this request opens the counter again
        cache.add(key, 1, timeout=window_seconds + 1)
        return 1


def _parse_rate(rate: str) -> tuple[int, int]:
    """"600/min" → (600, 60), as DRF reads rates (s, m, h, d)."""
    allowed, seconds = SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]  # does not use self
    if allowed is None or seconds is None:
        raise ValueError(f"not a rate: {rate!r}")
    return allowed, seconds


class WindowRateThrottle(BaseThrottle):
    scope = ""

    def get_rate(self) -> str:
        raise NotImplementedError

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: APIView) -> bool:
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        allowed, seconds = _parse_rate(self.get_rate())
        now = time.time()
        window = int(now // seconds)
        self.retry_after = (window + 1) * seconds - now
        return count_in_window(f"throttle:{self.scope}:{ident}:{window}", seconds) <= allowed

    def wait(self) -> float:
        return self.retry_after


class TokenRateThrottle(WindowRateThrottle):
    scope = "api_token"

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_TOKEN_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiToken):
            return f"token-{request.auth.id}"
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return None


class IPRateThrottle(WindowRateThrottle):
    """Checked before authentication (api.views.base), so guessing tokens is throttled too."""

    scope = "api_ip"

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_IP_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.get_ident(request)
