"""What one queue row shows, worked out in Python once per page.

The table used to reach through ticket → buyer / order / parcel → carrier in the template and call
get_FOO_display() per cell; Django's template engine resolves each of those lookups slowly, and the
choices behind get_FOO_display() are rebuilt on every call, so a 50-row page spent most of its time there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from logistics.statuses import ParcelStatus
from tickets.desk.sla_badge import SlaBadge, sla_badge
from tickets.models import Ticket, TicketKind, TicketPriority, TicketStatus


def case_url(ticket: Ticket) -> str:
    """Where a queue row leads: the case page (tickets.desk.urls_case, `desk:case`)."""
    return reverse("desk:case", args=[ticket.id])


@dataclass(frozen=True)
class QueueRow:
    id: int
    reference: str
    url: str
    subject: str
    kind: str
    status: str
    priority: str
    shop: str
    buyer: str
    order_number: str
    posting_number: str
    parcel: str  # carrier and normalised status, "" without a parcel
    tracking_number: str
    assignee: str  # "" when unassigned
    badge: SlaBadge
    due: str  # the SLA due time as agents read it ("" when nothing is due), and as ISO 8601 for <time>
    due_iso: str


def _person(user: AbstractBaseUser | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or getattr(user, "email", "") or user.get_username()  # type: ignore[attr-defined]


def _when(moment: dt.datetime | None) -> str:
    # strftime with numbers only: no month names to translate, and ~20x cheaper than the |date filter per row
    return timezone.localtime(moment).strftime("%d.%m %H:%M") if moment is not None else ""


def queue_rows(tickets: Iterable[Ticket], now: dt.datetime) -> list[QueueRow]:
    """Rows for tickets loaded with buyer, order, parcel and carrier, shop and assignee (queue_tickets does)."""
    kinds, statuses, priorities, parcel_statuses = (
        {value: str(label) for value, label in choices}
        for choices in (TicketKind.choices, TicketStatus.choices, TicketPriority.choices, ParcelStatus.choices)
    )
    rows = []
    for ticket in tickets:
        order, parcel, badge = ticket.order, ticket.parcel, sla_badge(ticket, now)
        rows.append(QueueRow(
            id=ticket.id, reference=ticket.reference, url=case_url(ticket), subject=Truncator(ticket.subject).chars(60),
            kind=kinds.get(ticket.kind, ticket.kind), status=statuses.get(ticket.status, ticket.status),
            priority=priorities.get(ticket.priority, ticket.priority), shop=ticket.shop.name, buyer=_person(ticket.buyer),
            order_number=order.order_number if order else "", posting_number=order.posting_number if order else "",
            parcel=f"{parcel.carrier.name} · {parcel_statuses.get(parcel.status, parcel.status)}" if parcel else "",
            tracking_number=parcel.tracking_number if parcel else "",
            assignee=(ticket.assignee.get_full_name() or ticket.assignee.get_username()) if ticket.assignee else "",
            badge=badge, due=_when(badge.due), due_iso=badge.due.isoformat() if badge.due else "",
        ))
    return rows
