"""Read queries of the desk's case page. A fixed number of queries, whatever the number of messages,
events, parcels or tracking events (pinned by tests/tickets/desk/test_case_page.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, User
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from logistics.models import Parcel, TrackingNumberChange
from logistics.selectors import order_parcels_with_timelines
from orders.models import BuyerProfile, OrderLine, ShopMembership
from tickets.claim_selectors import case_has_tracking_events, claims_for_case
from tickets.claims import SYSTEM_EVIDENCE
from tickets.macros import macros_available_to
from tickets.models import (
    Attachment,
    Claim,
    EvidenceKind,
    Macro,
    Message,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
)
from tickets.selectors import messages_visible_to, tickets_visible_to


@dataclass(frozen=True)
class EvidenceItem:
    kind: str
    label: str
    present: bool


@dataclass(frozen=True)
class EventRow:
    event: TicketEvent
    text: str


@dataclass(frozen=True)
class CasePage:
    ticket: Ticket
    profile: BuyerProfile | None
    thread: list[Message]
    events: list[EventRow]
    parcels: list[Parcel]
    lines: list[OrderLine]
    checklist: list[EvidenceItem]
    macros: list[Macro]
    agents: list[User]
    statuses: list[tuple[str, str]]
    merged_cases: list[Ticket]
    claims: list[Claim]

    @property
    def last_message_id(self) -> int:
        return max((m.pk for m in self.thread), default=0)

    @property
    def missing_evidence(self) -> list[EvidenceItem]:
        return [item for item in self.checklist if not item.present]


def evidence_checklist(ticket: Ticket, attachments: Iterable[Attachment], *, has_tracking_events: bool) -> list[EvidenceItem]:
    """What the kind of case needs (REQUIRED_EVIDENCE) and whether the case has it: an attachment of that kind,
    or, for the tracking timeline, the scans supportdesk holds itself (as the claim checklist counts them)."""
    present = {a.evidence_kind for a in attachments if a.state != Attachment.State.REJECTED}
    if has_tracking_events:
        present |= SYSTEM_EVIDENCE
    return [EvidenceItem(kind, str(EvidenceKind(kind).label), kind in present) for kind in ticket.required_evidence]


def missing_evidence_kinds(ticket: Ticket) -> list[str]:
    """The required evidence kinds the case does not have yet (one or two queries). The buyer is never asked
    for a tracking timeline supportdesk already holds."""
    present = set(Attachment.objects.filter(ticket=ticket).values_list("evidence_kind", flat=True))
    missing = [kind for kind in ticket.required_evidence if kind not in present]
    if SYSTEM_EVIDENCE.intersection(missing) and case_has_tracking_events(ticket):
        missing = [kind for kind in missing if kind not in SYSTEM_EVIDENCE]
    return missing


def case_parcels(ticket: Ticket) -> list[Parcel]:
    """Every parcel of the case's order (or the case's own parcel), each with `timeline` (newest first) and
    `changes` (tracking-number history, newest first) prefetched: four queries whatever their number."""
    if ticket.order is None:  # ticket_create always anchors a parcel's case to its order too
        return []
    changes = Prefetch(
        "number_changes", to_attr="changes",
        queryset=TrackingNumberChange.objects.select_related("old_carrier", "new_carrier", "changed_by").order_by("-changed_at", "-id"),
    )
    parcels: list[Parcel] = list(order_parcels_with_timelines(ticket.order).prefetch_related(changes))
    for parcel in parcels:
        parcel.tracking_link = parcel.carrier.tracking_url(parcel.tracking_number)  # type: ignore[attr-defined]
    return parcels


def desk_agents_for(ticket: Ticket, user: AbstractBaseUser) -> QuerySet[User]:
    """Who the case may be assigned to: the shop's active staff users with the agent role, and the user."""
    agents = Q(shop_memberships__shop_id=ticket.shop_id, shop_memberships__role=ShopMembership.Role.AGENT, is_staff=True)
    return User.objects.filter(agents | Q(pk=user.pk), is_active=True).distinct().order_by("username")


