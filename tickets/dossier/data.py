"""Everything a claim dossier shows, loaded in a fixed number of queries whatever the size of the case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Prefetch

from logistics.models import Parcel, TrackingEvent
from orders.models import Order, OrderLine
from tickets.claim_selectors import claim_evidence_files
from tickets.claims import ChecklistItem, build_checklist, claim_required_evidence
from tickets.models import Attachment, Claim, Message, Ticket


@dataclass(frozen=True)
class Dossier:
    claim: Claim
    ticket: Ticket
    order: Order | None
    lines: list[OrderLine]
    parcels: list[Parcel]  # each with .timeline: its events, oldest first
    messages: list[Message]  # the public conversation only: a dossier leaves the company
    files: list[Attachment]
    checklist: list[ChecklistItem]
    tz: ZoneInfo  # the shop's time zone, for local times beside UTC
    generated_at: dt.datetime

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz)


def _parcels(ticket: Ticket) -> list[Parcel]:
    events = Prefetch("events", queryset=TrackingEvent.objects.order_by("occurred_at", "id"), to_attr="timeline")
    parcels = Parcel.objects.select_related("carrier").prefetch_related(events).order_by("created_at", "id")
    if ticket.order_id is not None:
        return list(parcels.filter(order_id=ticket.order_id))
    return list(parcels.filter(id=ticket.parcel_id)) if ticket.parcel_id else []


def dossier_load(*, claim: Claim, now: dt.datetime) -> Dossier:
    """Load a claim's dossier: 6 queries, however many lines, parcels, events, messages and files it has."""
    claim = Claim.objects.select_related(
        "ticket__shop", "ticket__order", "ticket__buyer", "ticket__parcel", "created_by", "decided_by"
    ).get(pk=claim.pk)
    ticket = claim.ticket
    order = ticket.order
    parcels = _parcels(ticket)
    public = ticket.messages.filter(visibility=Message.Visibility.PUBLIC).select_related("author").order_by("created_at", "id")
    files = list(claim_evidence_files(ticket).select_related("message"))
    required = claim_required_evidence(kind=claim.kind, liable_party=claim.liable_party, case_kind=ticket.kind)
    has_events = any(parcel.timeline for parcel in parcels)  # type: ignore[attr-defined]
    return Dossier(
        claim=claim, ticket=ticket, order=order, lines=list(order.lines.order_by("id")) if order else [],
        parcels=parcels, messages=list(public), files=files,
        checklist=build_checklist(required, files=files, has_tracking_events=has_events),
        tz=ZoneInfo(ticket.shop.time_zone), generated_at=now,
    )
