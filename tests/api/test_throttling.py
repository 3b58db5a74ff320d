from __future__ import annotations

import uuid

import pytest
from django.test import Client

from tests.api.conftest import assert_problem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_per_token_rate_answers_429_with_retry_after(api, other_api, settings):
    settings.API_THROTTLE_TOKEN_RATE = "3/min"
    for _ in range(3):
        assert api.get("/api/v1/carriers").status_code == 200
    response = api.get("/api/v1/carriers")
    assert_problem(response, 429)
    assert 0 < int(response["Retry-After"]) <= 60
    assert other_api.get("/api/v1/carriers").status_code == 200  # another token has its own budget


def test_signed_in_users_have_a_budget_of_their_own(client, agent, settings):
    settings.API_THROTTLE_TOKEN_RATE = "2/min"
    client.force_login(agent)
    assert [client.get("/api/v1/carriers").status_code for _ in range(3)] == [200, 200, 429]
    other = Client()
    other.force_login(UserFactory())
    assert other.get("/api/v1/carriers").status_code == 200


def test_a_token_is_counted_once_a_request(api, settings):
    settings.API_THROTTLE_TOKEN_RATE = "4/min"
    assert [api.get("/api/v1/carriers").status_code for _ in range(5)] == [200] * 4 + [429]


def test_per_ip_rate_counts_before_authentication(settings):
    settings.API_THROTTLE_IP_RATE = "2/min"
    client = Client()
    for _ in range(2):
        assert client.get("/api/v1/orders", headers={"Authorization": "Bearer sdk_guess"}).status_code == 401
    response = client.get("/api/v1/orders", headers={"Authorization": "Bearer sdk_guess"})
    assert_problem(response, 429)
    assert "Retry-After" in response
    assert Client(REMOTE_ADDR="10.0.0.9").get("/api/v1/orders").status_code == 401  # another address is not held back


def test_a_forged_forwarded_for_header_does_not_dodge_the_ip_limit(settings):
    settings.API_THROTTLE_IP_RATE = "1/min"
    client = Client()
    client.get("/api/v1/orders", headers={"X-Forwarded-For": "1.1.1.1"})
    assert_problem(client.get("/api/v1/orders", headers={"X-Forwarded-For": "2.2.2.2"}), 429)


def test_a_window_lets_exactly_its_rate_through_and_names_when_it_ends(api, settings, monkeypatch):
    settings.API_THROTTLE_TOKEN_RATE = "5/min"
    monkeypatch.setattr("api.throttling.time.time", lambda: 6_000_030.0)  # half a minute into a window
    assert [api.get("/api/v1/carriers").status_code for _ in range(6)] == [200] * 5 + [429]
    assert api.get("/api/v1/carriers")["Retry-After"] == "30"
    monkeypatch.setattr("api.throttling.time.time", lambda: 6_000_060.0)  # the next window
    assert api.get("/api/v1/carriers").status_code == 200


def _count_concurrently(key: str, calls: int) -> list[int]:
    from concurrent.futures import ThreadPoolExecutor

    from api.throttling import count_in_window

    with ThreadPoolExecutor(max_workers=8) as pool:
        return sorted(pool.map(lambda _n: count_in_window(key, 60), range(calls)))


def test_several_counters_are_counted_in_one_call():
    from api.throttling import count_in_windows

    assert count_in_windows([("throttle:test:a", 60), ("throttle:test:b", 60)]) == [1, 1]
    assert count_in_windows([("throttle:test:a", 60), ("throttle:test:b", 60)]) == [2, 2]
    assert count_in_windows([("throttle:test:b", 60)]) == [3]


def test_concurrent_requests_are_all_counted():
    """DRF's SimpleRateThrottle read and wrote back a list, so two requests at once could count as one."""
    assert _count_concurrently("throttle:test:concurrent", 40) == list(range(1, 41))


@pytest.mark.services
def test_the_redis_counter_is_atomic_and_expires_with_its_window(settings):
    import redis

    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.fail(f"needs Redis: set CELERY_BROKER_URL=redis://127.0.0.1:6379/0 (got {url!r})")
    settings.CACHES = {"default": {"BACKEND": "supportdesk.cache.SharedClientRedisCache", "LOCATION": url, "KEY_PREFIX": "throttle-test"}}
    key = f"throttle:test:redis:{uuid.uuid4().hex}"
    assert _count_concurrently(key, 40) == list(range(1, 41))
    from django.core.cache import caches

    ttl = redis.Redis.from_url(url).ttl(caches["default"].make_and_validate_key(key))
    assert 0 < ttl <= 61
    from api.throttling import count_in_windows

    pair = [(f"{key}:a", 60), (f"{key}:b", 3600)]
    assert count_in_windows(pair) == [1, 1] and count_in_windows(pair) == [2, 2]
    assert 0 < redis.Redis.from_url(url).ttl(caches["default"].make_and_validate_key(f"{key}:b")) <= 3601
    from api.throttling import count_and_read

    caches["default"].set(f"{key}:token", "a3f9", timeout=60)  # stored as the cache stores it (pickled)
    caches["default"].set(f"{key}:number", 7, timeout=60)
    counts, values = count_and_read(pair, [f"{key}:token", f"{key}:missing", f"{key}:number"])
    assert counts == [3, 3] and values == {f"{key}:token": "a3f9", f"{key}:number": 7}
