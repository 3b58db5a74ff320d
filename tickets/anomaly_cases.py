"""Turning detected parcel anomalies into cases, before the buyer has to write.

The logistics sweep records anomalies; this module opens (or links) exactly one case per
anomaly, with the tracking timeline attached as evidence, and tells the case when the anomaly
clears (e.g. the parcel was delivered after all) with a suggested resolution.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from logistics.models import AnomalyKind, Parcel, ParcelAnomaly
from logistics.selectors import parcel_timeline
from tickets.models import EvidenceKind, Message, Ticket, TicketAnomaly, TicketEvent, TicketKind, TicketPriority, TicketStatus
from tickets.notifications import notify_case_opened
from tickets.services import attachment_add, message_create, ticket_create

BATCH = 500
CASE_KIND: dict[str, str] = {  # anomaly kind -> case kind
    AnomalyKind.DELAYED: TicketKind.DELIVERY_DELAY,
    AnomalyKind.SUSPECTED_LOST: TicketKind.LOST_PARCEL,
    AnomalyKind.CARRIER_LOST: TicketKind.LOST_PARCEL,
    AnomalyKind.CARRIER_EXCEPTION: TicketKind.OTHER,
    AnomalyKind.RETURNING: TicketKind.RETURN_EXCHANGE,
}  # a stall alone is a flag; it becomes a case once the parcel is suspected lost
_PRIORITY: dict[str, str] = {TicketKind.LOST_PARCEL: TicketPriority.HIGH}
_EXCEPTION_HINTS = (("damag", TicketKind.DAMAGED), ("address", TicketKind.ADDRESS_CHANGE), ("адрес", TicketKind.ADDRESS_CHANGE))


def _case_kind(anomaly: ParcelAnomaly) -> str:
    kind = CASE_KIND[anomaly.kind]
    if anomaly.kind == AnomalyKind.CARRIER_EXCEPTION:
        latest = parcel_timeline(anomaly.parcel).first()
        text = f"{latest.raw_code} {latest.raw_description}".lower() if latest else ""
        kind = next((hinted for hint, hinted in _EXCEPTION_HINTS if hint in text), kind)
    return kind


def timeline_csv(parcel: Parcel) -> bytes:
    """The parcel's tracking timeline as CSV evidence (UTC times, raw carrier codes kept)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["occurred_at_utc", "status", "carrier_code", "description", "location"])
    for event in parcel_timeline(parcel):
        writer.writerow([event.occurred_at.isoformat(), event.status, event.raw_code, event.raw_description, event.location])
    return out.getvalue().encode()


def _opening_text(anomaly: ParcelAnomaly) -> tuple[str, str]:
    parcel = anomaly.parcel
    values = {"number": parcel.tracking_number, "carrier": parcel.carrier.name, "promised": parcel.promised_date or "—"}
    subjects: dict[str, str] = {
        AnomalyKind.DELAYED: _("Your parcel %(number)s is running late"),
        AnomalyKind.SUSPECTED_LOST: _("We are looking for your parcel %(number)s"),
        AnomalyKind.CARRIER_LOST: _("The carrier reports parcel %(number)s as lost"),
        AnomalyKind.CARRIER_EXCEPTION: _("The carrier reports a problem with parcel %(number)s"),
        AnomalyKind.RETURNING: _("Parcel %(number)s is on its way back to the seller"),
    }
    body = _(
        "We noticed a problem with your parcel %(number)s (%(carrier)s, promised by %(promised)s) and opened this case "
        "before you had to write to us. We will keep you informed here; you do not need to do anything yet."
    )
    return subjects[anomaly.kind] % values, body % values


def _open_case(anomaly: ParcelAnomaly) -> Ticket:
    parcel = anomaly.parcel
    order = parcel.order
    kind = _case_kind(anomaly)
    existing = Ticket.objects.filter(parcel=parcel, kind=kind).exclude(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED]).first()
    if existing is not None:
        return existing  # the buyer (or an earlier anomaly) opened it already: link, do not duplicate
    language = getattr(getattr(order.buyer, "buyer_profile", None), "language", None) or order.shop.default_language
    with translation.override(language):
        subject, body = _opening_text(anomaly)
    ticket = ticket_create(
        shop=order.shop, buyer=order.buyer, kind=kind, subject=subject, body=body, order=order, parcel=parcel,
        channel="system", priority=_PRIORITY.get(kind, TicketPriority.NORMAL), acting_user=None,
    )
    note = message_create(ticket=ticket, author=None, body=_("Tracking timeline attached as evidence."), visibility=Message.Visibility.INTERNAL)
    attachment_add(
        message=note, upload=ContentFile(timeline_csv(parcel), name="timeline.csv"), original_name=f"timeline-{parcel.tracking_number}.csv",
        content_type="text/csv", evidence_kind=EvidenceKind.TRACKING_TIMELINE, acting_user=None,
    )
    notify_case_opened(ticket=ticket, anomaly_kind=anomaly.kind)  # only a case opened here, not one linked
    return ticket


def _link(anomaly: ParcelAnomaly) -> bool:
    try:
        with transaction.atomic():
            ticket = _open_case(anomaly)
            TicketAnomaly.objects.create(ticket=ticket, anomaly=anomaly)
            TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.ANOMALY_LINKED, new_value=anomaly.kind)
    except IntegrityError:
        return False  # a concurrent run linked it first; its case stands
    return True


def tickets_open_anomaly_cases(*, limit: int = BATCH) -> int:
    """Open or link one case for every open anomaly that has none. Idempotent; returns cases linked."""
    linked = TicketAnomaly.objects.filter(anomaly_id=OuterRef("pk"))
    pending = (
        ParcelAnomaly.objects.filter(resolved_at__isnull=True, kind__in=list(CASE_KIND))
        .filter(~Exists(linked))
        .select_related("parcel", "parcel__carrier", "parcel__order", "parcel__order__shop", "parcel__order__buyer__buyer_profile")
        .order_by("detected_at")[:limit]
    )
    return sum(_link(anomaly) for anomaly in pending)


def tickets_note_resolved_anomalies(*, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Tell each case once that its anomaly cleared, with a suggested resolution."""
    now = now or timezone.now()
    links = TicketAnomaly.objects.filter(resolution_noted_at__isnull=True, anomaly__resolved_at__isnull=False).select_related(
        "ticket", "anomaly", "anomaly__parcel"
    )[:limit]
    noted = 0
    for link in links:
        with transaction.atomic():
            if TicketAnomaly.objects.filter(id=link.id, resolution_noted_at__isnull=True).update(resolution_noted_at=now) != 1:
                continue
            parcel = link.anomaly.parcel
            TicketEvent.objects.create(ticket=link.ticket, kind=TicketEvent.Kind.ANOMALY_RESOLVED, old_value=link.anomaly.kind, new_value=parcel.status)
            suggestion = _("The parcel's status is now %(status)s (%(when)s). Suggested resolution: confirm with the buyer and resolve the case.")
            body = suggestion % {"status": parcel.get_status_display(), "when": parcel.last_event_at}
            message_create(ticket=link.ticket, author=None, body=body, visibility=Message.Visibility.INTERNAL)
            noted += 1
    return noted
