"""The open transaction's pending on-commit callbacks, as a place to keep per-transaction state.

A callable object registered with `transaction.on_commit` lives exactly as long as the transaction's work: it
runs on commit, and is dropped with a rollback (of the transaction, or of the savepoint it was registered in).
Django keeps the pending callbacks in `connection.run_on_commit` as (savepoint ids, callback, robust) entries;
this is the one place that reads that list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import connection

C = TypeVar("C")


def pending_callback(kind: type[C], where: Callable[[C], bool] = lambda _callback: True) -> C | None:
    """The first callback of class `kind` (and `where` it holds) waiting for this transaction's commit, if any."""
    return next((callback for callback in pending_callbacks(kind) if where(callback)), None)


def pending_callbacks(kind: type[C]) -> list[C]:
    """Every callback of class `kind` waiting for this transaction's commit, in the order registered."""
    return [entry[1] for entry in connection.run_on_commit if isinstance(entry[1], kind)]
