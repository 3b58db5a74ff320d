"""Read queries for parcels."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, QuerySet

from logistics.models import Parcel, TrackingEvent
from orders.models import Order
from orders.selectors import visibility_q


def parcels_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Parcel]:
    condition = visibility_q(user, shop_field="order__shop_id", buyer_field="order__buyer_id")
    parcels = Parcel.objects.select_related("order", "order__shop", "carrier")
    return parcels if condition is None else parcels.filter(condition)


TIMELINE_ORDER = ("-occurred_at", "-id")  # newest first, by the carrier's own time


def parcel_timeline(parcel: Parcel) -> QuerySet[TrackingEvent]:
    """Events newest first, by the carrier's own time."""
    return parcel.events.order_by(*TIMELINE_ORDER)


def order_parcels_with_timelines(order: Order) -> QuerySet[Parcel]:
    """An order's parcels (forward first) with their carrier, and each parcel's `timeline` list
    (newest first) prefetched: three queries whatever the number of parcels and events."""
    timeline = Prefetch("events", queryset=TrackingEvent.objects.order_by(*TIMELINE_ORDER), to_attr="timeline")
    return Parcel.objects.filter(order=order).select_related("carrier").prefetch_related(timeline).order_by("direction", "created_at", "id")
