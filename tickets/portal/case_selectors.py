"""Buyer-facing read queries for cases: the buyer's list, duplicates, the thread, the evidence checklist,
the new-case quota, and what a settled case still allows (reopening, rating)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from logistics.models import Parcel
from orders.models import Order
from tickets.claim_selectors import case_has_tracking_events
from tickets.claims import SYSTEM_EVIDENCE
from tickets.models import OPEN_STATUSES, Attachment, EvidenceKind, Message, Ticket, TicketChannel, TicketStatus
from tickets.selectors import messages_visible_to
from tickets.services import RATING_CHANGE_WINDOW

CASE_QUOTA_PERIOD = dt.timedelta(hours=1)

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
    """The buyer's unsettled case of this kind on the same parcel (or order, when there is no parcel).

    Loaded with its id and reference only: the case form asks on every GET and POST, and only links to it.
    """
    cases = Ticket.objects.filter(buyer_id=buyer.pk, kind=kind, status__in=OPEN_STATUSES)
    cases = cases.filter(parcel=parcel) if parcel is not None else cases.filter(order=order)
    return cases.only("id", "reference").order_by("-created_at").first()


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
    """What the kind of case needs (REQUIRED_EVIDENCE) and whether the public thread already holds it. The tracking
    timeline counts as there when supportdesk holds the parcel's scans itself: the buyer is never asked for it."""
    present = {a.evidence_kind for entry in thread for a in entry.attachments if a.state != Attachment.State.REJECTED}
    missing_system = {str(kind) for kind in SYSTEM_EVIDENCE.intersection(ticket.required_evidence)} - present
    if missing_system and case_has_tracking_events(ticket):
        present |= missing_system
    return [EvidenceItem(str(EvidenceKind(kind).label), kind in present) for kind in ticket.required_evidence]


def new_case_wait(buyer_id: int, *, now: dt.datetime | None = None) -> dt.timedelta | None:
    """None while the buyer may open another portal case; otherwise how long until they may.

    At most PORTAL_MAX_CASES_PER_HOUR (default 5) portal cases per buyer in any hour, counted from the database.
    """
    now = now or timezone.now()
    limit = int(getattr(settings, "PORTAL_MAX_CASES_PER_HOUR", 5))
    if limit <= 0:
        return CASE_QUOTA_PERIOD
    recent = Ticket.objects.filter(buyer_id=buyer_id, channel=TicketChannel.PORTAL, created_at__gte=now - CASE_QUOTA_PERIOD)
    newest = list(recent.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(newest) < limit:
        return None
    return newest[-1] + CASE_QUOTA_PERIOD - now  # the limit-th newest case leaves the hour first


@dataclass(frozen=True)
class ReopenOption:
    allowed: bool
    deadline: dt.datetime | None  # end of the order's after-sales window, when it has a delivery date


def reopen_option(ticket: Ticket, *, now: dt.datetime | None = None) -> ReopenOption | None:
    """Whether the buyer may reopen the case (DESIGN §4); None while it is not settled."""
    if ticket.status == TicketStatus.RESOLVED:
        return ReopenOption(allowed=True, deadline=None)
    if ticket.status != TicketStatus.CLOSED:
        return None
    order = ticket.order
    if order is None:
        return ReopenOption(allowed=True, deadline=None)
    # Order.after_sales_open decides; the deadline is only computed here to tell the buyer the date.
    deadline = order.delivered_at + dt.timedelta(days=order.shop.after_sales_days) if order.delivered_at else None
    return ReopenOption(allowed=order.after_sales_open(now), deadline=deadline)


@dataclass(frozen=True)
class RatingState:
    rating: int | None
    comment: str
    stars: str
    can_change: bool
    change_until: dt.datetime | None  # None while there is no rating yet


def rating_state(ticket: Ticket, *, now: dt.datetime | None = None) -> RatingState | None:
    """The buyer's rating of a settled case and whether they may still give or change it; None while not settled."""
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return None
    if ticket.rated_at is None:
        return RatingState(rating=None, comment="", stars="", can_change=True, change_until=None)
    until = ticket.rated_at + RATING_CHANGE_WINDOW
    stars = "★" * (ticket.rating or 0) + "☆" * (5 - (ticket.rating or 0))
    can_change = (now or timezone.now()) <= until
    return RatingState(
        rating=ticket.rating, comment=ticket.rating_comment, stars=stars, can_change=can_change, change_until=until
    )
