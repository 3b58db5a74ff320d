"""Read queries for cases."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from orders.selectors import shop_ids_for_user, visibility_q
from tickets.models import Attachment, Claim, Message, Ticket


def tickets_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Ticket]:
    condition = visibility_q(user, shop_field="shop_id", buyer_field="buyer_id")
    tickets = Ticket.objects.select_related("shop", "buyer", "order", "parcel", "parcel__carrier", "assignee")
    return tickets if condition is None else tickets.filter(condition)


def user_is_ticket_staff(user: AbstractBaseUser | AnonymousUser, ticket: Ticket) -> bool:
    """True for superusers and members of the case's shop; buyers are never staff of their own case."""
    if getattr(user, "is_superuser", False):
        return True
    return user.is_authenticated and shop_ids_for_user(user).filter(shop_id=ticket.shop_id).exists()


def messages_visible_to(user: AbstractBaseUser | AnonymousUser, ticket: Ticket) -> QuerySet[Message]:
    """The thread as `user` may read it: buyers never see internal notes."""
    messages = ticket.messages.select_related("author").prefetch_related("attachments").order_by("created_at", "id")
    if user_is_ticket_staff(user, ticket):
        return messages
    return messages.filter(visibility=Message.Visibility.PUBLIC)


def attachments_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Attachment]:
    """Attachments of visible cases; those on internal notes only for the shop's own people."""
    condition = visibility_q(user, shop_field="ticket__shop_id", buyer_field="ticket__buyer_id")
    attachments = Attachment.objects.select_related("ticket", "message")
    if condition is None:
        return attachments
    internal = Q(message__visibility=Message.Visibility.INTERNAL)
    return attachments.filter(condition).filter(~internal | Q(ticket__shop_id__in=shop_ids_for_user(user)))


def claims_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Claim]:
    """Claims are agents' business: only the shop's people (and superusers) see them."""
    claims = Claim.objects.select_related("ticket", "ticket__shop")
    if getattr(user, "is_superuser", False):
        return claims
    return claims.filter(ticket__shop_id__in=shop_ids_for_user(user))
