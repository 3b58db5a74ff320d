from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from logistics.carriers.base import TrackingEvent as CarrierEvent
from logistics.carriers.base import TrackingResult
from logistics.models import Parcel, TrackingEvent
from logistics.services import parcel_apply_events, parcel_apply_tracking, parcel_create, parcel_stop_polling
from logistics.statuses import ParcelStatus
from tests.factories import CarrierFactory, ParcelFactory

T0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def event(hours: int, status: ParcelStatus, code: str = "X") -> CarrierEvent:
    return CarrierEvent(occurred_at=T0 + dt.timedelta(hours=hours), status=status, raw_code=code, raw_description=f"{code} desc")


@pytest.mark.django_db
def test_parcel_create_is_due_at_once_and_inherits_promised_date(order):
    parcel = parcel_create(order=order, carrier=CarrierFactory(), tracking_number=" rb123456785cn ")
    assert parcel.tracking_number == "RB123456785CN"
    assert parcel.promised_date == order.promised_delivery_date
    assert parcel.next_poll_at is not None and parcel.next_poll_at <= timezone.now()


@pytest.mark.django_db
def test_parcel_create_refuses_a_number_already_tracked(order):
    carrier = CarrierFactory()
    parcel_create(order=order, carrier=carrier, tracking_number="RB123456785CN")
    with pytest.raises(ValidationError):
        parcel_create(order=order, carrier=carrier, tracking_number="RB123456785CN")


@pytest.mark.django_db
def test_apply_events_moves_to_newest_status_and_ignores_duplicates():
    parcel = ParcelFactory()
    events = [event(0, ParcelStatus.INFO_RECEIVED, "A"), event(5, ParcelStatus.IN_TRANSIT, "B")]
    parcel_apply_events(parcel=parcel, events=events)
    parcel = parcel_apply_events(parcel=parcel, events=events)  # the same poll again
    assert TrackingEvent.objects.filter(parcel=parcel).count() == 2
    assert parcel.status == ParcelStatus.IN_TRANSIT
    assert parcel.last_event_at == T0 + dt.timedelta(hours=5)


@pytest.mark.django_db
def test_a_late_old_event_never_rolls_a_delivered_parcel_back():
    parcel = ParcelFactory()
    parcel_apply_events(parcel=parcel, events=[event(10, ParcelStatus.DELIVERED, "D")])
    parcel = parcel_apply_events(parcel=parcel, events=[event(3, ParcelStatus.IN_TRANSIT, "late")])
    assert parcel.status == ParcelStatus.DELIVERED
    assert parcel.events.count() == 2


@pytest.mark.django_db
def test_terminal_status_stops_polling():
    parcel = ParcelFactory()
    parcel = parcel_apply_events(parcel=parcel, events=[event(1, ParcelStatus.DELIVERED)])
    assert parcel.next_poll_at is None
    assert parcel.is_terminal


@pytest.mark.django_db
def test_apply_tracking_records_poll_time():
    parcel = ParcelFactory()
    result = TrackingResult(tracking_number=parcel.tracking_number, events=(event(1, ParcelStatus.IN_TRANSIT),))
    parcel = parcel_apply_tracking(parcel=parcel, result=result)
    assert parcel.last_polled_at is not None
    assert parcel.status == ParcelStatus.IN_TRANSIT


@pytest.mark.django_db
def test_stop_polling_records_reason():
    parcel = parcel_stop_polling(parcel=ParcelFactory(), reason="carrier does not know this number")
    assert parcel.next_poll_at is None
    assert Parcel.objects.get(id=parcel.id).polling_stopped_reason == "carrier does not know this number"


@pytest.mark.django_db
def test_delay_flags_follow_the_promised_date():
    parcel = ParcelFactory(promised_date=timezone.localdate() - dt.timedelta(days=3))
    assert parcel.is_delayed() and parcel.days_late() == 3
    parcel.status = ParcelStatus.DELIVERED
    assert not parcel.is_delayed()


@pytest.mark.django_db
def test_duplicate_tracking_event_key_is_refused_by_the_database():
    from django.db import IntegrityError

    from tests.factories import TrackingEventFactory

    first = TrackingEventFactory(event_key="same")
    with pytest.raises(IntegrityError):
        TrackingEventFactory(parcel=first.parcel, event_key="same")


@pytest.mark.django_db
def test_parcel_create_refuses_a_number_the_carrier_does_not_issue(order):
    carrier = CarrierFactory(number_formats=["s10"])
    with pytest.raises(ValidationError) as error:
        parcel_create(order=order, carrier=carrier, tracking_number="RB123456784CN")
    assert error.value.message_dict == {"tracking_number": ["RB123456784CN: the check digit should be 5."]}
    assert not Parcel.objects.exists()


@pytest.mark.django_db
def test_change_tracking_number_keeps_history_and_restarts_polling(order, agent):
    from logistics.services import parcel_change_tracking_number

    old_carrier = CarrierFactory(number_formats=["s10"])
    parcel = parcel_create(order=order, carrier=old_carrier, tracking_number="RB123456785CN")
    parcel = parcel_apply_events(parcel=parcel, events=[event(1, ParcelStatus.IN_TRANSIT)])
    parcel_stop_polling(parcel=parcel, reason="carrier lost track")
    new_carrier = CarrierFactory(number_formats=["cdek"])
    change = parcel_change_tracking_number(
        parcel=parcel, new_number="1106153417", new_carrier=new_carrier, reason="re-shipped with CDEK", acting_user=agent
    )
    parcel.refresh_from_db()
    assert (change.old_number, change.old_carrier, change.new_number, change.changed_by) == ("RB123456785CN", old_carrier, "1106153417", agent)
    assert (parcel.tracking_number, parcel.carrier, parcel.status) == ("1106153417", new_carrier, ParcelStatus.PENDING)
    assert parcel.next_poll_at is not None and parcel.polling_stopped_reason == ""
    assert parcel.events.count() == 1  # the old number's timeline stays


@pytest.mark.django_db
def test_change_tracking_number_refuses_bad_or_same_numbers(order, agent):
    from logistics.services import parcel_change_tracking_number

    parcel = parcel_create(order=order, carrier=CarrierFactory(number_formats=["cdek"]), tracking_number="1106153417")
    for number, reason, field in (("12", "typo", "tracking_number"), ("1106153417", "same", "tracking_number"), ("1106153418", " ", "reason")):
        with pytest.raises(ValidationError) as error:
            parcel_change_tracking_number(parcel=parcel, new_number=number, reason=reason, acting_user=agent)
        assert field in error.value.message_dict
    assert not parcel.number_changes.exists()


def test_carrier_number_formats_must_be_known():
    from logistics.tracking_numbers import validate_number_formats

    validate_number_formats(["s10", "cdek"])
    with pytest.raises(ValidationError):
        validate_number_formats(["s11"])
