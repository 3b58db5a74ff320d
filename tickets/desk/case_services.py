"""Writes of the desk's case page that the core services do not already offer: a reply that is never lost
nor silently duplicated, the one-click evidence request, and a tracking-number change made from a case.
Each composes tickets.services / logistics.services, so every step leaves its TicketEvent."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from logistics.models import Carrier, Parcel, TrackingNumberChange
from logistics.services import parcel_change_tracking_number
from tickets.desk.case_selectors import messages_since, missing_evidence_kinds
from tickets.evidence import CleanEvidence, evidence_attach
from tickets.models import EvidenceKind, Message, Ticket, TicketStatus
from tickets.notifications import notify_tracking_number_change, recipient_language
from tickets.services import message_create, ticket_change_status


class ReplyCollision(ValidationError):
    """Someone wrote on the case after the agent loaded it; `newer` holds those messages, oldest first."""

    def __init__(self, newer: list[Message]) -> None:
        super().__init__(_("New messages arrived while you were writing. Read them; your text is kept below."), code="collision")
        self.newer = newer


@transaction.atomic
def desk_reply(
    *, ticket: Ticket, author: User, body: str, visibility: str, client_token: str, last_seen_message_id: int,
    send_anyway: bool = False, files: Sequence[CleanEvidence] = (), evidence_kind: str = EvidenceKind.OTHER,
) -> tuple[Message, bool]:
    """Post an agent's public reply or internal note with its evidence; returns (message, created).

    The same `client_token` twice (a double click, a re-sent form) returns the first message with
    created=False. Raises ReplyCollision, writing nothing, when messages newer than `last_seen_message_id`
    exist and `send_anyway` is not set; ValidationError for an empty body, a bad evidence kind or a merged case.
    """
    if not client_token:
        raise ValidationError(_("The form is incomplete; reload the page."))
    if ticket.merged_into_id is not None:
        raise ValidationError(_("This case was merged into another one; reply there."))
    existing = ticket.messages.filter(client_token=client_token).first()
    if existing is not None:
        return existing, False
    newer = list(messages_since(ticket, last_seen_message_id))
    if newer and not send_anyway:
        raise ReplyCollision(newer)
    try:
        with transaction.atomic():
            message = message_create(ticket=ticket, author=author, body=body, visibility=visibility)
            # The partial unique constraint decides a race between two identical submits: the second rolls back.
            Message.objects.filter(pk=message.pk).update(client_token=client_token)
    except IntegrityError:
        return ticket.messages.get(client_token=client_token), False
    message.client_token = client_token
    if files:
        evidence_attach(message=message, files=files, evidence_kind=evidence_kind, acting_user=author)
    return message, True


def missing_evidence_body(*, ticket: Ticket, kinds: Sequence[str]) -> str:
    """The buyer-facing request, in the buyer's language, one line per missing item."""
    with translation.override(recipient_language(ticket.buyer, ticket.shop)):
        items = "\n".join(f"- {EvidenceKind(kind).label}" for kind in kinds)
        intro = _("To move your case forward we still need the following from you:")
        outro = _("Please attach them to a reply on this case.")
        return f"{intro}\n{items}\n\n{outro}"


@transaction.atomic
def ticket_request_missing_evidence(*, ticket: Ticket, acting_user: User) -> Message:
    """Ask the buyer, in a public reply in their language, for the evidence the case still lacks, and move the
    case to waiting_on_buyer (if the workflow allows; it may already be there).

    Raises ValidationError, writing nothing, when nothing is missing or the case is settled.
    """
    ticket.refresh_from_db(fields=["status"])
    if not ticket.is_open:
        raise ValidationError(_("This case is settled; reopen it before asking the buyer for anything."))
    kinds = missing_evidence_kinds(ticket)
    if not kinds:
        raise ValidationError(_("Nothing is missing: this case has all the evidence its kind needs."))
    message = message_create(
        ticket=ticket, author=acting_user, body=missing_evidence_body(ticket=ticket, kinds=kinds), visibility=Message.Visibility.PUBLIC,
    )
    if ticket.status != TicketStatus.WAITING_ON_BUYER:
        ticket_change_status(ticket=ticket, status=TicketStatus.WAITING_ON_BUYER, acting_user=acting_user)
    return message


@transaction.atomic
def ticket_change_tracking_number(
    *, ticket: Ticket, parcel: Parcel, new_number: str, reason: str, acting_user: User, new_carrier: Carrier | None = None,
) -> TrackingNumberChange:
    """Replace the tracking number of one of the case's parcels, from the case page.

    logistics.services validates and records the change and restarts polling; the buyer is then told at once
    through tickets.notifications (the same announcement the periodic scan makes, which therefore skips it),
    and every open case of the parcel gets the change in its conversation; if this case is not one of them
    (it is about the order, or settled), it gets an internal note instead. Raises ValidationError for a parcel
    of another order, or whatever the logistics service refuses.
    """
    if ticket.order_id is None or parcel.order_id != ticket.order_id:
        raise ValidationError(_("This parcel does not belong to the order of this case."))
    change = parcel_change_tracking_number(
        parcel=parcel, new_number=new_number, reason=reason, acting_user=acting_user, new_carrier=new_carrier,
    )
    notify_tracking_number_change(change=change)  # posts to the open cases *of this parcel*
    if ticket.parcel_id != parcel.pk or not ticket.is_open:
        # This case is about the order (or another parcel), so the announcement skipped it: note it here for the agents.
        note = _("Tracking number of this order's parcel changed from %(old)s (%(old_carrier)s) to %(new)s (%(new_carrier)s): %(reason)s") % {
            "old": change.old_number, "old_carrier": change.old_carrier.name, "new": change.new_number,
            "new_carrier": change.new_carrier.name, "reason": change.reason,
        }
        message_create(ticket=ticket, author=acting_user, body=note, visibility=Message.Visibility.INTERNAL)
    return change
