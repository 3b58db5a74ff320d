"""The report queries: carrier and lane scorecards, case metrics. Each returns one row per group, aggregated in SQL.

Definitions (the page states them too):
- A parcel counts in a period by its order's ship date (`Order.shipped_at`); only forward parcels count.
- Delivered: parcel status `delivered`; delivered at the carrier's time of that status (`status_changed_at`),
  else the order's `delivered_at`. On time: delivered on or before the promised date (the parcel's, else the
  order's), judged in the site's time zone, out of the delivered parcels that had a promised date.
- Transit days: delivered at − shipped at.
- Lost: status `lost`, or a suspected-lost / carrier-lost anomaly was ever recorded.
- Damaged: the parcel (or its order, for cases naming no parcel) has a "Damaged goods" case.
- Returned: the parcel went back (status `returning` / `returned`) or its order has a return parcel.
- Case times are calendar hours from the case's creation: to the first public reply, to `resolved_at`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Case, Count, DateField, F, Q, QuerySet, When
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.utils import timezone

from logistics.models import AnomalyKind, Carrier, Parcel, ParcelAnomaly
from logistics.statuses import ParcelStatus
from orders.models import Shop
from tickets.models import Ticket, TicketEvent, TicketEventKind, TicketKind
from tickets.reports.sql import DaysBetween, HoursBetween, Row, grouped_rows

P90 = 0.9


@dataclass(frozen=True)
class ReportFilter:
    """What a report covers: a date range (inclusive, in the site's time zone), shops, optionally one carrier."""

    start: dt.date
    end: dt.date
    shops: QuerySet[Shop]
    carrier: Carrier | None = None

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=tz)
        return start, dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


# --- parcels ---

def shipped_parcels(report: ReportFilter) -> QuerySet[Parcel]:
    """Forward parcels shipped in the period, annotated with the per-parcel facts the scorecards count."""
    start, end = report.bounds()
    parcels = Parcel.objects.filter(
        direction=Parcel.Direction.FORWARD, order__shipped_at__gte=start, order__shipped_at__lt=end, order__shop__in=report.shops,
    )
    if report.carrier is not None:
        parcels = parcels.filter(carrier=report.carrier)
    delivered = Q(status=ParcelStatus.DELIVERED)
    return parcels.annotate(
        delivered_time=Case(When(delivered, then=Coalesce("status_changed_at", "order__delivered_at"))),
        promise=Coalesce("promised_date", "order__promised_delivery_date"),
        delivered_date=TruncDate("delivered_time", tzinfo=timezone.get_current_timezone()),
        transit_days=DaysBetween(F("delivered_time"), F("order__shipped_at")),
    )


def _parcel_flags(report: ReportFilter) -> dict[str, Q]:
    """Lost, damaged and returned as conditions. Uncorrelated IN (subquery) rather than EXISTS: PostgreSQL runs each
    subquery once into a hash instead of once per parcel (bench/reports.py: the carrier table twice as fast)."""
    lost_anomaly = ParcelAnomaly.objects.filter(
        kind__in=[AnomalyKind.SUSPECTED_LOST, AnomalyKind.CARRIER_LOST], parcel__order__shop__in=report.shops,
    ).values("parcel_id")
    damage_cases = Ticket.objects.filter(kind=TicketKind.DAMAGED, shop__in=report.shops)
    return_parcels = Parcel.objects.filter(direction=Parcel.Direction.RETURN, order__shop__in=report.shops).values("order_id")
    return {
        "lost": Q(status=ParcelStatus.LOST) | Q(id__in=lost_anomaly),
        "damaged": Q(id__in=damage_cases.filter(parcel__isnull=False).values("parcel_id"))
        | Q(order_id__in=damage_cases.filter(parcel__isnull=True).values("order_id")),
        "returned": Q(status__in=[ParcelStatus.RETURNING, ParcelStatus.RETURNED]) | Q(order_id__in=return_parcels),
    }


