"""factory_boy factories for every model. Related objects agree (a parcel's order is its ticket's order)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from logistics.models import AnomalyKind, Carrier, Parcel, ParcelAnomaly, TrackingEvent
from logistics.statuses import ParcelStatus
from orders.models import BuyerProfile, FulfilmentScheme, Order, OrderLine, Shop, ShopMembership
from tickets.models import Attachment, Claim, EvidenceKind, Message, Ticket, TicketEvent, TicketEventKind, TicketKind
from webhooks.models import EventType, WebhookSubscription
from webhooks.signing import secret_generate


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-word-123")


class BuyerFactory(UserFactory):
    class Meta:
        skip_postgeneration_save = True  # the profile is its own row; the user needs no re-save

    profile = factory.RelatedFactory("tests.factories.BuyerProfileFactory", factory_related_name="user")


class BuyerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BuyerProfile

    user = factory.SubFactory(UserFactory)
    language = "ru"


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")


class ShopMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShopMembership

    shop = factory.SubFactory(ShopFactory)
    user = factory.SubFactory(UserFactory, is_staff=True)
    role = ShopMembership.Role.AGENT


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    shop = factory.SubFactory(ShopFactory)
    buyer = factory.SubFactory(BuyerFactory)
    order_number = factory.Sequence(lambda n: f"{57000000 + n}-0050")
    posting_number = factory.LazyAttribute(lambda o: f"{o.order_number}-1")
    scheme = FulfilmentScheme.FBS
    recipient_name = "Ivan Petrov"
    city = "Moscow"
    address_line = "Tverskaya 1"
    declared_value = Decimal("1999.00")
    placed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=10))
    promised_delivery_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=5))


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = "Phone case"
    unit_price = Decimal("999.50")


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"carrier-{n}")
    name = factory.LazyAttribute(lambda c: c.code.title())
    tracking_url_template = "https://track.example/{number}"


class ParcelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Parcel

    order = factory.SubFactory(OrderFactory)
    carrier = factory.SubFactory(CarrierFactory)
    tracking_number = factory.Sequence(lambda n: f"TN{n:010d}")
    promised_date = factory.LazyAttribute(lambda p: p.order.promised_delivery_date)
    next_poll_at = factory.LazyFunction(timezone.now)


class TrackingEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackingEvent

    parcel = factory.SubFactory(ParcelFactory)
    event_key = factory.Sequence(lambda n: f"event-{n}")
    occurred_at = factory.LazyFunction(timezone.now)
    status = ParcelStatus.IN_TRANSIT


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    order = factory.SubFactory(OrderFactory)
    shop = factory.LazyAttribute(lambda t: t.order.shop)
    buyer = factory.LazyAttribute(lambda t: t.order.buyer)
    kind = TicketKind.DELIVERY_DELAY
    subject = factory.Sequence(lambda n: f"Where is my parcel {n}?")
    first_response_due = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=24))
    resolution_due = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=72))


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    author = factory.LazyAttribute(lambda m: m.ticket.buyer)
    body = "Hello, my parcel has not arrived."


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    ticket = factory.SubFactory(TicketFactory)
    kind = Claim.Kind.COMPENSATION
    amount = Decimal("1999.00")


class AttachmentFactory(factory.django.DjangoModelFactory):
    """An evidence file on a message of the message's case (bytes stored in the test MEDIA_ROOT)."""

    class Meta:
        model = Attachment

    message = factory.SubFactory(MessageFactory)
    ticket = factory.LazyAttribute(lambda a: a.message.ticket)
    file = factory.django.FileField(filename="evidence.pdf", data=b"%PDF-1.4\n%%EOF\n")
    original_name = "invoice.pdf"
    content_type = "application/pdf"
    size = factory.LazyAttribute(lambda a: a.file.size)
    evidence_kind = EvidenceKind.OTHER


class ParcelAnomalyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParcelAnomaly

    parcel = factory.SubFactory(ParcelFactory)
    kind = AnomalyKind.SUSPECTED_LOST


class TicketEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketEvent

    ticket = factory.SubFactory(TicketFactory)
    kind = TicketEventKind.SLA_BREACHED
    new_value = "resolution"

class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tickets.SlaPolicy"

    name = factory.Sequence(lambda n: f"Policy {n}")
    shop = None
    first_response_minutes = 240
    resolution_minutes = 1440
    warn_before_minutes = 60


class WebhookSubscriptionFactory(factory.django.DjangoModelFactory):
    """Made directly, past the URL guard: tests point it at a local receiver or patch the resolver."""

    class Meta:
        model = WebhookSubscription

    shop = factory.SubFactory(ShopFactory)
    url = "https://hooks.example.com/supportdesk"
    events = factory.LazyFunction(lambda: list(EventType.values))
    secret = factory.LazyFunction(secret_generate)


class MarketplaceAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "marketplace.MarketplaceAccount"

    shop = factory.SubFactory(ShopFactory)
    client_id = factory.Sequence(lambda n: f"{836000 + n}")
    api_key = "test-api-key-0000"
