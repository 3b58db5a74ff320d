from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code, e.g. RUB."))


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone (e.g. Europe/Moscow)."), params={"value": value})


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    RUSSIAN = "ru", _("Russian")
    CHINESE = "zh-hans", _("Simplified Chinese")


class Marketplace(models.TextChoices):
    OZON = "ozon", "Ozon"
    WILDBERRIES = "wildberries", "Wildberries"
    OWN_STORE = "own_store", _("Own store")


class FulfilmentScheme(models.TextChoices):
    FBS = "fbs", _("FBS (seller ships)")
    FBO = "fbo", _("FBO (marketplace ships)")


class Shop(models.Model):
    """A seller's account on a marketplace; its staff and agents are members."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    marketplace = models.CharField(max_length=20, choices=Marketplace.choices, default=Marketplace.OZON)
    marketplace_seller_id = models.CharField(max_length=64, blank=True)
    default_scheme = models.CharField(max_length=3, choices=FulfilmentScheme.choices, default=FulfilmentScheme.FBS)
    time_zone = models.CharField(max_length=64, default="Europe/Moscow", validators=[validate_time_zone])
    default_language = models.CharField(max_length=7, choices=Language.choices, default=Language.RUSSIAN)
    after_sales_days = models.PositiveSmallIntegerField(default=14, help_text=_("Days after delivery a case may be reopened."))
    claim_approval_threshold = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("5000.00"), validators=[MinValueValidator(Decimal("0"))],
        help_text=_("In the shop's currency (the one its claims are filed in): approving or paying a claim above "
                    "this amount needs a supervisor (the approve-claim permission)."),
    )
    members: models.ManyToManyField[AbstractBaseUser, ShopMembership] = models.ManyToManyField(settings.AUTH_USER_MODEL, through="ShopMembership", related_name="shops")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(marketplace__in=Marketplace.values), name="shop_marketplace_valid"),
            models.CheckConstraint(condition=Q(default_language__in=Language.values), name="shop_language_valid"),
            models.CheckConstraint(condition=Q(claim_approval_threshold__gte=0), name="shop_claim_threshold_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class ShopMembership(models.Model):
    """Who works for a shop: its own staff, or support agents who serve it."""

    class Role(models.TextChoices):
        STAFF = "staff", _("Shop staff")
        AGENT = "agent", _("Support agent")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_memberships")
    role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="shopmembership_unique"),
            models.CheckConstraint(condition=Q(role__in=["staff", "agent"]), name="shopmembership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop} ({self.role})"


class BuyerProfile(models.Model):
    """What a buyer (a plain user) adds to the account: language and contact."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="buyer_profile")
    language = models.CharField(max_length=7, choices=Language.choices, default=Language.RUSSIAN)
    phone = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(language__in=Language.values), name="buyerprofile_language_valid")]

    def __str__(self) -> str:
        return f"Buyer profile of {self.user}"


class Order(models.Model):
    """One marketplace posting: what ships to the buyer as one consignment.

    The marketplace splits an order into postings, so `order_number` repeats across postings
    while `posting_number` is unique within a shop.
    """

    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    order_number = models.CharField(max_length=64)
    posting_number = models.CharField(max_length=64)
    scheme = models.CharField(max_length=3, choices=FulfilmentScheme.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLACED)
    recipient_name = models.CharField(max_length=200)
    recipient_phone = models.CharField(max_length=32, blank=True)
    country = models.CharField(max_length=2, default="RU", help_text=_("ISO 3166-1 alpha-2"))
    region = models.CharField(max_length=120, blank=True)
    city = models.CharField(max_length=120)
    postal_code = models.CharField(max_length=16, blank=True)
    address_line = models.CharField(max_length=300)
    declared_value = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="RUB", validators=[currency_validator])
    placed_at = models.DateTimeField()
    shipped_at = models.DateTimeField(null=True, blank=True)
    promised_delivery_date = models.DateField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "posting_number"], name="order_posting_unique_per_shop"),
            models.CheckConstraint(condition=Q(status__in=["placed", "shipped", "delivered", "completed", "cancelled"]), name="order_status_valid"),
            models.CheckConstraint(condition=Q(scheme__in=FulfilmentScheme.values), name="order_scheme_valid"),
            models.CheckConstraint(condition=Q(declared_value__gte=0), name="order_declared_value_not_negative"),
        ]
        indexes = [
            models.Index(fields=["shop", "order_number"], name="order_shop_number_idx"),
            models.Index(fields=["posting_number"], name="order_posting_idx"),
            models.Index(fields=["buyer", "-placed_at"], name="order_buyer_recent_idx"),
            # The API's cursor pages (newest id first) and incremental sync, per shop.
            models.Index(fields=["shop", "id"], name="order_shop_id_idx"),
            models.Index(fields=["shop", "updated_at", "id"], name="order_shop_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.posting_number

    @property
    def shipping_address(self) -> str:
        parts = [self.postal_code, self.country, self.region, self.city, self.address_line]
        return ", ".join(part for part in parts if part)

    def after_sales_open(self, now: dt.datetime | None = None) -> bool:
        """True while a closed case about this order may still be reopened."""
        if self.delivered_at is None:
            return self.status not in (self.Status.CANCELLED, self.Status.COMPLETED)
        deadline = self.delivered_at + dt.timedelta(days=self.shop.after_sales_days)
        return (now or timezone.now()) <= deadline


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="orderline_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"