# The SLA alerts (tickets.sla.alerts) store which target a warning, breach or escalation is about.
_SLA_TARGET_EVENTS = frozenset({TicketEventKind.SLA_WARNING, TicketEventKind.SLA_BREACHED, TicketEventKind.SLA_ESCALATED})
_SLA_TARGETS = {"first_response": gettext_lazy("first response"), "resolution": gettext_lazy("resolution")}


def _event_value(kind: str, value: str, users: dict[int, User]) -> str:
    if kind in (TicketEventKind.REPLIED, TicketEventKind.NOTE_ADDED):
        return ""  # the value is the message id; the conversation shows the message itself
    if kind in (TicketEventKind.STATUS_CHANGED, TicketEventKind.SLA_PAUSED) and value in TicketStatus.values:
        return str(TicketStatus(value).label)
    if kind in _SLA_TARGET_EVENTS and value in _SLA_TARGETS:
        return str(_SLA_TARGETS[value])
    if kind == TicketEventKind.PRIORITY_CHANGED and value in TicketPriority.values:
        return str(TicketPriority(value).label)
    if kind == TicketEventKind.ASSIGNED:
        user = users.get(int(value)) if value.isdigit() else None
        return user.get_username() if user else (value or _("nobody"))
    return value


def _duration(seconds: str) -> str:
    minutes = int(seconds) // 60 if seconds.isdigit() else 0
    return _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


def _resumed_text(event: TicketEvent) -> str:
    """The SLA clock's resume event stores the wall-clock pause and the business time subtracted, in seconds."""
    if not (event.old_value.isdigit() and event.new_value.isdigit()):
        return f"{event.get_kind_display()}: {event.new_value}" if event.new_value else event.get_kind_display()
    return _("%(event)s: paused %(wall)s, %(business)s of business time not counted") % {
        "event": event.get_kind_display(), "wall": _duration(event.old_value), "business": _duration(event.new_value),
    }


def _event_rows(events: list[TicketEvent], agents: list[User]) -> list[EventRow]:
    users = {user.pk: user for user in agents}
    rows = []
    for event in events:
        if event.kind == TicketEventKind.SLA_RESUMED:
            rows.append(EventRow(event, _resumed_text(event)))
            continue
        old, new = (_event_value(event.kind, value, users) for value in (event.old_value, event.new_value))
        change = f"{old} → {new}" if old else new
        rows.append(EventRow(event, f"{event.get_kind_display()}: {change}" if change else event.get_kind_display()))
    return rows


def case_page(user: AbstractBaseUser, ticket: Ticket) -> CasePage:
    """Everything the case page shows, for a user already allowed to work on the case."""
    thread = list(messages_visible_to(user, ticket))
    events = list(ticket.events.select_related("actor").order_by("-created_at", "-id"))
    agents = list(desk_agents_for(ticket, user))
    lines = list(OrderLine.objects.filter(order_id=ticket.order_id).order_by("id")) if ticket.order_id else []
    parcels = case_parcels(ticket)
    return CasePage(
        ticket=ticket,
        profile=BuyerProfile.objects.filter(user_id=ticket.buyer_id).first(),
        thread=thread,
        events=_event_rows(events, agents),
        parcels=parcels,
        lines=lines,
        checklist=evidence_checklist(
            ticket, (a for m in thread for a in m.attachments.all()), has_tracking_events=any(p.timeline for p in parcels),  # type: ignore[attr-defined]
        ),
        macros=list(macros_available_to(user).filter(Q(shop__isnull=True) | Q(shop_id=ticket.shop_id))),
        agents=agents,
        statuses=[(s.value, str(s.label)) for s in TicketStatus if ticket.can_transition_to(s.value)],
        merged_cases=list(ticket.merged_cases.order_by("id").only("id", "reference", "subject", "merged_into_id")),
        claims=list(claims_for_case(ticket)),
    )


def messages_since(ticket: Ticket, last_seen_id: int) -> QuerySet[Message]:
    """Messages written after the one with id `last_seen_id` (ids only grow), oldest first."""
    return ticket.messages.filter(id__gt=last_seen_id).select_related("author").prefetch_related("attachments").order_by("id")


def ticket_id_by_reference(user: AbstractBaseUser, reference: str) -> int | None:
    """The id of the case with this reference if `user` may see it (then load it through access), else None."""
    return tickets_visible_to(user).filter(reference=reference.strip().upper()).values_list("id", flat=True).first()
