"""Buyer-facing read queries for cases: the buyer's list, duplicates, the thread and the evidence checklist."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from logistics.models import Parcel
from orders.models import Order
from tickets.models import OPEN_STATUSES, Attachment, EvidenceKind, Message, Ticket, TicketStatus
from tickets.selectors import messages_visible_to

# What the buyer is waiting for, in plain words (the status names are agents' vocabulary).
WAITING_FOR: dict[str, Promise] = {
    TicketStatus.NEW: _("Waiting for an agent to pick up your case"),
    TicketStatus.OPEN: _("We are working on it"),
    TicketStatus.WAITING_ON_BUYER: _("We need something from you"),
    TicketStatus.WAITING_ON_CARRIER: _("Waiting for the carrier"),
    TicketStatus.RESOLVED: _("Resolved"),
    TicketStatus.CLOSED: _("Closed"),
}


def waiting_for(ticket: Ticket) -> Promise:
    return WAITING_FOR.get(ticket.status, _("We are working on it"))


def buyer_cases(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Ticket]:
    """The user's own cases as a buyer, newest first, with `last_activity` (last public message or change)."""
    last_public = (
        Message.objects.filter(ticket_id=OuterRef("pk"), visibility=Message.Visibility.PUBLIC)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return (
        Ticket.objects.filter(buyer_id=user.pk)
        .select_related("order")
        .annotate(last_activity=Greatest("updated_at", Coalesce(Subquery(last_public), "updated_at")))
        .order_by("-created_at", "-id")
    )


def open_case_for(*, buyer: AbstractBaseUser, kind: str, order: Order, parcel: Parcel | None) -> Ticket | None:
    """The buyer's unsettled case of this kind on the same parcel (or order, when there is no parcel)."""
    cases = Ticket.objects.filter(buyer_id=buyer.pk, kind=kind, status__in=OPEN_STATUSES)
    cases = cases.filter(parcel=parcel) if parcel is not None else cases.filter(order=order)
    return cases.order_by("-created_at").first()


@dataclass(frozen=True)
class ThreadEntry:
    message: Message
    author_label: str
    attachments: list[Attachment]


@dataclass(frozen=True)
class EvidenceItem:
    label: str
    present: bool


def buyer_thread(user: AbstractBaseUser, ticket: Ticket) -> list[ThreadEntry]:
    """Public messages only, oldest first, with who wrote them as the buyer should read it."""
    # messages_visible_to already hides notes from buyers; the extra filter covers a buyer who also works for the shop.
    messages = messages_visible_to(user, ticket).filter(visibility=Message.Visibility.PUBLIC)
    return [ThreadEntry(message, _author_label(user, message), list(message.attachments.all())) for message in messages]


def _author_label(user: AbstractBaseUser, message: Message) -> str:
    if message.author is None:
        return "supportdesk"
    if message.author_id == user.pk:
        return str(_("You"))
    return message.author.first_name or str(_("Support"))


def evidence_checklist(ticket: Ticket, thread: list[ThreadEntry]) -> list[EvidenceItem]:
    """What the kind of case needs (REQUIRED_EVIDENCE) and whether the public thread already holds it."""
    present = {attachment.evidence_kind for entry in thread for attachment in entry.attachments}
    return [EvidenceItem(str(EvidenceKind(kind).label), kind in present) for kind in ticket.required_evidence]
