"""A lost parcel with everything a claim dossier shows: Russian and Chinese text, a tracking timeline with raw
codes, public replies and an internal note, evidence on both. Shared by the claim test modules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile

from logistics.models import Parcel
from logistics.statuses import ParcelStatus
from orders.models import Order, Shop, ShopMembership
from tests.factories import (
    CarrierFactory,
    ClaimFactory,
    MessageFactory,
    OrderFactory,
    OrderLineFactory,
    ParcelFactory,
    ShopMembershipFactory,
    TicketFactory,
    TrackingEventFactory,
    UserFactory,
)
from tickets.models import Attachment, Claim, EvidenceKind, Message, Ticket, TicketKind
from tickets.services import attachment_add

INTERNAL_NOTE = "INTERNAL-ONLY: the depot manager owes us a favour"
INVOICE_BYTES = b"%PDF-1.4\n% invoice 4 500 RUB\n%%EOF\n"
CERTIFICATE_BYTES = b"\x89PNG\r\n\x1a\n carrier loss certificate \xff\x00"
T0 = dt.datetime(2026, 11, 2, 7, 30, tzinfo=dt.UTC)


@dataclass
class World:
    ticket: Ticket
    order: Order
    parcel: Parcel
    invoice: Attachment
    certificate: Attachment
    private: Attachment


def make_supervisor(shop: Shop, username: str = "supervisor") -> User:
    user = UserFactory(username=username, is_staff=True)
    ShopMembershipFactory(shop=shop, user=user, role=ShopMembership.Role.AGENT)
    user.groups.add(Group.objects.get(name="supervisors"))
    return user


def make_desk_agent(shop: Shop, username: str) -> User:
    user = UserFactory(username=username, is_staff=True)
    ShopMembershipFactory(shop=shop, user=user, role=ShopMembership.Role.AGENT)
    user.groups.add(Group.objects.get(name="agents"))
    return user


def attach(message: Message, name: str, data: bytes, kind: str) -> Attachment:
    return attachment_add(
        message=message, upload=ContentFile(data, name=name), original_name=name, content_type="application/octet-stream",
        evidence_kind=kind, acting_user=message.author,
    )


def make_world(
    shop: Shop, agent: User, *, events: int = 3, buyer_name: str = "Иван Петров", tracking_number: str = "RB123456785GB",
) -> World:
    order = OrderFactory(
        shop=shop, recipient_name=buyer_name, city="Москва", address_line="ул. Тверская, д. 1, кв. 5", postal_code="125009",
        declared_value=Decimal("4500.00"), promised_delivery_date=dt.date(2026, 11, 12),
    )
    OrderLineFactory(order=order, sku="CASE-1", name="Чехол для телефона", quantity=2, unit_price=Decimal("1250.00"))
    OrderLineFactory(order=order, sku="EAR-7", name="蓝牙耳机 Bluetooth", quantity=1, unit_price=Decimal("2000.00"))
    carrier = CarrierFactory(code="russian-post", name="Почта России")
    parcel = ParcelFactory(order=order, carrier=carrier, tracking_number=tracking_number, status=ParcelStatus.IN_TRANSIT)
    texts = [("1", "Приём", "Шэньчжэнь 深圳"), ("8", "Обработка", "Москва ЦЕХ"), ("14", "Таможенное оформление завершено", "Москва")]
    for i in range(events):
        code, text, place = texts[i % len(texts)]
        TrackingEventFactory(
            parcel=parcel, event_key=f"ev-{parcel.pk}-{i}", occurred_at=T0 + dt.timedelta(days=i), raw_code=f"{code}.{i}",
            raw_description=text, location=place, status=ParcelStatus.IN_TRANSIT,
        )
    ticket = TicketFactory(order=order, parcel=parcel, kind=TicketKind.LOST_PARCEL, subject="Посылка потерялась")
    buyer_msg = MessageFactory(ticket=ticket, author=order.buyer, body="Посылка не пришла. 包裹还没到，请帮忙。")
    MessageFactory(ticket=ticket, author=agent, body="Мы открыли расследование у перевозчика.")
    note = MessageFactory(ticket=ticket, author=agent, body=INTERNAL_NOTE, visibility=Message.Visibility.INTERNAL)
    invoice = attach(buyer_msg, "../счёт 4500.pdf", INVOICE_BYTES, EvidenceKind.PROOF_OF_VALUE)
    certificate = attach(note, "акт об утрате.png", CERTIFICATE_BYTES, EvidenceKind.CARRIER_STATEMENT)
    private = attach(note, "internal-only.txt", b"do not send", EvidenceKind.OTHER)
    return World(ticket=ticket, order=order, parcel=parcel, invoice=invoice, certificate=certificate, private=private)


def make_claim(world: World, **kwargs: object) -> Claim:
    defaults: dict[str, object] = {"amount": Decimal("4500.00"), "liable_party": Claim.LiableParty.CARRIER}
    return ClaimFactory(ticket=world.ticket, **(defaults | kwargs))
