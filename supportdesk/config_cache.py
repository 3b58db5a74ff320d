"""A per-process memo of configuration rows that change rarely and are read on hot paths, correct across processes.

Each kind of configuration (a "scope", e.g. "tickets.routing") has a version token in the default Django cache.
A look-up reads the token (once per transaction) before it loads anything and keeps what it loaded under it; a write, from
any process, calls `config_changed(scope)`, which puts a new token there when its transaction commits, so every
process loads again on its next look-up (a process that read the old token just before the commit may still
file rows under it: nobody asks for that token again). There is no time limit: the token decides.

Until the writing transaction ends, the writing process neither uses nor fills its memo (it sees its own
uncommitted rows); a rollback drops the new token with the transaction's other on-commit work, and the memo,
emptied when the write happened, then holds only committed rows.

Only when the default cache is shared by every process (Redis): with a per-process cache (LocMemCache, the
default without REDIS_URL) another process's write (the admin's, a Celery worker's) could not reach this
process's memo, so every look-up loads from the database, as without this module.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction

from supportdesk.on_commit import pending_callback, pending_callbacks

T = TypeVar("T")
MAX_ENTRIES = 4096  # per scope; past it the memo starts again (a few thousand shops' rows, a few MB at most)

_memos: dict[str, tuple[str, dict[Hashable, Any]]] = {}  # scope -> (token the entries were loaded under, entries)
_read_ahead: ContextVar[dict[str, str] | None] = ContextVar("config_cache_read_ahead", default=None)  # scope -> token


def _token_key(scope: str) -> str:
    return f"config-version:{scope}"


class _NewToken:
    """The on-commit half of `config_changed` (a class, so that a pending one can be recognised)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    def __call__(self) -> None:
        _memos.pop(self.scope, None)
        caches["default"].set(_token_key(self.scope), secrets.token_hex(8), timeout=None)


def _change_pending(scope: str) -> bool:
    """Whether this connection's open transaction has changed `scope` (its new token waits for the commit)."""
    return pending_callback(_NewToken, lambda new: new.scope == scope) is not None


def config_changed(scope: str) -> None:
    """Call inside the transaction that writes rows of `scope` (or after it, in autocommit): every process
    loads them again once it commits."""
    _memos.pop(scope, None)
    if not _change_pending(scope):
        transaction.on_commit(_NewToken(scope))


class _TokenRead:
    """Kept among the open transaction's on-commit callbacks: the token this transaction read for its scope, so that
    its later look-ups skip the cache round trip (a new case does four). It ends with the transaction (commit or
    rollback) or its savepoint's rollback; a commit elsewhere meanwhile applies from the next transaction on."""

    def __init__(self, scope: str, token: str) -> None:
        self.scope, self.token = scope, token

    def __call__(self) -> None:
        pass


def read_ahead_keys(*scopes: str) -> dict[str, str]:
    """The cache keys of the tokens of `scopes` and of every scope this process keeps memos of (key -> scope), for a
    request to read with its first cache round trip (see read_ahead); none where nothing is memoised."""
    if isinstance(caches["default"], (LocMemCache, DummyCache)):
        return {}
    return {_token_key(scope): scope for scope in sorted({*scopes, *_memos})}


def read_ahead(keys: dict[str, str], found: dict[str, Any]) -> None:
    """Use the tokens read at the start of a request (`found`: cache key -> value read) for the rest of it, instead
    of a round trip per transaction: a token only has to be read before what is filed under it is loaded, and a
    change committed meanwhile applies from the next request on. Call read_ahead_end() when the request ends."""
    _read_ahead.set({scope: str(found[key]) for key, scope in keys.items() if found.get(key) is not None})


def read_ahead_end() -> None:
    _read_ahead.set(None)


def _current_token(scope: str) -> str:
    ahead = _read_ahead.get()
    if ahead is not None and scope in ahead:
        return ahead[scope]
    if not connection.in_atomic_block:
        return _shared_tokens([scope])[scope]
    read = pending_callback(_TokenRead, lambda read: read.scope == scope)
    if read is not None:
        return read.token
    # With it, the tokens of the other scopes this process keeps memos of, in the same round trip: a transaction that
    # reads one usually reads the others (a new case: routing and webhook subscriptions). Reading a token early is
    # safe: it only has to be read before what is filed under it is loaded.
    read_before = {read.scope for read in pending_callbacks(_TokenRead)}
    others = [other for other in _memos if other != scope and other not in read_before]
    tokens = _shared_tokens([scope, *others])
    for name, token in tokens.items():
        transaction.on_commit(_TokenRead(name, token))
    return tokens[scope]


def _shared_tokens(scopes: list[str]) -> dict[str, str]:
    cache = caches["default"]
    found = cache.get_many([_token_key(scope) for scope in scopes])
    tokens = {}
    for scope in scopes:
        token = found.get(_token_key(scope))
        if token is None:  # never set, or evicted: a fresh random token can match no memo
            token = secrets.token_hex(8)
            if not cache.add(_token_key(scope), token, timeout=None):
                token = cache.get(_token_key(scope)) or token
        tokens[scope] = str(token)
    return tokens


def config_cached(scope: str, key: Hashable, load: Callable[[], T]) -> T:
    """`load()`, or what it returned before in this process under the current token of `scope`.

    What `load` returns is shared by later callers: return values nobody changes (tuples, frozen dataclasses).
    """
    if isinstance(caches["default"], (LocMemCache, DummyCache)) or _change_pending(scope):
        return load()
    token = _current_token(scope)  # before loading: rows loaded after a newer token was set are filed under the old one
    loaded_under, entries = _memos.get(scope, ("", {}))
    if loaded_under != token or len(entries) >= MAX_ENTRIES:
        entries = {}
        _memos[scope] = (token, entries)
    if key not in entries:
        entries[key] = load()
    return entries[key]  # type: ignore[no-any-return]
