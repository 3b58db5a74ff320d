from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from logistics.models import AnomalyKind, ParcelAnomaly
from logistics.statuses import ParcelStatus
from tests.factories import ParcelFactory, TicketFactory, TrackingEventFactory
from tickets.anomaly_cases import tickets_note_resolved_anomalies, tickets_open_anomaly_cases
from tickets.models import EvidenceKind, Ticket, TicketEvent, TicketKind
from tickets.tasks import tickets_open_anomaly_cases_task


def anomaly(kind: str, parcel=None) -> ParcelAnomaly:
    parcel = parcel or ParcelFactory(status=ParcelStatus.IN_TRANSIT)
    TrackingEventFactory(parcel=parcel, raw_code="InTransit_Other", raw_description="Departed Shenzhen hub")
    return ParcelAnomaly.objects.create(parcel=parcel, kind=kind)


@pytest.mark.django_db
def test_suspected_loss_opens_exactly_one_lost_parcel_case_with_timeline():
    found = anomaly(AnomalyKind.SUSPECTED_LOST)
    assert tickets_open_anomaly_cases() == 1
    assert tickets_open_anomaly_cases() == 0
    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.channel, ticket.priority) == (TicketKind.LOST_PARCEL, "system", "high")
    assert ticket.parcel == found.parcel and ticket.buyer == found.parcel.order.buyer
    timeline = ticket.attachments.get(evidence_kind=EvidenceKind.TRACKING_TIMELINE)
    assert b"Departed Shenzhen hub" in timeline.file.read()
    assert ticket.events.filter(kind=TicketEvent.Kind.ANOMALY_LINKED, new_value="suspected_lost").exists()
    assert found.parcel.tracking_number in ticket.messages.filter(visibility="public").get().body


@pytest.mark.django_db
def test_declared_loss_after_suspected_loss_joins_the_same_case():
    first = anomaly(AnomalyKind.SUSPECTED_LOST)
    tickets_open_anomaly_cases()
    anomaly(AnomalyKind.CARRIER_LOST, parcel=first.parcel)
    tickets_open_anomaly_cases()
    ticket = Ticket.objects.get()
    assert ticket.anomaly_links.count() == 2


@pytest.mark.django_db
def test_buyers_own_open_case_is_linked_not_duplicated():
    parcel = ParcelFactory()
    own = TicketFactory(order=parcel.order, parcel=parcel, kind=TicketKind.DELIVERY_DELAY)
    anomaly(AnomalyKind.DELAYED, parcel=parcel)
    tickets_open_anomaly_cases()
    assert list(Ticket.objects.all()) == [own]
    assert own.anomaly_links.get().anomaly.kind == AnomalyKind.DELAYED


@pytest.mark.django_db
def test_a_stall_alone_opens_no_case_and_carrier_damage_opens_a_damage_case():
    anomaly(AnomalyKind.STALLED)
    damaged = ParcelFactory(status=ParcelStatus.EXCEPTION)
    ParcelAnomaly.objects.create(parcel=damaged, kind=AnomalyKind.CARRIER_EXCEPTION)
    TrackingEventFactory(parcel=damaged, status=ParcelStatus.EXCEPTION, raw_code="Exception_Damage", raw_description="Parcel damaged")
    tickets_open_anomaly_cases()
    assert list(Ticket.objects.values_list("kind", flat=True)) == [TicketKind.DAMAGED]


@pytest.mark.django_db
def test_cleared_anomaly_is_noted_once_with_a_suggested_resolution():
    late = anomaly(AnomalyKind.DELAYED)
    tickets_open_anomaly_cases()
    ParcelAnomaly.objects.filter(id=late.id).update(resolved_at=timezone.now())
    late.parcel.status = ParcelStatus.DELIVERED
    late.parcel.last_event_at = timezone.now() - dt.timedelta(hours=1)
    late.parcel.save()
    assert tickets_note_resolved_anomalies() == 1
    assert tickets_note_resolved_anomalies() == 0
    ticket = Ticket.objects.get()
    assert ticket.events.get(kind=TicketEvent.Kind.ANOMALY_RESOLVED).new_value == "delivered"
    assert "Suggested resolution" in ticket.messages.filter(visibility="internal").last().body


@pytest.mark.django_db
def test_task_opens_cases():
    anomaly(AnomalyKind.RETURNING)
    assert tickets_open_anomaly_cases_task.delay().get() == 1
    assert Ticket.objects.get().kind == TicketKind.RETURN_EXCHANGE
