"""The normalised parcel status of DESIGN §5. Adapters map every carrier code onto these.

Kept apart from models.py so carrier adapters can use it without importing the ORM.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ParcelStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    INFO_RECEIVED = "info_received", _("Label created")
    IN_TRANSIT = "in_transit", _("In transit")
    CUSTOMS = "customs", _("At customs")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    AVAILABLE_FOR_PICKUP = "available_for_pickup", _("Ready for pick-up")
    DELIVERY_FAILED = "delivery_failed", _("Delivery attempt failed")
    ON_HOLD = "on_hold", _("On hold")
    EXCEPTION = "exception", _("Exception")
    RETURNING = "returning", _("Returning to sender")
    RETURNED = "returned", _("Returned to sender")
    DELIVERED = "delivered", _("Delivered")
    LOST = "lost", _("Lost")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Tracking expired")


TERMINAL_STATUSES: frozenset[str] = frozenset(
    {ParcelStatus.RETURNED, ParcelStatus.DELIVERED, ParcelStatus.LOST, ParcelStatus.CANCELLED, ParcelStatus.EXPIRED}
)
ACTIVE_STATUSES: tuple[str, ...] = tuple(s for s in ParcelStatus.values if s not in TERMINAL_STATUSES)
