"""Read queries for parcels."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from logistics.models import Parcel, TrackingEvent
from orders.selectors import visibility_q


def parcels_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Parcel]:
    condition = visibility_q(user, shop_field="order__shop_id", buyer_field="order__buyer_id")
    parcels = Parcel.objects.select_related("order", "order__shop", "carrier")
    return parcels if condition is None else parcels.filter(condition)


def parcel_timeline(parcel: Parcel) -> QuerySet[TrackingEvent]:
    """Events newest first, by the carrier's own time."""
    return parcel.events.order_by("-occurred_at", "-id")
