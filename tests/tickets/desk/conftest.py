"""Every desk test starts with an empty in-memory cache: the case page records who is viewing a case there
(tickets.presence), and SQLite reuses ticket ids after a rollback, so an earlier test's viewer would otherwise show
up as "also viewing" a later test's case."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache


@pytest.fixture(autouse=True)
def _empty_local_cache() -> None:
    backend = caches["default"]
    if isinstance(backend, LocMemCache):  # never a shared Redis: only this process's own memory
        backend.clear()
