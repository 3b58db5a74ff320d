"""The only way views load cases, attachments and claims for a user."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404

from tickets.models import Attachment, Claim, Ticket
from tickets.selectors import attachments_visible_to, claims_visible_to, tickets_visible_to, user_is_ticket_staff


def get_ticket_for_user(user: AbstractBaseUser | AnonymousUser, ticket_id: int, *, write: bool = False) -> Ticket:
    """The case if `user` may see it; with `write=True`, only if they may also work on it (shop people).

    Buyers read and reply to their own cases but never get write access. Raises Http404 for
    "no such case", "not yours" and "not yours to change" alike, so existence does not leak.
    """
    try:
        ticket = tickets_visible_to(user).get(id=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404("No such case") from None
    if write and not user_is_ticket_staff(user, ticket):
        raise Http404("No such case")
    return ticket


def get_attachment_for_user(user: AbstractBaseUser | AnonymousUser, attachment_id: int) -> Attachment:
    """The evidence file if `user` may download it and it is ready. Raises Http404 otherwise."""
    try:
        # a pending image has not been re-encoded yet: its metadata is still in it
        return attachments_visible_to(user).get(id=attachment_id, state=Attachment.State.CLEAN)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such file") from None


def get_claim_for_user(user: AbstractBaseUser | AnonymousUser, claim_id: int) -> Claim:
    """The claim if `user` works for its shop. Raises Http404 otherwise."""
    try:
        return claims_visible_to(user).get(id=claim_id)
    except (Claim.DoesNotExist, ValueError, TypeError):
        raise Http404("No such claim") from None
