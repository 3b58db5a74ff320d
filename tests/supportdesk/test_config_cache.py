"""supportdesk.config_cache: a per-process memo that a write in any process renews, and that a per-process cache turns off."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import transaction

from supportdesk.config_cache import config_cached, config_changed, read_ahead, read_ahead_end, read_ahead_keys

SCOPE = "test.scope"


class Loads:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> int:
        self.count += 1
        return self.count


def test_it_loads_once_while_nothing_changes(shared_cache):
    load = Loads()
    assert [config_cached(SCOPE, "key", load) for _ in range(3)] == [1, 1, 1]
    assert config_cached(SCOPE, "other key", load) == 2


def test_a_change_committed_by_another_process_makes_this_one_load_again(shared_cache):
    load = Loads()
    config_cached(SCOPE, "key", load)
    caches["default"].set(f"config-version:{SCOPE}", "set by another process", timeout=None)  # what its commit does
    assert config_cached(SCOPE, "key", load) == 2


def test_a_lost_token_makes_every_process_load_again(shared_cache):
    load = Loads()
    config_cached(SCOPE, "key", load)
    caches["default"].clear()  # Redis restarted or evicted the key
    assert config_cached(SCOPE, "key", load) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_puts_a_new_token_on_commit_and_is_not_memoised_before(shared_cache):
    load = Loads()
    config_cached(SCOPE, "key", load)
    token = caches["default"].get(f"config-version:{SCOPE}")
    with transaction.atomic():
        config_changed(SCOPE)
        config_changed(SCOPE)  # one new token per transaction is enough
        assert [config_cached(SCOPE, "key", load) for _ in range(2)] == [2, 3]  # this transaction's own rows: not kept
        assert caches["default"].get(f"config-version:{SCOPE}") == token  # other processes still see the committed rows
    assert caches["default"].get(f"config-version:{SCOPE}") != token
    assert [config_cached(SCOPE, "key", load) for _ in range(2)] == [4, 4]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rolled_back_change_leaves_the_committed_rows_memoised(shared_cache):
    load = Loads()
    config_cached(SCOPE, "key", load)
    token = caches["default"].get(f"config-version:{SCOPE}")
    def change_then_fail() -> None:
        with transaction.atomic():
            config_changed(SCOPE)
            config_cached(SCOPE, "key", load)  # 2: what the transaction saw, gone with it
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        change_then_fail()
    assert caches["default"].get(f"config-version:{SCOPE}") == token
    assert [config_cached(SCOPE, "key", load) for _ in range(2)] == [3, 3]


def test_a_per_process_cache_memoises_nothing(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    load = Loads()
    assert [config_cached(SCOPE, "key", load) for _ in range(2)] == [1, 2]  # another process's write could not reach it


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transaction_reads_the_token_once_and_the_next_one_sees_a_newer_one(shared_cache):
    load = Loads()
    with transaction.atomic():
        config_cached(SCOPE, "key", load)
        caches["default"].set(f"config-version:{SCOPE}", "committed by another process meanwhile", timeout=None)
        assert config_cached(SCOPE, "key", load) == 1  # one round trip to the cache per transaction and scope
    with transaction.atomic():
        assert config_cached(SCOPE, "key", load) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transaction_reads_the_tokens_of_every_memoised_scope_in_one_round_trip(shared_cache, monkeypatch):
    routing, hooks = Loads(), Loads()
    config_cached(SCOPE, "key", routing)
    config_cached("test.other", "key", hooks)  # this process now keeps memos of both scopes
    cache = caches["default"]
    calls = []
    monkeypatch.setattr(cache, "get_many", lambda keys, **kw: calls.append(sorted(keys)) or type(cache).get_many(cache, keys, **kw))
    with transaction.atomic():
        assert config_cached(SCOPE, "key", routing) == 1
        cache.set("config-version:test.other", "changed by another process meanwhile", timeout=None)
        assert config_cached("test.other", "key", hooks) == 1  # its token came with the first read
    assert len(calls) == 1 and {"config-version:test.other", "config-version:test.scope"} <= set(calls[0])
    with transaction.atomic():
        assert config_cached("test.other", "key", hooks) == 2  # the next transaction sees the change


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tokens_read_ahead_serve_a_whole_request_and_end_with_it(shared_cache, monkeypatch):
    load = Loads()
    config_cached(SCOPE, "key", load)
    keys = read_ahead_keys(SCOPE)
    assert keys["config-version:test.scope"] == SCOPE
    read_ahead(keys, caches["default"].get_many(list(keys)))
    monkeypatch.setattr(caches["default"], "get_many", lambda *a, **kw: pytest.fail("read ahead: no round trip expected"))
    caches["default"].set(f"config-version:{SCOPE}", "committed by another process meanwhile", timeout=None)
    with transaction.atomic():
        assert config_cached(SCOPE, "key", load) == 1  # the request goes on with what it read at its start
    assert config_cached(SCOPE, "key", load) == 1
    read_ahead_end()
    monkeypatch.undo()
    assert config_cached(SCOPE, "key", load) == 2  # the next request sees the change


def test_nothing_is_read_ahead_with_a_per_process_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert read_ahead_keys(SCOPE) == {}
