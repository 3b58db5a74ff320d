"""The report's tables: each a list of columns and rows, built from one selector and shown, charted and
exported the same way. Rates are derived here from the counts each group row carries (a few rows, never
one per parcel or case)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tickets.models import TicketChannel, TicketKind
from tickets.reports.selectors import ReportFilter, carrier_scorecard, case_metrics, case_metrics_by_carrier, weekly_case_volume
from tickets.reports.sql import Row, report_session

Format = Literal["text", "int", "pct", "num"]


@dataclass(frozen=True)
class Column:
    key: str
    header: str | Promise
    format: Format = "int"


@dataclass(frozen=True)
class Table:
    name: str
    title: str | Promise
    columns: list[Column]
    rows: list[Row]
    has_total: bool = False  # the last row sums up the others

    def cells(self) -> list[list[Any]]:
        """The rows as lists of values in column order (what the template and the CSV writer walk)."""
        return [[row.get(column.key) for column in self.columns] for row in self.rows]

    def display_rows(self) -> list[list[tuple[Any, Format]]]:
        """(value, format) pairs, so the template only formats."""
        return [[(row.get(column.key), column.format) for column in self.columns] for row in self.rows]


def pct(part: int | None, whole: int | None) -> float | None:
    """part / whole in per cent; None when there is nothing to divide by."""
    return None if not whole else 100.0 * (part or 0) / whole


def _scorecard_rows(rows: list[Row], *, total: bool = False) -> list[Row]:
    for row in rows:
        if total:
            row["carrier_name"] = str(_("All carriers"))
        row["on_time_pct"] = pct(row["on_time"], row["judged"])
        row["loss_pct"] = pct(row["lost"], row["shipped"])
        row["damage_pct"] = pct(row["damaged"], row["shipped"])
        row["return_pct"] = pct(row["returned"], row["shipped"])
    return rows


_SCORECARD_COLUMNS = [
    Column("shipped", _("Shipped")), Column("delivered", _("Delivered")), Column("on_time_pct", _("On time %"), "pct"),
    Column("avg_transit_days", _("Avg transit days"), "num"), Column("p90_transit_days", _("P90 transit days"), "num"),
    Column("lost", _("Lost")), Column("loss_pct", _("Loss %"), "pct"), Column("damaged", _("Damaged")),
    Column("damage_pct", _("Damage %"), "pct"), Column("returned", _("Returned")), Column("return_pct", _("Return %"), "pct"),
]


def carriers_table(report: ReportFilter) -> Table:
    rows = _scorecard_rows(carrier_scorecard(report))
    if rows:
        rows += _scorecard_rows(carrier_scorecard(report, total=True), total=True)
    columns = [Column("carrier_name", _("Carrier"), "text"), *_SCORECARD_COLUMNS]
    return Table("carriers", _("Carrier scorecard"), columns, rows, has_total=bool(rows))


def lanes_table(report: ReportFilter) -> Table:
    rows = _scorecard_rows(carrier_scorecard(report, by_lane=True))
    for row in rows:
        row["dest_region"] = row["dest_region"] or "—"
    columns = [Column("carrier_name", _("Carrier"), "text"), Column("dest_country", _("Country"), "text"),
               Column("dest_region", _("Region"), "text"), *_SCORECARD_COLUMNS]  # fmt: skip
    return Table("lanes", _("Lanes: carrier × destination region"), columns, rows)


def _case_rows(rows: list[Row], group: str | None, labels: dict[str, str]) -> list[Row]:
    for row in rows:
        row["group"] = labels.get(row[group], row[group]) if group else str(_("All cases"))
        row["breach_pct"] = pct(row["breached"], row["cases"])
        row["satisfied_pct"] = pct(row["satisfied"], row["ratings"])
    return rows


_CASE_COLUMNS = [
    Column("cases", _("Cases")), Column("avg_first_response_hours", _("Avg first response h"), "num"),
    Column("p90_first_response_hours", _("P90 first response h"), "num"), Column("resolved", _("Resolved")),
    Column("avg_resolution_hours", _("Avg resolution h"), "num"), Column("p90_resolution_hours", _("P90 resolution h"), "num"),
    Column("breached", _("SLA breached")), Column("breach_pct", _("SLA breach %"), "pct"), Column("ratings", _("Ratings")),
    Column("avg_rating", _("Avg rating"), "num"), Column("satisfied_pct", _("Rated 4–5 %"), "pct"),
]


def case_kinds_table(report: ReportFilter) -> Table:
    labels = {str(value): str(label) for value, label in TicketKind.choices}
    rows = _case_rows(case_metrics(report, by=["case_kind"]), "case_kind", labels)
    if rows:
        rows += _case_rows(case_metrics(report, by=[]), None, labels)
    return Table("case_kinds", _("Cases by kind"), [Column("group", _("Kind"), "text"), *_CASE_COLUMNS], rows, has_total=bool(rows))


def case_channels_table(report: ReportFilter) -> Table:
    labels = {str(value): str(label) for value, label in TicketChannel.choices}
    rows = _case_rows(case_metrics(report, by=["case_channel"]), "case_channel", labels)
    return Table("case_channels", _("Cases by channel"), [Column("group", _("Channel"), "text"), *_CASE_COLUMNS], rows)


def case_carriers_table(report: ReportFilter) -> Table:
    """Satisfaction and SLA per carrier: how the cases about each carrier's parcels went."""
    rows = _case_rows(case_metrics_by_carrier(report), "case_carrier", {})
    for row in rows:
        row["group"] = row["group"] or str(_("No parcel"))
    return Table("case_carriers", _("Cases by carrier"), [Column("group", _("Carrier"), "text"), *_CASE_COLUMNS], rows)


