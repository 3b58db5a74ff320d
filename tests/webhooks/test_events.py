"""The seven events: recorded by the services in their own transactions, only for subscribers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from logistics.anomalies import anomalies_sweep
from logistics.carriers.base import TrackingEvent as CarrierEvent
from logistics.carriers.base import TrackingResult
from logistics.ingest import parcels_apply_results
from logistics.services import parcel_apply_events, parcel_change_tracking_number
from logistics.statuses import ParcelStatus
from tests.factories import ClaimFactory, ParcelFactory, TicketFactory, WebhookSubscriptionFactory
from tickets import services as tickets
from tickets.models import Claim, Message, TicketKind, TicketStatus
from webhooks.models import EventType, WebhookDelivery, WebhookEvent

T0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def scan(hours: float, status: str = ParcelStatus.IN_TRANSIT) -> CarrierEvent:
    return CarrierEvent(occurred_at=T0 + dt.timedelta(hours=hours), status=ParcelStatus(status), raw_code=status, carrier_event_id=f"e{hours}{status}")


def make_case(order, customer):
    return tickets.ticket_create(
        shop=order.shop, buyer=customer, order=order, kind=TicketKind.DELIVERY_DELAY, subject="Late", body="Where?", acting_user=customer,
    )


CHANGES = {
    EventType.CASE_CREATED: lambda ctx: make_case(ctx["order"], ctx["customer"]),
    EventType.CASE_UPDATED: lambda ctx: tickets.ticket_change_priority(ticket=ctx["ticket"], priority="high", acting_user=ctx["agent"]),
    EventType.CASE_MESSAGE_CREATED: lambda ctx: tickets.message_create(ticket=ctx["ticket"], author=ctx["agent"], body="On it"),
    EventType.PARCEL_STATUS_CHANGED: lambda ctx: parcel_apply_events(parcel=ctx["parcel"], events=[scan(1)], now=T0),
    EventType.PARCEL_ANOMALY_DETECTED: lambda ctx: anomalies_sweep(now=T0),
    EventType.TRACKING_NUMBER_CHANGED: lambda ctx: parcel_change_tracking_number(
        parcel=ctx["parcel"], new_number="ZX-99887766", reason="Relabelled", acting_user=ctx["agent"]),
    EventType.CLAIM_UPDATED: lambda ctx: tickets.claim_change_status(
        claim=ctx["claim"], status=Claim.Status.SUBMITTED, acting_user=ctx["agent"], override_reason="documents follow by e-mail"
    ),
}


@pytest.fixture
def ctx(shop, order, customer, agent):
    parcel = ParcelFactory(order=order, status=ParcelStatus.INFO_RECEIVED, promised_date=T0.date() - dt.timedelta(days=3))
    ticket = TicketFactory(order=order, parcel=parcel)
    return {"order": order, "customer": customer, "agent": agent, "parcel": parcel, "ticket": ticket,
            "claim": ClaimFactory(ticket=ticket, amount=Decimal("100"))}  # fmt: skip


@pytest.mark.parametrize("event_type", list(CHANGES))
def test_each_event_is_recorded_in_the_changes_transaction(ctx, shop, event_type):
    subscription = WebhookSubscriptionFactory(shop=shop, events=[event_type])
    def change_then_fail() -> None:
        with transaction.atomic():
            CHANGES[event_type](ctx)
            event = WebhookEvent.objects.get(type=event_type)
            assert WebhookDelivery.objects.get(event=event).subscription == subscription
            raise RuntimeError("the change fails after the event was written")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert not WebhookEvent.objects.exists()  # rolled back with the change

    for name in ("parcel", "ticket", "claim"):
        ctx[name].refresh_from_db()  # the services updated these instances inside the rolled-back transaction
    CHANGES[event_type](ctx)
    event = WebhookEvent.objects.get(type=event_type)
    assert event.shop == shop and event.id.startswith("msg_")
    assert event.payload["type"] == event_type and event.payload["timestamp"].endswith("Z")
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PENDING, 0)


@pytest.mark.parametrize("event_type", list(CHANGES))
def test_no_outbox_rows_without_subscribers(ctx, shop, other_shop, event_type):
    WebhookSubscriptionFactory(shop=other_shop)  # another shop listens to everything
    WebhookSubscriptionFactory(shop=shop, events=[t for t in EventType.values if t != event_type])
    WebhookSubscriptionFactory(shop=shop, events=[event_type], is_active=False)
    CHANGES[event_type](ctx)
    assert not WebhookEvent.objects.filter(type=event_type).exists()


def test_case_payloads(ctx, shop, agent):
    WebhookSubscriptionFactory(shop=shop)
    ticket = make_case(ctx["order"], ctx["customer"])
    created = WebhookEvent.objects.get(type=EventType.CASE_CREATED).payload["data"]
    assert created["case"]["reference"] == ticket.reference and created["case"]["status"] == TicketStatus.NEW
    assert created["case"]["order"]["posting_number"] == ctx["order"].posting_number
    assert created["message"]["author_role"] == "buyer" and created["message"]["body"] == "Where?"
    tickets.ticket_change_status(ticket=ticket, status=TicketStatus.OPEN, acting_user=agent)
    tickets.ticket_assign(ticket=ticket, agent=agent, acting_user=agent)
    updates = [e.payload["data"]["changes"] for e in WebhookEvent.objects.filter(type=EventType.CASE_UPDATED).order_by("created_at")]
    assert {"status": {"old": "new", "new": "open"}} in updates
    assert {"assignee_id": {"old": None, "new": agent.pk}} in updates


def test_internal_notes_are_not_sent(ctx, shop, agent):
    WebhookSubscriptionFactory(shop=shop, events=[EventType.CASE_MESSAGE_CREATED])
    tickets.message_create(ticket=ctx["ticket"], author=agent, body="Buyer seems upset", visibility=Message.Visibility.INTERNAL)
    assert not WebhookEvent.objects.exists()
    tickets.message_create(ticket=ctx["ticket"], author=agent, body="We are looking into it")
    data = WebhookEvent.objects.get().payload["data"]
    assert data["message"]["body"] == "We are looking into it" and data["message"]["author_role"] == "agent"
    assert data["case"]["first_responded_at"] is not None  # the reply stopped the first-response clock


def test_claim_events_on_filing_and_on_each_move(ctx, shop, agent):
    WebhookSubscriptionFactory(shop=shop, events=[EventType.CLAIM_UPDATED])
    claim = tickets.claim_create(ticket=ctx["ticket"], kind=Claim.Kind.REFUND, amount=Decimal("250.50"), currency="RUB", acting_user=agent)
    tickets.claim_change_status(claim=claim, status=Claim.Status.SUBMITTED, acting_user=agent, override_reason="documents follow")
    changes = [e.payload["data"] for e in WebhookEvent.objects.order_by("created_at")]
    assert [c["changes"]["status"] for c in changes] == [{"old": None, "new": "draft"}, {"old": "draft", "new": "submitted"}]
    assert changes[0]["claim"]["amount"] == "250.50"


def test_parcel_status_changed_only_when_the_status_really_changes(ctx, shop):
    WebhookSubscriptionFactory(shop=shop, events=[EventType.PARCEL_STATUS_CHANGED])
    parcel = parcel_apply_events(parcel=ctx["parcel"], events=[scan(1)], now=T0)
    parcel = parcel_apply_events(parcel=parcel, events=[scan(2)], now=T0)  # newer scan, same status
    parcel_apply_events(parcel=parcel, events=[scan(0.5, ParcelStatus.DELIVERED)], now=T0)  # older: ignored
    event = WebhookEvent.objects.get()
    data = event.payload["data"]
    assert data["previous_status"] == ParcelStatus.INFO_RECEIVED
    assert data["parcel"]["status"] == ParcelStatus.IN_TRANSIT and data["parcel"]["last_event_at"] == "2026-11-20T13:00:00Z"
    assert data["parcel"]["order"]["posting_number"] == ctx["order"].posting_number


def test_tracking_number_change_payload(ctx, shop, agent):
    WebhookSubscriptionFactory(shop=shop, events=[EventType.TRACKING_NUMBER_CHANGED])
    old = ctx["parcel"].tracking_number
    parcel_change_tracking_number(parcel=ctx["parcel"], new_number="ZX-99887766", reason="Relabelled", acting_user=agent)
    change = WebhookEvent.objects.get().payload["data"]["change"]
    assert (change["old_number"], change["new_number"], change["reason"]) == (old, "ZX-99887766", "Relabelled")


def test_anomaly_events_only_for_this_sweeps_new_anomalies(ctx, shop, other_shop):
    WebhookSubscriptionFactory(shop=shop, events=[EventType.PARCEL_ANOMALY_DETECTED])
    ParcelFactory(order__shop=other_shop, promised_date=T0.date() - dt.timedelta(days=3), status=ParcelStatus.IN_TRANSIT)
    anomalies_sweep(now=T0)
    anomalies_sweep(now=T0 + dt.timedelta(minutes=1))  # nothing new
    event = WebhookEvent.objects.get()
    assert event.payload["data"]["anomaly"]["kind"] == "delayed" and event.payload["data"]["parcel"]["id"] == ctx["parcel"].pk


def _batch(shop, count: int, status: str = ParcelStatus.INFO_RECEIVED):
    parcels = [ParcelFactory(order__shop=shop, status=status) for _ in range(count)]
    return [p for p in parcels], {p.tracking_number: TrackingResult(p.tracking_number, events=(scan(1),)) for p in parcels}


def _ingest_queries(django_assert_num_queries, shop, queries: int) -> None:
    from logistics.models import Parcel

    parcels, results = _batch(shop, 5)
    parcels = list(Parcel.objects.filter(id__in=[p.id for p in parcels]).select_related("carrier"))
    carrier = parcels[0].carrier
    for parcel in parcels:
        parcel.carrier = carrier
    Parcel.objects.filter(id__in=[p.id for p in parcels]).update(carrier=carrier)
    with django_assert_num_queries(queries):
        assert parcels_apply_results(parcels=parcels, results=results, now=T0).updated == 5


INGEST_QUERIES = 6  # savepoint, known event keys, insert events, move parcels, ship orders, release: as before webhooks


def test_ingest_without_subscribers_spends_no_extra_query(db, shop, other_shop, django_assert_num_queries):
    WebhookSubscriptionFactory(shop=other_shop)  # another shop's subscription changes nothing here
    WebhookSubscriptionFactory(shop=shop, events=[EventType.CASE_CREATED])
    _ingest_queries(django_assert_num_queries, shop, INGEST_QUERIES)
    assert not WebhookEvent.objects.exists()


def test_ingest_with_subscribers_records_in_bulk(db, shop, django_assert_num_queries):
    WebhookSubscriptionFactory(shop=shop, events=[EventType.PARCEL_STATUS_CHANGED])
    WebhookSubscriptionFactory(shop=shop, events=[EventType.PARCEL_STATUS_CHANGED])
    # + load the moved parcels, find the subscriptions, insert events, insert deliveries, plus savepoint/release
    _ingest_queries(django_assert_num_queries, shop, INGEST_QUERIES + 6)
    assert WebhookEvent.objects.count() == 5 and WebhookDelivery.objects.count() == 10


def test_the_system_message_about_a_tracking_number_change_is_a_case_message(ctx, shop, agent):
    from tickets.notifications import tickets_notify_tracking_number_changes

    WebhookSubscriptionFactory(shop=shop, events=[EventType.CASE_MESSAGE_CREATED])
    parcel_change_tracking_number(parcel=ctx["parcel"], new_number="ZX-99887766", reason="Relabelled", acting_user=agent)
    assert tickets_notify_tracking_number_changes() == 1
    message = WebhookEvent.objects.get().payload["data"]["message"]
    assert message["author_role"] == "system" and "ZX-99887766" in message["body"]