def _parcel_measures(report: ReportFilter) -> dict[str, Any]:
    delivered = Q(status=ParcelStatus.DELIVERED)
    flags = _parcel_flags(report)
    return {
        "shipped": Count("id"),
        "delivered": Count("id", filter=delivered),
        # a delivery with no known time or no promised date cannot be judged on time
        "judged": Count("id", filter=Q(delivered_date__isnull=False, promise__isnull=False)),
        "on_time": Count("id", filter=Q(delivered_date__lte=F("promise"))),
        "avg_transit_days": Avg("transit_days"),
        "lost": Count("id", filter=flags["lost"]),
        "damaged": Count("id", filter=flags["damaged"]),
        "returned": Count("id", filter=flags["returned"]),
    }


def carrier_scorecard(report: ReportFilter, *, by_lane: bool = False, total: bool = False) -> list[Row]:
    """Per carrier (per carrier and destination country/region with `by_lane`; one row for all with `total`)."""
    parcels = shipped_parcels(report).annotate(
        carrier_pk=F("carrier_id"), carrier_name=F("carrier__name"), dest_country=F("order__country"), dest_region=F("order__region"),
    )
    keys = [] if total else ["carrier_name", "carrier_pk"] + (["dest_country", "dest_region"] if by_lane else [])
    return grouped_rows(parcels, keys=keys, measures=_parcel_measures(report), percentiles={"p90_transit_days": ("transit_days", P90)})


# --- cases ---

def report_cases(report: ReportFilter) -> QuerySet[Ticket]:
    """Cases opened in the period (with a carrier chosen: those about its parcels), annotated with their response
    and resolution times."""
    start, end = report.bounds()
    cases = Ticket.objects.filter(created_at__gte=start, created_at__lt=end, shop__in=report.shops)
    if report.carrier is not None:
        cases = cases.filter(parcel__carrier=report.carrier)
    return cases.annotate(
        case_kind=F("kind"), case_channel=F("channel"),
        first_response_hours=HoursBetween(F("first_responded_at"), F("created_at")),
        resolution_hours=HoursBetween(F("resolved_at"), F("created_at")),
    )


def _case_measures(report: ReportFilter) -> dict[str, Any]:
    # IN (subquery), not EXISTS: hashed once on PostgreSQL (see _parcel_flags)
    breaches = TicketEvent.objects.filter(kind=TicketEventKind.SLA_BREACHED, ticket__shop__in=report.shops).values("ticket_id")
    return {
        "cases": Count("id"),
        "responded": Count("first_responded_at"),
        "avg_first_response_hours": Avg("first_response_hours"),
        "resolved": Count("resolved_at"),
        "avg_resolution_hours": Avg("resolution_hours"),
        "breached": Count("id", filter=Q(id__in=breaches)),
        "ratings": Count("rating"),
        "avg_rating": Avg("rating"),
        "satisfied": Count("id", filter=Q(rating__gte=4)),
    }


_CASE_PERCENTILES = {"p90_first_response_hours": ("first_response_hours", P90), "p90_resolution_hours": ("resolution_hours", P90)}


def case_metrics(report: ReportFilter, *, by: list[str]) -> list[Row]:
    """Per `case_kind` or `case_channel`; `by=[]`: one row for all cases of the period."""
    return grouped_rows(report_cases(report), keys=by, measures=_case_measures(report), percentiles=_CASE_PERCENTILES)


def case_metrics_by_carrier(report: ReportFilter) -> list[Row]:
    """Per carrier of the case's parcel (`case_carrier` name and `case_carrier_pk`; None for cases without a parcel)."""
    cases = report_cases(report).annotate(case_carrier=F("parcel__carrier__name"), case_carrier_pk=F("parcel__carrier_id"))
    keys = ["case_carrier", "case_carrier_pk"]
    return grouped_rows(cases, keys=keys, measures=_case_measures(report), percentiles=_CASE_PERCENTILES)


def weekly_case_volume(report: ReportFilter) -> list[Row]:
    """Cases opened per week (weeks start on Monday, in the site's time zone) and kind."""
    day = TruncDate("created_at", tzinfo=timezone.get_current_timezone())
    weeks = report_cases(report).annotate(week=TruncWeek(day, output_field=DateField()))
    return list(weeks.order_by().values("week", "case_kind").annotate(cases=Count("id")).order_by("week", "case_kind"))
