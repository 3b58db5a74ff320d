"""/desk/reports/: carrier and lane scorecards and case metrics for supervisors, with charts and CSV export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tickets.desk.access import supervisor_required
from tickets.reports.csv import table_csv_response
from tickets.reports.forms import ReportFilterForm
from tickets.reports.tables import ReportTable, build_tables, chart_data


@supervisor_required
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    """The page; `?format=csv&table=<name>` (with the same filters) downloads one table instead."""
    form = ReportFilterForm(request.GET, user=request.user)
    wants_csv = request.GET.get("format") == "csv"
    if wants_csv and request.GET.get("table") not in ReportTable.values:
        message = _("Unknown table: choose one of %(tables)s.") % {"tables": ", ".join(ReportTable.values)}
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    if not form.is_valid():
        if wants_csv:
            message = " ".join(str(error) for errors in form.errors.values() for error in errors)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return render(request, "desk/reports/index.html", {"form": form, "desk_section": "reports"}, status=400)
    report = form.report_filter()
    if wants_csv:
        table = request.GET["table"]
        return table_csv_response(build_tables(report, [table])[table], report)
    tables = build_tables(report)
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    context = {
        "form": form, "report": report, "tables": tables, "charts": chart_data(tables), "desk_section": "reports",
        "filter_query": query.urlencode(),
    }
    return render(request, "desk/reports/index.html", context)
