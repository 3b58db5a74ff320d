"""Read queries for claims: a case's claims, the desk's claim list, and the evidence a claim can show."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from logistics.models import Parcel, TrackingEvent
from tickets.models import Attachment, Claim, EvidenceKind, Message, Ticket
from tickets.selectors import claims_visible_to


def claims_for_case(ticket: Ticket) -> QuerySet[Claim]:
    """The case's claims, newest first, for the case page's claims panel (templates/desk/claims/_case_claims.html)."""
    return ticket.claims.select_related("created_by", "decided_by").order_by("-created_at", "-id")


def claims_for_desk(
    user: AbstractBaseUser | AnonymousUser, *, status: str = "", kind: str = "", shop_id: int | None = None,
) -> QuerySet[Claim]:
    """The claims `user` may see, filtered for the desk's list; empty filters mean "any"."""
    claims = claims_visible_to(user).select_related("ticket__order", "created_by")
    if status:
        claims = claims.filter(status=status)
    if kind:
        claims = claims.filter(kind=kind)
    if shop_id is not None:
        claims = claims.filter(ticket__shop_id=shop_id)
    return claims.order_by("-created_at", "-id")


def claim_evidence_q() -> Q:
    """Which of a case's files are evidence for a claim (and go into its dossier): every file of the public
    conversation, and files on internal notes only when an agent classified them (a carrier's loss
    certificate filed as a note), never an unclassified file of an internal note."""
    return Q(message__visibility=Message.Visibility.PUBLIC) | ~Q(evidence_kind=EvidenceKind.OTHER)


def claim_evidence_files(ticket: Ticket) -> QuerySet[Attachment]:
    # only files a worker has re-encoded: a pending image still carries its metadata, a refused one is gone
    files = Attachment.objects.filter(claim_evidence_q(), ticket_id=ticket.id, state=Attachment.State.CLEAN)
    return files.order_by("created_at", "id")


def case_parcels(ticket: Ticket) -> QuerySet[Parcel]:
    """The parcels a claim is about: every parcel of the case's order (forward and return), or the case's own."""
    if ticket.order_id is not None:
        return Parcel.objects.filter(order_id=ticket.order_id).select_related("carrier").order_by("created_at", "id")
    if ticket.parcel_id is None:
        return Parcel.objects.none()
    return Parcel.objects.filter(id=ticket.parcel_id).select_related("carrier")


def case_has_tracking_events(ticket: Ticket) -> bool:
    """True when supportdesk holds a tracking timeline for the case's parcels (the dossier then carries it)."""
    events = TrackingEvent.objects.filter(parcel_id=OuterRef("pk"))
    return case_parcels(ticket).filter(Exists(events)).exists()
