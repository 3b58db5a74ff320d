"""SQL building blocks for the reports: elapsed time as a number, and the 90th percentile on both databases.

Everything here aggregates in the database: a report reads one row per group, never one row per parcel
or case. PostgreSQL has `percentile_cont`, an ordered-set aggregate; SQLite has none, so there the same
continuous percentile (linear interpolation between the two ranks around (n − 1) × fraction) is computed
from ROW_NUMBER / COUNT window functions in one more query.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import NotSupportedError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Aggregate, Count, F, FloatField, Func, QuerySet, Value, Window
from django.db.models.functions import RowNumber
from django.db.models.sql.compiler import SQLCompiler

from supportdesk.sql import unprepared

Row = dict[str, Any]


@contextmanager
def report_session() -> Iterator[None]:
    """Build reports in one transaction; on PostgreSQL with REPORTS_WORK_MEM for its sorts and hashes (this
    transaction only). A period's scorecard sorts and hashes every parcel of it: at the default 4 MB they spill to
    disk (bench/reports.py). Unprepared: each aggregate is planned for its period (supportdesk.sql.unprepared)."""
    with unprepared(), transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('work_mem', %s, true)", [settings.REPORTS_WORK_MEM])
        yield


class _Elapsed(Func):
    """(end − start) in `unit_seconds` units, as a float; NULL when either end is NULL."""

    arity = 2
    output_field = FloatField()
    unit_seconds = 1

    def _parts(self, compiler: SQLCompiler) -> tuple[str, str, list[Any]]:
        end, start = self.get_source_expressions()
        end_sql, end_params = compiler.compile(end)
        start_sql, start_params = compiler.compile(start)
        return end_sql, start_sql, [*end_params, *start_params]

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        end, start, params = self._parts(compiler)
        return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) / {self.unit_seconds} AS double precision)", params

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, list[Any]]:
        end, start, params = self._parts(compiler)
        return f"((julianday({end}) - julianday({start})) * {86400 / self.unit_seconds!r})", params


class DaysBetween(_Elapsed):
    unit_seconds = 86400


class HoursBetween(_Elapsed):
    unit_seconds = 3600


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`; NULLs are ignored."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)r) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=float(fraction), **extra)

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, list[Any]]:
        raise NotSupportedError("percentile_cont needs PostgreSQL; use grouped_rows(), which falls back to window functions")


def grouped_rows(
    queryset: QuerySet[Any], *, keys: list[str], measures: dict[str, Aggregate], percentiles: dict[str, tuple[str, float]],
) -> list[Row]:
    """One dict per group of `keys` (annotation names on `queryset`; plain ids or text, not dates), with each
    measure and each percentile {name: (annotated field, fraction)}. No keys: one row for the whole set.

    Rows come ordered by the keys. One query on PostgreSQL, two elsewhere, whatever the number of rows.
    Without measures each row carries `rows`, the group's size (an aggregate is what makes it a GROUP BY).
    """
    measures = measures or {"rows": Count("pk")}
    if connection.vendor == "postgresql":
        measures = {**measures, **{name: PercentileCont(F(field), fraction) for name, (field, fraction) in percentiles.items()}}
        return _aggregate(queryset, keys, measures)
    rows = _aggregate(queryset, keys, measures)
    if percentiles:
        found = window_percentiles(queryset, keys=keys, percentiles=percentiles)
        empty = dict.fromkeys(percentiles)
        for row in rows:
            row.update(found.get(tuple(row[key] for key in keys), empty))
    return rows


def _aggregate(queryset: QuerySet[Any], keys: list[str], measures: dict[str, Aggregate]) -> list[Row]:
    if not keys:
        # A constant "group" rather than .aggregate(): Django's aggregate() wraps annotated querysets in a
        # subquery that can leave out the Exists annotations the measures filter on.
        whole = queryset.order_by().annotate(whole_set=Value(1)).values("whole_set").annotate(**measures)
        return [{name: row[name] for name in measures} for row in whole]
    return list(queryset.order_by().values(*keys).annotate(**measures).order_by(*keys))


def window_percentiles(
    queryset: QuerySet[Any], *, keys: list[str], percentiles: dict[str, tuple[str, float]],
) -> dict[tuple[Any, ...], Row]:
    """The portable percentile: rank the values in each group by window functions, then interpolate in an
    outer GROUP BY — the same numbers `percentile_cont` gives. Returns {key values: {name: value}}."""
    partition = [F(key) for key in keys] or None
    windows: dict[str, Any] = {}
    for name, (field, _fraction) in percentiles.items():
        windows[f"{name}_rank"] = Window(RowNumber(), partition_by=partition, order_by=F(field).asc(nulls_last=True))
        windows[f"{name}_count"] = Window(Count(field), partition_by=partition)
    fields = {field for field, _fraction in percentiles.values()}
    ranked = queryset.order_by().annotate(**windows).values(*keys, *sorted(fields), *windows)
    inner, params = ranked.query.sql_with_params()
    qn = connection.ops.quote_name
    floor = "FLOOR({})" if connection.vendor == "postgresql" else "CAST({} AS INTEGER)"  # CAST rounds on PostgreSQL
    selects = [qn(key) for key in keys]
    for name, (field, fraction) in percentiles.items():
        rank, count, value = qn(f"{name}_rank"), qn(f"{name}_count"), qn(field)
        position = f"(({count} - 1) * {float(fraction)!r})"
        low = floor.format(position)
        selects.append(
            f"SUM(CASE WHEN {rank} - 1 = {low} THEN {value} * (1 - ({position} - {low})) "
            f"WHEN {rank} - 2 = {low} THEN {value} * ({position} - {low}) END) AS {qn(name)}"
        )
    group_by = f" GROUP BY {', '.join(qn(key) for key in keys)}" if keys else ""
    sql = f"SELECT {', '.join(selects)} FROM ({inner}) AS ranked{group_by}"  # noqa: S608 - names from code, values as params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        result = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    return {tuple(row[key] for key in keys): {name: row[name] for name in percentiles} for row in result}
