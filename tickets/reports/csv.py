"""CSV export of a report table: UTF-8 with a BOM (Excel opens it right), numbers unlocalised, no formulas."""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpResponse

from tickets.reports.selectors import ReportFilter
from tickets.reports.tables import Table

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any, number_format: str = "int") -> str:
    """One cell as text: numbers with a dot and no grouping, text defused with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return str(value) if number_format == "int" and isinstance(value, int) else f"{value:.2f}"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def table_csv_response(table: Table, report: ReportFilter) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{table.name}_{report.start.isoformat()}_{report.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([csv_cell(str(column.header), "text") for column in table.columns])
    for cells in table.cells():
        writer.writerow([csv_cell(value, column.format) for value, column in zip(cells, table.columns, strict=True)])
    return response
