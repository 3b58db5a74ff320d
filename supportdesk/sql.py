"""Set-based SQL that the ORM cannot express: many rows updated from one VALUES list.

Works on PostgreSQL and SQLite >= 3.39 (UPDATE ... FROM, RETURNING, IS NOT DISTINCT FROM), the two
databases supportdesk supports. Used on hot paths where one UPDATE per row is too slow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection

PG_TYPES = {"bigint": "bigint", "text": "text", "timestamptz": "timestamptz", "numeric": "numeric", "date": "date"}


@contextmanager
def unprepared() -> Iterator[None]:
    """Run the block without psycopg's prepared statements (settings: DB_PREPARE_THRESHOLD): each statement is
    planned for its own values.

    For set-based batches (the tracking ingest, the CSV import, the anomaly sweep, reports): their statements repeat
    with the same shape, so they would be prepared, and once PostgreSQL settles on a generic plan for a prepared
    VALUES or id list it is far worse than the plan it makes for the actual values: bench/polling.py fell from
    ~1,400 to ~780 parcels/s, bench/import.py went from 19 to 83 s. The requests' small statements (look-ups by key,
    single-row INSERTs) keep theirs prepared: their generic plan is the custom one, made once.
    """
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor != "postgresql" or raw is None or not hasattr(raw, "prepare_threshold"):
        yield
        return
    threshold = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold


def _placeholder(kind: str) -> str:
    return f"%s::{PG_TYPES[kind]}" if connection.vendor == "postgresql" else "%s"


def _adapt(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def update_from_values(
    *, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]], assignments: str, condition: str = "TRUE",
    returning: str = "", params: Sequence[Any] = (),
) -> list[tuple[Any, ...]]:
    """UPDATE `table` AS t SET `assignments` FROM (VALUES rows) AS v(columns) WHERE t.id = v.<first column> AND `condition`.

    `columns` are (name, type) with type in bigint/text/timestamptz/numeric/date; the first is the row id. Name
    them unlike the table's columns: `returning` may name only the table's columns, unqualified
    (SQLite's rule), and PostgreSQL would find a shared name ambiguous.
    `params` fill placeholders in `assignments` (they follow the VALUES in the statement). Returns the
    RETURNING rows, if asked for. Identifiers come from code, never from input.
    """
    if not rows:
        return []
    row_sql = "(" + ", ".join(_placeholder(kind) for _name, kind in columns) + ")"
    names = ", ".join(name for name, _kind in columns)
    # A CTE names the VALUES columns the same way on both databases (SQLite has no AS v(cols)).
    sql = (
        f"WITH v({names}) AS (VALUES {', '.join([row_sql] * len(rows))}) "  # noqa: S608
        f"UPDATE {table} AS t SET {assignments} FROM v WHERE t.id = v.{columns[0][0]} AND {condition}"
        + (f" RETURNING {returning}" if returning else "")
    )
    flat = [_adapt(value) for row in rows for value in row] + [_adapt(value) for value in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, flat)
        return list(cursor.fetchall()) if returning else []
