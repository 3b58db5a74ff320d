from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from logistics.statuses import ACTIVE_STATUSES, TERMINAL_STATUSES, ParcelStatus
from logistics.tracking_numbers import validate_number_formats
from orders.models import Order


class Carrier(models.Model):
    """A carrier we track parcels with, and how we talk to it."""

    class Adapter(models.TextChoices):
        SEVENTEEN_TRACK = "17track", "17TRACK"
        CDEK = "cdek", "CDEK"
        RUSSIAN_POST = "russian_post", _("Russian Post")
        DEMO = "demo", _("Demo carrier (emulator)")
        MANUAL = "manual", _("Manual / marketplace-synced")

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    adapter = models.CharField(max_length=20, choices=Adapter.choices, default=Adapter.MANUAL)
    tracking_url_template = models.CharField(
        max_length=300, blank=True, help_text=_("Public tracking page, with {number} where the tracking number goes.")
    )
    max_batch = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    poll_interval_minutes = models.PositiveIntegerField(default=240, validators=[MinValueValidator(1)])
    stall_days = models.PositiveSmallIntegerField(default=7, help_text=_("No new event for this long: stalled."))
    lost_days = models.PositiveSmallIntegerField(default=20, help_text=_("No new event for this long: suspected lost."))
    number_formats = models.JSONField(
        default=list, blank=True, validators=[validate_number_formats], help_text=_("Tracking-number formats this carrier issues (see logistics.tracking_numbers).")
    )
    requests_per_minute = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1)], help_text=_("Rate limit: carrier API calls per minute, across all workers.")
    )
    is_active = models.BooleanField(default=True)
    # Circuit breaker: a carrier that keeps failing is paused without holding up the others.
    consecutive_failures = models.PositiveIntegerField(default=0)
    paused_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(max_batch__gte=1), name="carrier_max_batch_positive"),
            models.CheckConstraint(condition=Q(lost_days__gte=models.F("stall_days")), name="carrier_lost_after_stall"),
        ]

    def __str__(self) -> str:
        return self.name

    def tracking_url(self, number: str) -> str:
        return self.tracking_url_template.replace("{number}", number) if self.tracking_url_template else ""


class Parcel(models.Model):
    """A physical consignment of an order, going to the buyer or coming back."""

    class Direction(models.TextChoices):
        FORWARD = "forward", _("To the buyer")
        RETURN = "return", _("Return to the seller")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="parcels")
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.FORWARD)
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="parcels")
    tracking_number = models.CharField(max_length=64)
    status = models.CharField(max_length=24, choices=ParcelStatus.choices, default=ParcelStatus.PENDING)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True, help_text=_("Carrier time of the newest event."))
    last_polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty once polling has stopped."))
    polling_stopped_reason = models.CharField(max_length=300, blank=True)
    poll_claim = models.CharField(max_length=32, blank=True, editable=False, help_text=_("Token of the poll that last claimed it."))
    promised_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "tracking_number"], name="parcel_tracking_unique_per_carrier"),
            models.CheckConstraint(condition=Q(status__in=ParcelStatus.values), name="parcel_status_valid"),
            models.CheckConstraint(condition=Q(direction__in=["forward", "return"]), name="parcel_direction_valid"),
        ]
        indexes = [
            # The poller's hot query: due parcels that can still change (DESIGN §5).
            models.Index(fields=["next_poll_at"], condition=Q(status__in=ACTIVE_STATUSES), name="parcel_due_active_idx"),
            models.Index(fields=["tracking_number"], name="parcel_tracking_number_idx"),
            models.Index(fields=["status", "promised_date"], name="parcel_status_promised_idx"),
            models.Index(fields=["updated_at", "id"], name="parcel_updated_idx"),  # the API's incremental sync
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} ({self.carrier_id})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def is_delayed(self, today: dt.date | None = None) -> bool:
        """Not yet terminal and past its promised date."""
        if self.promised_date is None or self.is_terminal:
            return False
        return (today or timezone.localdate()) > self.promised_date

    def days_late(self, today: dt.date | None = None) -> int:
        if not self.is_delayed(today) or self.promised_date is None:
            return 0
        return ((today or timezone.localdate()) - self.promised_date).days


class TrackingEvent(models.Model):
    """One carrier scan. `event_key` makes re-polled or re-pushed events a no-op."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="events")
    event_key = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    status = models.CharField(max_length=24, choices=ParcelStatus.choices)
    raw_code = models.CharField(max_length=64, blank=True)
    raw_description = models.TextField(blank=True)
    location = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["parcel", "event_key"], name="trackingevent_unique_key"),
            models.CheckConstraint(condition=Q(status__in=ParcelStatus.values), name="trackingevent_status_valid"),
        ]
        indexes = [models.Index(fields=["parcel", "-occurred_at"], name="trackingevent_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.status}"


class TrackingNumberChange(models.Model):
    """History of a parcel's tracking number: old and new number and carrier, who, when, why."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="number_changes")
    old_carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="+")
    old_number = models.CharField(max_length=64)
    new_carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="+")
    new_number = models.CharField(max_length=64)
    reason = models.CharField(max_length=300)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at"]
        indexes = [
            models.Index(fields=["old_number"], name="trackingchange_old_number_idx"),
            models.Index(fields=["changed_at"], name="trackingchange_recent_idx"),  # the notification scan's window
        ]

    def __str__(self) -> str:
        return f"{self.old_number} → {self.new_number}"


class CarrierThreshold(models.Model):
    """A shop's own stall / suspected-loss thresholds for one carrier, overriding the carrier's."""

    shop = models.ForeignKey("orders.Shop", on_delete=models.CASCADE, related_name="carrier_thresholds")
    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="shop_thresholds")
    stall_days = models.PositiveSmallIntegerField()
    lost_days = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "carrier"], name="carrierthreshold_unique"),
            models.CheckConstraint(condition=Q(lost_days__gte=models.F("stall_days")), name="carrierthreshold_lost_after_stall"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}/{self.carrier_id}: stall {self.stall_days}d, lost {self.lost_days}d"


class AnomalyKind(models.TextChoices):
    DELAYED = "delayed", _("Late: past the promised date")
    STALLED = "stalled", _("Stalled: no news for a while")
    SUSPECTED_LOST = "suspected_lost", _("Suspected lost")
    CARRIER_EXCEPTION = "carrier_exception", _("Carrier reports a problem")
    CARRIER_LOST = "carrier_lost", _("Carrier declares it lost")
    RETURNING = "returning", _("Going back to the sender")


class ParcelAnomaly(models.Model):
    """One row per parcel and anomaly kind, recorded once by the sweep; `resolved_at` once it no longer holds."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="anomalies")
    kind = models.CharField(max_length=20, choices=AnomalyKind.choices)
    detected_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-detected_at"]
        constraints = [
            models.UniqueConstraint(fields=["parcel", "kind"], name="parcelanomaly_once_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=AnomalyKind.values), name="parcelanomaly_kind_valid"),
        ]
        indexes = [models.Index(fields=["detected_at"], name="parcelanomaly_recent_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on parcel {self.parcel_id}"
