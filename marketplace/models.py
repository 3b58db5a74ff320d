from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from logistics.models import TrackingNumberChange
from orders.models import Shop


class MarketplaceAccount(models.Model):
    """A shop's Ozon Seller API credentials and where its posting sync got to."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="marketplace_account")
    client_id = models.CharField(_("Client-Id"), max_length=64)
    api_key = models.CharField(_("Api-Key"), max_length=200, help_text=_("Secret: never shown again once saved."))
    is_active = models.BooleanField(default=True, help_text=_("Synced by the scheduler and receives tracking numbers."))
    sync_cursor = models.DateTimeField(
        null=True, blank=True, help_text=_("The next sync asks for postings whose status changed since this time (minus an overlap)."),
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["shop__name"]

    def __str__(self) -> str:
        return f"Ozon account of {self.shop}"


class MarketplacePush(models.Model):
    """One tracking-number change told (or to be told) to Ozon: at most one row, and one successful send, per change."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPERSEDED = "superseded", _("Superseded by a newer change")
        FROM_MARKETPLACE = "from_marketplace", _("Came from the marketplace (not pushed back)")

    change = models.OneToOneField(TrackingNumberChange, on_delete=models.CASCADE, related_name="marketplace_push")
    account = models.ForeignKey(MarketplaceAccount, on_delete=models.CASCADE, related_name="pushes")
    posting_number = models.CharField(max_length=64)
    tracking_number = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "sent", "failed", "superseded", "from_marketplace"]),
                                   name="marketplacepush_status_valid"),
        ]
        indexes = [models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="marketplacepush_due_idx")]

    def __str__(self) -> str:
        return f"{self.posting_number} → {self.tracking_number} ({self.status})"
