"""Merging a duplicate case into the one an agent keeps working on (issue 5, the case page)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tickets.models import Attachment, Claim, Message, Ticket, TicketAnomaly, TicketEvent, TicketStatus
from tickets.services import ticket_change_status


def _check_mergeable(source: Ticket, target: Ticket) -> None:
    if source.pk == target.pk:
        raise ValidationError(_("A case cannot be merged into itself."))
    if source.shop_id != target.shop_id or source.buyer_id != target.buyer_id:
        raise ValidationError(_("Only cases of the same shop and the same buyer can be merged."))
    if source.merged_into_id is not None:
        raise ValidationError(_("Case %(ref)s was already merged into another case.") % {"ref": source.reference})
    if target.merged_into_id is not None:
        raise ValidationError(_("This case was merged into another case; merge into that one instead."))


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, acting_user: User) -> Ticket:
    """Move everything of the duplicate `source` into `target` and close `source` with a link to it.

    Messages, attachments, events, claims and detected-problem links move to `target` in one transaction;
    `source` then gets a MERGED_INTO event, its closing status event and `merged_into`, and `target` a
    MERGED_FROM event. Raises ValidationError, writing nothing, for the same case twice, cases of different
    shops or buyers, or a case already merged. Returns the refreshed target.
    """
    # Lock both rows in id order, so two agents merging the same pair the other way round cannot deadlock.
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")}
    source, target = locked.get(source.pk, source), locked.get(target.pk, target)
    _check_mergeable(source, target)
    for model in (Message, Attachment, TicketEvent, Claim, TicketAnomaly):
        model.objects.filter(ticket_id=source.pk).update(ticket_id=target.pk)  # type: ignore[attr-defined]
    TicketEvent.objects.create(ticket=source, kind=TicketEvent.Kind.MERGED_INTO, actor=acting_user, new_value=target.reference)
    TicketEvent.objects.create(ticket=target, kind=TicketEvent.Kind.MERGED_FROM, actor=acting_user, new_value=source.reference)
    Ticket.objects.filter(pk=source.pk).update(merged_into=target)
    source.merged_into = target
    if source.status != TicketStatus.CLOSED:
        # Through the workflow service: the status event and the buyer's notification come with it.
        ticket_change_status(ticket=source, status=TicketStatus.CLOSED, acting_user=acting_user)
    target.refresh_from_db()
    return target
