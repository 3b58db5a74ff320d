"""API tokens per shop, and the responses kept for Idempotency-Key replays."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Shop


class TokenScope(models.TextChoices):
    SHOP = "shop", _("Shop: full access to the shop's data")
    BUYER = "buyer", _("Buyer-facing: public messages only, no claims or status changes")


class ApiToken(models.Model):
    """A shop's integration credential. Only the sha256 of the secret is stored; the secret is shown once."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text=_("What uses it, e.g. “ERP sync”."))
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.SHOP)
    prefix = models.CharField(max_length=16, editable=False, help_text=_("The secret's first characters, to recognise it."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(scope__in=["shop", "buyer"]), name="apitoken_scope_valid")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def public_only(self) -> bool:
        return self.scope == TokenScope.BUYER


class IdempotencyRecord(models.Model):
    """The first response to a POST with an Idempotency-Key, replayed for the same key and body until it expires.

    `status_code` is empty while the first request is still running; the unique constraint makes a
    concurrent duplicate wait for it (PostgreSQL) or fail to insert, never run twice.
    """

    owner = models.CharField(max_length=40, help_text=_("token:<id> or user:<id>"))
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text=_("sha256 of method, path and body"))
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_unique_per_owner")]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"
