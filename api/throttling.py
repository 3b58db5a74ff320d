"""Throttles per token (or signed-in user) and per client IP, counted in the Django cache (Redis in production).

Rates come from API_THROTTLE_TOKEN_RATE and API_THROTTLE_IP_RATE ("600/min"); DRF answers 429 with Retry-After.

Fixed windows counted with one atomic increment, not DRF's SimpleRateThrottle: that keeps the time of every
request of the window in one cache value, read, trimmed and written back whole on each request, so its cost grows
with the rate (1,200 timestamps pickled twice a request at 1200/min) and two concurrent requests can both write
back the same old list, letting more through than the rate. A window allows at most its number of requests; a
client that spends it at the very end of one window and the start of the next gets up to twice in a short span,
the usual trade of fixed windows. The IP's and the token's counters go to Redis in one pipeline, before
authentication: a token is counted under the hash of its secret, which the header gives.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from api.authentication import bearer_secret
from api.services import token_hash


def count_in_window(key: str, window_seconds: int) -> int:
    """Add one to `key`'s counter, which expires with its window, and return the count."""
    return count_in_windows([(key, window_seconds)])[0]


def count_in_windows(counters: Sequence[tuple[str, int]]) -> list[int]:
    """count_in_window for several (key, window seconds) counters, in one round trip on Redis."""
    return count_and_read(counters, ())[0]


def count_and_read(counters: Sequence[tuple[str, int]], keys: Sequence[str]) -> tuple[list[int], dict[str, Any]]:
    """count_in_windows, and the values of the cache `keys` (those it has), in the same round trip on Redis."""
    cache = caches["default"]
    if not counters and not keys:
        return [], {}
    if not isinstance(cache, RedisCache):
        return [_count_in_cache(cache, key, seconds) for key, seconds in counters], cache.get_many(keys) if keys else {}
    full_keys = [cache.make_and_validate_key(key) for key, _seconds in counters]
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]  # Django's client
    pipeline = client.pipeline(transaction=False)  # INCR and EXPIRE of every counter, then one MGET
    for full_key, (_key, seconds) in zip(full_keys, counters, strict=True):
        pipeline.incr(full_key)
        pipeline.expire(full_key, seconds + 1)
    if keys:
        pipeline.mget([cache.make_and_validate_key(key) for key in keys])
    results = pipeline.execute()
    counts = [int(count) for count in results[: 2 * len(counters) : 2]]
    values = results[-1] if keys else []
    loads = cache._cache._serializer.loads  # type: ignore[attr-defined]  # as RedisCache.get_many decodes them
    return counts, {key: loads(value) for key, value in zip(keys, values, strict=True) if value is not None}


def _count_in_cache(cache: BaseCache, key: str, window_seconds: int) -> int:
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
        return first_throttled([self], request, view) is None

    def wait(self) -> float:
        return self.retry_after

    def counter(self, request: Request, view: APIView) -> tuple[str, int, int] | None:
        """(cache key, window seconds, requests allowed) of the window now, or None if this throttle does not apply."""
        ident = self.get_cache_key(request, view)
        if ident is None:
            return None
        allowed, seconds = _parse_rate(self.get_rate())
        now = time.time()
        window = int(now // seconds)
        self.retry_after = (window + 1) * seconds - now
        return f"throttle:{self.scope}:{ident}:{window}", seconds, allowed


def first_throttled(throttles: Sequence[WindowRateThrottle], request: Request, view: APIView) -> WindowRateThrottle | None:
    """Count this request in every throttle's window at once (one round trip); the first throttle it exceeds, if any."""
    return first_throttled_and_read(throttles, request, view, ())[0]


def first_throttled_and_read(
    throttles: Sequence[WindowRateThrottle], request: Request, view: APIView, keys: Sequence[str],
) -> tuple[WindowRateThrottle | None, dict[str, Any]]:
    """first_throttled, and the values of the cache `keys`, in the same round trip."""
    counters = [(throttle, counter) for throttle in throttles if (counter := throttle.counter(request, view)) is not None]
    counts, values = count_and_read([(key, seconds) for _throttle, (key, seconds, _allowed) in counters], keys)
    over = (throttle for (throttle, (_k, _s, allowed)), count in zip(counters, counts, strict=True) if count > allowed)
    return next(over, None), values


class TokenRateThrottle(WindowRateThrottle):
    """A token's requests, counted under its hash: known before authentication, so api.views.base counts them in the
    same round trip as the IP's."""

    scope = "api_token"

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_TOKEN_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        secret = bearer_secret(request)
        return None if secret is None else f"token-{token_hash(secret)[:32]}"


class SignedInRateThrottle(TokenRateThrottle):
    """A signed-in user's requests without a token (the app's own pages), at the token rate, once authenticated."""

    scope = "api_user"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if bearer_secret(request) is None and request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return None


class IPRateThrottle(WindowRateThrottle):
    """Checked before authentication (api.views.base), so guessing tokens is throttled too."""

    scope = "api_ip"

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_IP_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.get_ident(request)
