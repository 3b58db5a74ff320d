"""Webhook events of cases, messages and claims (webhooks app; DESIGN §3: recorded by the services, never by signals).

Each function is called inside the service's transaction; the payload is built only when the shop
has an active subscription to the event type (README "Webhooks" documents the shapes).
"""

from __future__ import annotations

from typing import Any

from tickets.models import Claim, Message, Ticket
from webhooks.models import EventType
from webhooks.outbox import iso, record_event


def case_data(ticket: Ticket) -> dict[str, Any]:
    order, parcel = ticket.order, ticket.parcel
    return {
        "id": ticket.pk, "reference": ticket.reference, "kind": ticket.kind, "status": ticket.status, "priority": ticket.priority,
        "channel": ticket.channel, "subject": ticket.subject, "buyer_id": ticket.buyer_id, "assignee_id": ticket.assignee_id,
        "order": None if order is None else {"id": order.pk, "order_number": order.order_number, "posting_number": order.posting_number},
        "parcel": None if parcel is None else {"id": parcel.pk, "tracking_number": parcel.tracking_number, "status": parcel.status},
        "first_response_due": iso(ticket.first_response_due), "resolution_due": iso(ticket.resolution_due),
        "first_responded_at": iso(ticket.first_responded_at), "resolved_at": iso(ticket.resolved_at), "closed_at": iso(ticket.closed_at),
        "created_at": iso(ticket.created_at), "updated_at": iso(ticket.updated_at),
    }


def message_data(message: Message, ticket: Ticket) -> dict[str, Any]:
    if message.author_id is None:
        role = "system"
    else:
        role = "buyer" if message.author_id == ticket.buyer_id else "agent"
    return {"id": message.pk, "author_role": role, "body": message.body, "created_at": iso(message.created_at)}


def claim_data(claim: Claim) -> dict[str, Any]:
    return {
        "id": claim.pk, "kind": claim.kind, "status": claim.status, "amount": str(claim.amount), "currency": claim.currency,
        "liable_party": claim.liable_party, "insured": claim.insured, "created_at": iso(claim.created_at), "updated_at": iso(claim.updated_at),
    }


def record_case_created(*, ticket: Ticket, first_message: Message) -> None:
    record_event(shop=ticket.shop_id, event_type=EventType.CASE_CREATED,
                 data=lambda: {"case": case_data(ticket), "message": message_data(first_message, ticket)})  # fmt: skip


def record_case_updated(*, ticket: Ticket, field: str, old: object, new: object) -> None:
    """case.updated for one changed field (status, priority or assignee_id), with its old and new value."""
    record_event(shop=ticket.shop_id, event_type=EventType.CASE_UPDATED,
                 data=lambda: {"case": case_data(ticket), "changes": {field: {"old": old, "new": new}}})  # fmt: skip


def record_message_created(*, message: Message) -> None:
    """case.message_created for public messages only: internal notes never leave supportdesk."""
    if message.visibility != Message.Visibility.PUBLIC:
        return
    ticket = message.ticket
    record_event(shop=ticket.shop_id, event_type=EventType.CASE_MESSAGE_CREATED,
                 data=lambda: {"case": case_data(ticket), "message": message_data(message, ticket)})  # fmt: skip


def record_claim_updated(*, claim: Claim, old_status: str | None) -> None:
    """claim.updated when a claim is filed (`old_status` None) or moves along its workflow."""
    ticket = claim.ticket

    def data() -> dict[str, Any]:
        changes = {"status": {"old": old_status, "new": claim.status}}
        return {"claim": claim_data(claim), "case": {"id": ticket.pk, "reference": ticket.reference}, "changes": changes}

    record_event(shop=ticket.shop_id, event_type=EventType.CLAIM_UPDATED, data=data)