def case_weeks_table(report: ReportFilter) -> Table:
    labels = {str(value): str(label) for value, label in TicketKind.choices}
    rows = weekly_case_volume(report)
    for row in rows:
        row["week"] = row["week"].isoformat()
        row["kind_label"] = labels.get(row["case_kind"], row["case_kind"])
    columns = [Column("week", _("Week from"), "text"), Column("kind_label", _("Kind"), "text"), Column("cases", _("Cases"))]
    return Table("case_weeks", _("Case volume by week and kind"), columns, rows)


class ReportTable(models.TextChoices):
    CARRIERS = "carriers", _("Carrier scorecard")
    LANES = "lanes", _("Lanes")
    CASE_KINDS = "case_kinds", _("Cases by kind")
    CASE_CHANNELS = "case_channels", _("Cases by channel")
    CASE_CARRIERS = "case_carriers", _("Cases by carrier")
    CASE_WEEKS = "case_weeks", _("Case volume by week")


BUILDERS: dict[str, Callable[[ReportFilter], Table]] = {
    ReportTable.CARRIERS: carriers_table,
    ReportTable.LANES: lanes_table,
    ReportTable.CASE_KINDS: case_kinds_table,
    ReportTable.CASE_CHANNELS: case_channels_table,
    ReportTable.CASE_CARRIERS: case_carriers_table,
    ReportTable.CASE_WEEKS: case_weeks_table,
}


def build_tables(report: ReportFilter, names: list[str] | None = None) -> dict[str, Table]:
    """The named tables (all by default), built in one report session."""
    with report_session():
        return {name: BUILDERS[name](report) for name in names or list(BUILDERS)}


def chart_data(tables: dict[str, Table]) -> dict[str, Any]:
    """What the charts draw, as plain JSON (rendered with json_script; no user data inside the script)."""
    carriers = [row for row in tables[ReportTable.CARRIERS].rows if row.get("carrier_pk") is not None]
    weeks = sorted({row["week"] for row in tables[ReportTable.CASE_WEEKS].rows})
    counts = {(row["week"], row["kind_label"]): row["cases"] for row in tables[ReportTable.CASE_WEEKS].rows}
    kinds = sorted({row["kind_label"] for row in tables[ReportTable.CASE_WEEKS].rows})
    return {
        "on_time": {
            "labels": [row["carrier_name"] for row in carriers],
            "label": str(_("On time %")),
            "values": [None if row["on_time_pct"] is None else round(row["on_time_pct"], 1) for row in carriers],
        },
        "case_weeks": {
            "labels": weeks,
            "datasets": [{"label": kind, "values": [counts.get((week, kind), 0) for week in weeks]} for kind in kinds],
        },
    }

