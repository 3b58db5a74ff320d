"""The Redis cache backend: one redis-py client per pool, shared by threads, and the cache API unchanged."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from supportdesk.cache import SharedClientRedisCache


@pytest.fixture
def redis_cache(settings):
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.fail(f"needs Redis: set CELERY_BROKER_URL=redis://127.0.0.1:6379/0 (got {url!r})")
    return SharedClientRedisCache(url, {"KEY_PREFIX": f"cache-test-{uuid.uuid4().hex}"})


@pytest.mark.services
def test_it_reuses_one_client_per_pool(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client(write=False) is client
    assert redis_cache._cache.get_client("some-key", write=True) is client


@pytest.mark.services
def test_the_cache_api_works_through_the_shared_client(redis_cache):
    assert redis_cache.get("missing") is None
    redis_cache.set("answer", {"value": 42}, timeout=30)
    assert redis_cache.get("answer") == {"value": 42}
    assert redis_cache.add("answer", "other") is False
    redis_cache.set("count", 0)
    with ThreadPoolExecutor(max_workers=8) as pool:  # threads share the client: no increment is lost
        list(pool.map(lambda _n: redis_cache.incr("count"), range(50)))
    assert redis_cache.get("count") == 50
    redis_cache.delete_many(["answer", "count"])
    assert redis_cache.get_many(["answer", "count"]) == {}
