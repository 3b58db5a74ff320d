"""Writes for cases: create, reply, assign, change status, evidence, SLA breaches (claims: tickets/claims.py).

Every change writes a TicketEvent in the same transaction (STYLE rule 3); status changes are
conditional updates, so two agents acting at once cannot overwrite each other (rule 5).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.models import Parcel
from orders.models import Order, Shop, ShopMembership
from supportdesk.on_commit import pending_callback
from tickets.assignment import ticket_auto_assign

# Re-exported: the claims' writers live in tickets/claims.py; callers keep importing them from here.
from tickets.claims import claim_change_status as claim_change_status
from tickets.claims import claim_create as claim_create
from tickets.models import (
    Attachment,
    EvidenceKind,
    Message,
    Ticket,
    TicketChannel,
    TicketEvent,
    TicketPriority,
    TicketStatus,
)
from tickets.notifications import notify_agent_reply, notify_status_changed
from tickets.sla import sla_clock_change, sla_fields
from tickets.webhook_events import record_case_created, record_case_updated, record_message_created

Kind = TicketEvent.Kind


def user_serves_shop(user: User, shop: Shop) -> bool:
    """Superusers serve every shop; others only the shops they are members of."""
    if getattr(user, "is_superuser", False):
        return True
    return ShopMembership.objects.filter(user_id=user.pk, shop=shop).exists()


def _event(ticket: Ticket, kind: str, actor: User | None, old: object = "", new: object = "") -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, kind=kind, actor=actor, old_value=str(old)[:200], new_value=str(new)[:200])


def _check_anchor(*, shop: Shop, buyer: User, order: Order | None, parcel: Parcel | None) -> None:
    if parcel is not None and order is not None and parcel.order_id != order.id:
        raise ValidationError({"parcel": _("This parcel belongs to another order.")})
    if order is not None and (order.shop_id != shop.id or order.buyer_id != buyer.pk):
        raise ValidationError({"order": _("This order belongs to another shop or buyer.")})


def ticket_create(
    *, shop: Shop, buyer: User, kind: str, subject: str, body: str,
    order: Order | None = None, parcel: Parcel | None = None, channel: str = TicketChannel.PORTAL,
    priority: str = TicketPriority.NORMAL, acting_user: User | None = None,
) -> Ticket:
    """Open a case with its first message; `acting_user=None` means supportdesk opened it itself.

    Its SLA times come from the policy that matches (tickets.sla) in the shop's business hours, and its
    queue's assignment rule may give it an assignee at once (tickets.assignment).

    Raises ValidationError, writing nothing, if the order or parcel is not the buyer's in this shop.
    """
    ticket, _first_message = ticket_open(
        shop=shop, buyer=buyer, kind=kind, subject=subject, body=body, order=order, parcel=parcel, channel=channel,
        priority=priority, acting_user=acting_user,
    )
    return ticket


def ticket_open(
    *, shop: Shop, buyer: User, kind: str, subject: str, body: str,
    order: Order | None = None, parcel: Parcel | None = None, channel: str = TicketChannel.PORTAL,
    priority: str = TicketPriority.NORMAL, acting_user: User | None = None,
) -> tuple[Ticket, Message]:
    """`ticket_create`, returning the first message too (for the evidence that goes on it: no need to read it back)."""
    if parcel is not None and order is None:
        order = parcel.order
    _check_anchor(shop=shop, buyer=buyer, order=order, parcel=parcel)
    now = timezone.now()
    ticket = Ticket(
        shop=shop, buyer=buyer, order=order, parcel=parcel, kind=kind, subject=subject.strip(), channel=channel,
        priority=priority, created_at=now, **sla_fields(shop=shop, kind=kind, priority=priority, opened_at=now),
    )
    # Field and choice checks only: the related rows are loaded instances (checked by _check_anchor), the random
    # reference and the check constraints are enforced by the database; Django's own checks would cost 21
    # statements (a SELECT per foreign key and per constraint, each in a savepoint) on every new case.
    ticket.full_clean(exclude=["shop", "buyer", "order", "parcel", "assignee"], validate_unique=False, validate_constraints=False)
    return _ticket_insert(ticket, body=body, acting_user=acting_user, now=now)


# No savepoint inside a caller's transaction (2 statements a case, benchmark P4): what could be refused was checked
# above, before anything was written, so a caller catching a ValidationError still has a usable transaction.
@transaction.atomic(savepoint=False)
def _ticket_insert(ticket: Ticket, *, body: str, acting_user: User | None, now: dt.datetime) -> tuple[Ticket, Message]:
    ticket.save()
    _event(ticket, Kind.CREATED, acting_user, new=ticket.kind)
    first_message = Message.objects.create(ticket=ticket, author=acting_user, body=body, created_at=now)
    ticket = ticket_auto_assign(ticket=ticket, now=now)
    record_case_created(ticket=ticket, first_message=first_message)  # after assignment: the payload shows the assignee
    return ticket, first_message


@transaction.atomic
def ticket_change_status(*, ticket: Ticket, status: str, acting_user: User | None) -> Ticket:
    """Move a case along the workflow of DESIGN §4.

    Raises ValidationError for a move the workflow does not allow, or a reopen past the
    after-sales window. If another user changed the status meanwhile, nothing happens.
    """
    old = ticket.status
    if status == old:
        return ticket
    if not ticket.can_transition_to(status):
        raise ValidationError(
            _("A case cannot go from %(old)s to %(new)s.") % {"old": ticket.get_status_display(), "new": TicketStatus(status).label}
        )
    if old == TicketStatus.CLOSED and ticket.order is not None and not ticket.order.after_sales_open():
        raise ValidationError(_("The after-sales window of this order has ended; the case cannot be reopened."))
    now = timezone.now()
    changes: dict[str, object] = {"status": status, "updated_at": now}
    if status == TicketStatus.RESOLVED:
        changes["resolved_at"] = now
    elif status == TicketStatus.CLOSED:
        changes["closed_at"] = now
    elif old in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        changes.update(resolved_at=None, closed_at=None)
    clock = sla_clock_change(ticket=ticket, status=status, now=now)  # waiting pauses the SLA clock
    changes.update(clock.changes)
    if Ticket.objects.filter(id=ticket.id, status=old).update(**changes) != 1:
        ticket.refresh_from_db()
        return ticket  # someone else moved it first: their change stands
    _event(ticket, Kind.STATUS_CHANGED, acting_user, old, status)
    if clock.event:
        _event(ticket, clock.event, acting_user, clock.old_value, clock.new_value)
    ticket.refresh_from_db()
    record_case_updated(ticket=ticket, field="status", old=old, new=status)
    notify_status_changed(ticket=ticket, old=old, acting_user=acting_user)
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, agent: User | None, acting_user: User) -> Ticket:
    """Give the case to `agent` (None: unassign). Raises ValidationError if the agent does not serve the shop."""
    if agent is not None and not user_serves_shop(agent, ticket.shop):
        raise ValidationError(_("%(agent)s does not serve this shop.") % {"agent": agent})
    old = ticket.assignee_id
    new = agent.pk if agent is not None else None
    if old == new:
        return ticket
    ticket.assignee = agent
    ticket.save(update_fields=["assignee", "updated_at"])
    _event(ticket, Kind.ASSIGNED, acting_user, old or "", new or "")
    record_case_updated(ticket=ticket, field="assignee_id", old=old, new=new)
    return ticket


@transaction.atomic
def ticket_change_priority(*, ticket: Ticket, priority: str, acting_user: User | None) -> Ticket:
    """Change the priority and recompute the SLA times from the case's opening under the policy that now
    matches (keeping the paused time); `acting_user=None` is supportdesk escalating a breach."""
    old = ticket.priority
    if old == priority:
        return ticket
    ticket.priority = priority
    ticket.full_clean(validate_unique=False, validate_constraints=False)
    sla = sla_fields(shop=ticket.shop, kind=ticket.kind, priority=priority, opened_at=ticket.created_at,
                     paused_seconds=ticket.sla_paused_seconds)
    for name, value in sla.items():
        setattr(ticket, name, value)
    ticket.save(update_fields=["priority", "updated_at", *(name.removesuffix("_id") for name in sla)])
    _event(ticket, Kind.PRIORITY_CHANGED, acting_user, old, priority)
    record_case_updated(ticket=ticket, field="priority", old=old, new=priority)
    return ticket


@transaction.atomic
def message_create(
    *, ticket: Ticket, author: User | None, body: str, visibility: str = Message.Visibility.PUBLIC,
) -> Message:
    """Add a reply or an internal note. The first public reply by staff (a person other than the buyer) meets the first-response target.

    Raises ValidationError for an empty body or a buyer trying to write an internal note.
    """
    if not body.strip():
        raise ValidationError({"body": _("Write a message.")})
    is_buyer = author is not None and author.pk == ticket.buyer_id
    if is_buyer and visibility == Message.Visibility.INTERNAL:
        raise ValidationError(_("Buyers cannot write internal notes."))
    now = timezone.now()
    message = Message.objects.create(ticket=ticket, author=author, body=body, visibility=visibility, created_at=now)
    public = visibility == Message.Visibility.PUBLIC
    _event(ticket, Kind.REPLIED if public else Kind.NOTE_ADDED, author, new=message.pk)
    notify_agent_reply(message=message)
    # A person's reply answers the buyer; a public message supportdesk writes itself (author None) does not.
    if public and author is not None and not is_buyer and ticket.first_responded_at is None:
        Ticket.objects.filter(id=ticket.id, first_responded_at__isnull=True).update(first_responded_at=now)
        ticket.first_responded_at = now
    record_message_created(message=message)  # public replies only; after the clock, so the payload shows it
    return message


@transaction.atomic(savepoint=False)  # writes only, the checks come first: no savepoint per file (benchmark P4)
def attachment_add(
    *, message: Message, upload: File, original_name: str, content_type: str,
    evidence_kind: str = EvidenceKind.OTHER, acting_user: User | None, state: str = Attachment.State.CLEAN,
) -> Attachment:
    """Attach an evidence file to a message. Content checks happen in the form before this call.

    A `pending` image is re-encoded by a worker after commit (tickets/evidence.py) and served only then.
    Inside a caller's transaction it takes no savepoint: an error here (storage, database) spoils that transaction.
    """
    attachment = Attachment(
        ticket_id=message.ticket_id, message=message, original_name=original_name[:255], content_type=content_type,
        size=upload.size or 0, evidence_kind=evidence_kind, uploaded_by=acting_user, state=state,
    )
    attachment.file.save(original_name, upload, save=False)
    attachment.save()
    _event(message.ticket, Kind.ATTACHMENT_ADDED, acting_user, new=evidence_kind)
    if state == Attachment.State.PENDING:
        _sanitize_after_commit(attachment.id)
    return attachment


class _SanitizeBatch:
    """The pending images of one transaction, sent to the worker in one task on commit (the worker must see the rows):
    a case opened with two photos costs one broker message instead of two (~0.5 ms each, benchmark P4)."""

    def __init__(self) -> None:
        self.attachment_ids: list[int] = []

    def __call__(self) -> None:
        from tickets.tasks import attachments_sanitize_task

        attachments_sanitize_task.delay(self.attachment_ids)


def _sanitize_after_commit(attachment_id: int) -> None:
    # The batch is found among the transaction's on-commit callbacks: a savepoint rolled back takes it with it, and
    # a later attachment starts another. An id whose row was rolled back is skipped by the worker ("gone").
    batch = pending_callback(_SanitizeBatch)
    if batch is None:
        batch = _SanitizeBatch()
        transaction.on_commit(batch)
    batch.attachment_ids.append(attachment_id)


def tickets_record_sla_breaches(*, now: dt.datetime | None = None) -> int:
    """Record one SLA_BREACHED event per case and target that ran out. Set-based and idempotent.

    Returns how many breaches it found to record (a concurrent sweep may have recorded some first;
    the unique constraint keeps each breach to one row).
    """
    now = now or timezone.now()
    # Paused cases (waiting on the buyer or the carrier) do not breach: their due times move on resume.
    open_cases = Ticket.objects.exclude(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED]).filter(sla_paused_at__isnull=True)
    late_reply = open_cases.filter(first_responded_at__isnull=True, first_response_due__lt=now)
    late_resolution = open_cases.filter(resolution_due__lt=now)
    recorded = 0
    for target, cases in (("first_response", late_reply), ("resolution", late_resolution)):
        already = TicketEvent.objects.filter(ticket_id=OuterRef("pk"), kind=Kind.SLA_BREACHED, new_value=target)
        pending = cases.filter(~Exists(already)).values_list("id", flat=True)
        rows = [TicketEvent(ticket_id=ticket_id, kind=Kind.SLA_BREACHED, new_value=target, created_at=now) for ticket_id in pending]
        recorded += len(TicketEvent.objects.bulk_create(rows, ignore_conflicts=True))
    return recorded


@transaction.atomic
def ticket_buyer_reply(*, ticket: Ticket, body: str, acting_user: User) -> Message:
    """The buyer answers on their own case: a public message, and a case that waited on them goes back to open.

    Raises ValidationError if `acting_user` is not the case's buyer, the body is empty, or the case is
    resolved or closed (reopening is a separate step).
    """
    if acting_user.pk != ticket.buyer_id:
        raise ValidationError(_("Only the buyer of a case can reply here."))
    ticket.refresh_from_db(fields=["status"])  # judge the status as it is now, not as the page showed it
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise ValidationError(_("This case is already settled; it no longer takes replies."))
    message = message_create(ticket=ticket, author=acting_user, body=body, visibility=Message.Visibility.PUBLIC)
    if ticket.status == TicketStatus.WAITING_ON_BUYER:
        ticket_change_status(ticket=ticket, status=TicketStatus.OPEN, acting_user=acting_user)  # writes the event
    return message


# --- the buyer's follow-ups on a settled case: reopening and rating (DESIGN §4) ---

_SETTLED = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
RATING_CHANGE_WINDOW = dt.timedelta(days=7)


@transaction.atomic
def ticket_buyer_reopen(*, ticket: Ticket, reason: str, acting_user: User) -> Ticket:
    """The buyer reopens their settled case: it goes back to open and the reason becomes a public message.

    Allowed from resolved, and from closed while the order's after-sales window is open (ticket_change_status
    enforces the window). Raises ValidationError, writing nothing, if `acting_user` is not the buyer, the
    reason is empty, the case is not resolved or closed, or the window has ended.
    """
    if acting_user.pk != ticket.buyer_id:
        raise ValidationError(_("Only the buyer of a case can reopen it."))
    if not reason.strip():
        raise ValidationError({"reason": _("Tell us what is still wrong.")})
    ticket.refresh_from_db(fields=["status"])  # judge the status as it is now, not as the page showed it
    if ticket.status not in _SETTLED:
        raise ValidationError(_("This case is still open; reply to it instead."))
    ticket = ticket_change_status(ticket=ticket, status=TicketStatus.OPEN, acting_user=acting_user)
    if not ticket.is_open:  # an agent moved it at the same moment (e.g. resolved → closed): theirs stands
        raise ValidationError(_("This case changed while you were writing; please look at it again."))
    message_create(ticket=ticket, author=acting_user, body=reason, visibility=Message.Visibility.PUBLIC)
    return ticket


@transaction.atomic
def ticket_rate(*, ticket: Ticket, rating: int, comment: str, acting_user: User) -> Ticket:
    """The buyer rates how their resolved or closed case was handled: 1–5 and an optional comment.

    The rating may be changed for RATING_CHANGE_WINDOW after it was first given (`rated_at` keeps that first
    time). Every change records a RATED event with the old and new rating; resubmitting the same rating and
    comment does nothing. Raises ValidationError if `acting_user` is not the buyer, the rating is not 1–5,
    the case is not resolved or closed, or the change window has passed.
    """
    if acting_user.pk != ticket.buyer_id:
        raise ValidationError(_("Only the buyer of a case can rate it."))
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
    ticket.refresh_from_db(fields=["status", "rating", "rating_comment", "rated_at"])
    if ticket.status not in _SETTLED:
        raise ValidationError(_("You can rate a case once it is resolved or closed."))
    now = timezone.now()
    if ticket.rated_at is not None and now > ticket.rated_at + RATING_CHANGE_WINDOW:
        raise ValidationError(
            _("A rating can be changed for %(days)d days after it was given; this one can no longer be changed.")
            % {"days": RATING_CHANGE_WINDOW.days}
        )
    old, comment = ticket.rating, comment.strip()
    if (old, ticket.rating_comment) == (rating, comment):
        return ticket
    current = Ticket.objects.filter(id=ticket.id, status__in=_SETTLED, rating=old, rated_at=ticket.rated_at)
    if current.update(rating=rating, rating_comment=comment, rated_at=ticket.rated_at or now, updated_at=now) != 1:
        raise ValidationError(_("This case changed while you were rating it; please look at it again."))
    _event(ticket, Kind.RATED, acting_user, "" if old is None else old, rating)
    ticket.refresh_from_db(fields=["rating", "rating_comment", "rated_at", "updated_at"])
    return ticket
