"""Builders shared by the case-page tests (plain functions, not fixtures, so each test file stays standalone)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from logistics.statuses import ParcelStatus
from tests.factories import (
    CarrierFactory,
    MessageFactory,
    OrderFactory,
    OrderLineFactory,
    ParcelFactory,
    TicketFactory,
    TrackingEventFactory,
)
from tickets.models import Macro, MacroText, Message, Ticket, TicketKind


def lost_parcel_case(shop, buyer, *, messages: int = 1, parcels: int = 1, events: int = 2) -> Ticket:
    """A lost-parcel case with an order line, `parcels` parcels of `events` scans each and `messages` messages."""
    order = OrderFactory(shop=shop, buyer=buyer, recipient_phone="+7 900 000-00-00")
    OrderLineFactory(order=order, name="Bluetooth speaker", quantity=2)
    carrier = CarrierFactory(code="cdek", name="CDEK", tracking_url_template="https://cdek.example/track?n={number}")
    first = None
    for p in range(parcels):
        parcel = ParcelFactory(order=order, carrier=carrier, status=ParcelStatus.IN_TRANSIT)
        first = first or parcel
        for e in range(events):
            TrackingEventFactory(
                parcel=parcel, occurred_at=dt.datetime(2025, 3, 1 + e, 9, tzinfo=dt.UTC), raw_code=f"RC{p}{e}",
                raw_description=f"Scan {e} of parcel {p}", location="Kazan",
            )
    ticket = TicketFactory(order=order, parcel=first, kind=TicketKind.LOST_PARCEL, subject="Parcel never arrived")
    for n in range(messages):
        MessageFactory(ticket=ticket, body=f"Message number {n}")
    return ticket


def add_messages(ticket: Ticket, count: int, *, author=None, visibility=Message.Visibility.PUBLIC) -> list[Message]:
    return [MessageFactory(ticket=ticket, author=author or ticket.buyer, visibility=visibility, body=f"extra {n}") for n in range(count)]


def make_macro(shop=None, texts=None, **kwargs) -> Macro:
    macro = Macro.objects.create(name=kwargs.pop("name", "Investigation started"), shop=shop, **kwargs)
    for language, body in (texts or {"en": "Hello {buyer_name}, we opened an investigation on {tracking_number}."}).items():
        MacroText.objects.create(macro=macro, language=language, body=body)
    return macro


def case_url(ticket: Ticket, name: str = "desk:case", *args: object) -> str:
    return reverse(name, args=[ticket.pk, *args])


def reply_data(page_response, **changes) -> dict[str, object]:
    """The reply form as the page rendered it (hidden token and last-seen id), with a body."""
    initial = page_response.context["reply_form"].initial
    data = {
        "visibility": "public", "body": "We are on it.", "evidence_kind": "other",
        "last_seen_message_id": initial["last_seen_message_id"], "client_token": initial["client_token"],
    }
    data.update(changes)
    return data
