"""Webhooks out: a shop's subscriptions, the outbox of events, and one delivery per event and subscription.

The outbox row (WebhookEvent) is written by the service that makes the change, in its transaction
(DESIGN §3: no signals). Delivery state lives in WebhookDelivery, not in the broker, so a lost task
message loses nothing: the beat dispatcher finds every due delivery again.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Shop


class EventType(models.TextChoices):
    CASE_CREATED = "case.created", _("Case created")
    CASE_UPDATED = "case.updated", _("Case updated (status, priority, assignee)")
    CASE_MESSAGE_CREATED = "case.message_created", _("Public message on a case")
    PARCEL_STATUS_CHANGED = "parcel.status_changed", _("Parcel status changed")
    PARCEL_ANOMALY_DETECTED = "parcel.anomaly_detected", _("Parcel anomaly detected")
    TRACKING_NUMBER_CHANGED = "tracking_number.changed", _("Tracking number changed")
    CLAIM_UPDATED = "claim.updated", _("Claim created or changed")


# Sent by "send test event" only; nobody subscribes to it.
TEST_EVENT_TYPE = "webhook.test"
OUTBOX_TYPES = [*EventType.values, TEST_EVENT_TYPE]


def new_message_id() -> str:
    """The Standard Webhooks message id: stable across retries, so receivers can deduplicate on it."""
    return f"msg_{uuid.uuid4().hex}"


def validate_event_types(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Choose at least one event type."))
    unknown = [item for item in value if item not in EventType.values]
    if unknown:
        raise ValidationError(
            _("Unknown event types: %(unknown)s. Known: %(known)s."),
            params={"unknown": ", ".join(map(str, unknown)), "known": ", ".join(EventType.values)},
        )


class WebhookSubscription(models.Model):
    """Where a shop wants its events POSTed, and which ones.

    `secret` is kept as is, not hashed: signing needs the key itself (HMAC-SHA256 with the decoded
    secret), and a hash cannot sign. It is shown once, when the subscription is made, and never in
    lists or the API afterwards; anyone with database access could read it, like the carriers' keys.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    url = models.URLField(max_length=2000, help_text=_("HTTPS endpoint that receives the events (POST, JSON)."))
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, validators=[validate_event_types], help_text=_("Event types to send."))
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False,
                                         help_text=_("First failed attempt since the last success."))
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["shop", "is_active"], name="webhooksub_shop_active_idx")]

    def __str__(self) -> str:
        return self.description or self.url


class WebhookEvent(models.Model):
    """The outbox: one row per change, written in the change's transaction; `payload` is the body sent."""

    id = models.CharField(primary_key=True, max_length=40, default=new_message_id, editable=False)
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="webhook_events")
    type = models.CharField(max_length=40, choices=[*EventType.choices, (TEST_EVENT_TYPE, _("Test event"))])
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(type__in=OUTBOX_TYPES), name="webhookevent_type_valid")]
        indexes = [models.Index(fields=["shop", "-created_at"], name="webhookevent_shop_created_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class WebhookDelivery(models.Model):
    """One event to one subscription: its attempts so far and when the next one is due."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")  # no attempt yet
        FAILED = "failed", _("Failed, will retry")
        SUCCEEDED = "succeeded", _("Succeeded")
        GAVE_UP = "gave_up", _("Gave up")

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty once delivered or given up."))
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="webhookdelivery_once_per_subscription"),
            models.CheckConstraint(condition=Q(status__in=["pending", "failed", "succeeded", "gave_up"]), name="webhookdelivery_status_valid"),
        ]
        indexes = [
            # The dispatcher's scan: only open deliveries carry a next_attempt_at.
            models.Index(fields=["next_attempt_at"], condition=Q(status__in=["pending", "failed"]), name="webhookdelivery_due_idx"),
            models.Index(fields=["subscription", "-created_at"], name="webhookdelivery_sub_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.FAILED)


class WebhookAttempt(models.Model):
    """One request of a delivery, as it went: the delivery log's detail."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    succeeded = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhookattempt_once_per_number")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
