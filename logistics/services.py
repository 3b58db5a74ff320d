"""Writes for parcels and their tracking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.carriers.base import TrackingEvent as CarrierEvent
from logistics.carriers.base import TrackingResult
from logistics.ingest import parcels_apply_results
from logistics.models import Carrier, Parcel, TrackingNumberChange
from logistics.statuses import ParcelStatus
from logistics.tracking_numbers import normalise, validate_tracking_number
from logistics.webhook_events import record_tracking_number_change
from orders.models import Order


def parcel_create(
    *, order: Order, carrier: Carrier, tracking_number: str,
    direction: str = Parcel.Direction.FORWARD, promised_date: dt.date | None = None,
) -> Parcel:
    """Start tracking a parcel of `order`; it is due for its first poll at once.

    Raises ValidationError for a number the carrier does not issue (saying what is wrong, e.g. the
    check digit) or one already tracked with this carrier.
    """
    parcel = Parcel(
        order=order, carrier=carrier, tracking_number=carrier_validate_number(carrier=carrier, number=tracking_number),
        direction=direction,
        promised_date=promised_date if promised_date is not None else order.promised_delivery_date,
        next_poll_at=timezone.now(),
    )
    parcel.full_clean()
    parcel.save()
    return parcel


def carrier_validate_number(*, carrier: Carrier, number: str) -> str:
    """The normalised number if `carrier` issues numbers of that format; ValidationError otherwise."""
    if not carrier.number_formats:
        return normalise(number)
    try:
        return validate_tracking_number(number, carrier.number_formats)
    except ValidationError as error:
        raise ValidationError({"tracking_number": error.messages}) from None


@transaction.atomic
def parcel_change_tracking_number(
    *, parcel: Parcel, new_number: str, reason: str, acting_user: User | None, new_carrier: Carrier | None = None,
) -> TrackingNumberChange:
    """Replace a parcel's tracking number (and carrier if it changed), keeping the old one in history.

    The number is validated for the (new) carrier; polling restarts at once on the new number, and
    the old number's events stay in the timeline. Raises ValidationError for a wrong or taken number.
    """
    carrier = new_carrier or parcel.carrier
    number = carrier_validate_number(carrier=carrier, number=new_number)
    if number == parcel.tracking_number and carrier.id == parcel.carrier_id:
        raise ValidationError({"tracking_number": _("This is the parcel's current tracking number.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the number changes; the buyer and the carrier will see it.")})
    change = TrackingNumberChange(
        parcel=parcel, old_carrier=parcel.carrier, old_number=parcel.tracking_number, new_carrier=carrier, new_number=number,
        reason=reason.strip(), changed_by=acting_user,
    )
    parcel.carrier, parcel.tracking_number = carrier, number
    parcel.status, parcel.last_event_at, parcel.next_poll_at, parcel.polling_stopped_reason = ParcelStatus.PENDING, None, timezone.now(), ""
    parcel.full_clean()
    parcel.save(update_fields=["carrier", "tracking_number", "status", "last_event_at", "next_poll_at", "polling_stopped_reason", "updated_at"])
    change.save()
    record_tracking_number_change(change=change)  # webhooks outbox, in this transaction
    return change


def parcel_apply_events(*, parcel: Parcel, events: Sequence[CarrierEvent], now: dt.datetime | None = None) -> Parcel:
    """Store new events of one parcel (a push, demo data) and move it to its newest event's status.

    Idempotent; an older event arriving late never overrides a newer one (see logistics.ingest).
    """
    result = TrackingResult(tracking_number=parcel.tracking_number, events=tuple(events))
    parcels_apply_results(parcels=[parcel], results={parcel.tracking_number: result}, now=now or timezone.now(), polled=False)
    parcel.refresh_from_db()
    return parcel


def parcel_apply_tracking(*, parcel: Parcel, result: TrackingResult, now: dt.datetime | None = None) -> Parcel:
    """Apply what the carrier said of this parcel in a poll (records the poll time)."""
    parcels_apply_results(parcels=[parcel], results={parcel.tracking_number: result}, now=now or timezone.now())
    parcel.refresh_from_db()
    return parcel


def parcel_stop_polling(*, parcel: Parcel, reason: str) -> Parcel:
    """Stop polling this parcel (e.g. the carrier refuses the number) and record why."""
    Parcel.objects.filter(id=parcel.id).update(next_poll_at=None, polling_stopped_reason=reason[:300], updated_at=timezone.now())
    parcel.refresh_from_db(fields=["next_poll_at", "polling_stopped_reason", "updated_at"])
    return parcel
