"""Writes for shops, buyers and orders."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from orders.models import BuyerProfile, Language, Order, OrderLine, Shop, ShopMembership
from supportdesk.sql import update_from_values

User = get_user_model()


@dataclass(frozen=True)
class OrderLineData:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class ShippingAddress:
    recipient_name: str
    city: str
    address_line: str
    country: str = "RU"
    region: str = ""
    postal_code: str = ""
    recipient_phone: str = ""


@transaction.atomic
def buyer_create(
    *, username: str, email: str, first_name: str = "", last_name: str = "",
    language: str = Language.RUSSIAN, phone: str = "", password: str | None = None,
) -> AuthUser:
    """Create a buyer: a plain user (no staff rights) with a buyer profile."""
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    profile = BuyerProfile(user=user, language=language, phone=phone)
    profile.full_clean()
    profile.save()
    return user


@transaction.atomic
def buyer_update_profile(*, user: AuthUser, first_name: str, last_name: str, email: str, language: str, phone: str) -> AuthUser:
    """Save what a buyer may change about themselves; creates the buyer profile if the user has none."""
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.full_clean(validate_unique=False, validate_constraints=False)
    user.save(update_fields=["first_name", "last_name", "email"])
    profile, _created = BuyerProfile.objects.get_or_create(user=user)
    profile.language, profile.phone = language, phone
    profile.full_clean()
    profile.save(update_fields=["language", "phone"])
    return user


def shop_add_member(*, shop: Shop, user: AuthUser, role: str) -> ShopMembership:
    """Let `user` work for `shop` as staff or agent. Idempotent: updates the role if already a member."""
    membership, _created = ShopMembership.objects.update_or_create(shop=shop, user=user, defaults={"role": role})
    return membership


@transaction.atomic
def order_create(
    *, shop: Shop, buyer: AuthUser, order_number: str, posting_number: str, address: ShippingAddress,
    declared_value: Decimal, currency: str, placed_at: dt.datetime, lines: Sequence[OrderLineData],
    scheme: str | None = None, promised_delivery_date: dt.date | None = None,
) -> Order:
    """Create an order (one posting) with its lines.

    Raises ValidationError for a duplicate posting number in the shop or any invalid field.
    """
    order = Order(
        shop=shop, buyer=buyer, order_number=order_number, posting_number=posting_number,
        scheme=scheme or shop.default_scheme, declared_value=declared_value, currency=currency,
        placed_at=placed_at, promised_delivery_date=promised_delivery_date,
        recipient_name=address.recipient_name, recipient_phone=address.recipient_phone, country=address.country,
        region=address.region, city=address.city, postal_code=address.postal_code, address_line=address.address_line,
    )
    order.full_clean()
    order.save()
    _create_lines(order, lines)
    return order


def order_mark_shipped(*, order: Order, shipped_at: dt.datetime) -> Order:
    """placed → shipped; a no-op if the order has moved on already (conditional update)."""
    Order.objects.filter(id=order.id, status=Order.Status.PLACED).update(status=Order.Status.SHIPPED, shipped_at=shipped_at)
    order.refresh_from_db(fields=["status", "shipped_at"])
    return order


def order_mark_delivered(*, order: Order, delivered_at: dt.datetime) -> Order:
    """placed/shipped → delivered, recording when; later states are left alone."""
    Order.objects.filter(id=order.id, status__in=[Order.Status.PLACED, Order.Status.SHIPPED]).update(
        status=Order.Status.DELIVERED, delivered_at=delivered_at
    )
    order.refresh_from_db(fields=["status", "delivered_at"])
    return order


def orders_mark_shipped_many(*, shipped_at: dict[int, dt.datetime]) -> None:
    """Batch of `order_mark_shipped`: {order id: when}; orders past `placed` are left alone."""
    update_from_values(
        table=Order._meta.db_table, columns=[("order_pk", "bigint"), ("at", "timestamptz")], rows=list(shipped_at.items()),
        assignments="status = %s, shipped_at = v.at", params=[Order.Status.SHIPPED], condition="t.status = 'placed'",
    )


def orders_mark_delivered_many(*, delivered_at: dict[int, dt.datetime]) -> None:
    """Batch of `order_mark_delivered`: {order id: when}; only placed or shipped orders move."""
    update_from_values(
        table=Order._meta.db_table, columns=[("order_pk", "bigint"), ("at", "timestamptz")], rows=list(delivered_at.items()),
        assignments="status = %s, delivered_at = v.at", params=[Order.Status.DELIVERED],
        condition="t.status IN ('placed', 'shipped')",
    )


@dataclass(frozen=True)
class BuyerData:
    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    language: str = Language.RUSSIAN


def buyer_get_or_create(*, data: BuyerData) -> AuthUser:
    """The user with this e-mail (case-insensitive; the oldest if several), else a new buyer named after it."""
    existing = User.objects.filter(email__iexact=data.email).order_by("id").first()
    if existing is not None:
        return existing
    base = data.email.lower()[:140]
    username = base
    while User.objects.filter(username=username).exists():
        username = f"{base}-{secrets.token_hex(3)}"
    return buyer_create(
        username=username, email=data.email, first_name=data.first_name, last_name=data.last_name,
        language=data.language, phone=data.phone,
    )


@transaction.atomic
def order_upsert(
    *, shop: Shop, buyer: BuyerData, order_number: str, posting_number: str, address: ShippingAddress,
    declared_value: Decimal, currency: str, placed_at: dt.datetime, lines: Sequence[OrderLineData] | None,
    scheme: str | None = None, promised_delivery_date: dt.date | None = None,
) -> tuple[Order, bool]:
    """Create the posting, or update it if the shop has it already; returns (order, created).

    The key is the shop's posting number. An update rewrites the address, value, dates and scheme, and
    replaces the lines when `lines` is given; the buyer and status stay (status moves through its own
    services). Raises ValidationError if the posting belongs to another order number or a field is invalid.
    """
    order = Order.objects.select_for_update().filter(shop=shop, posting_number=posting_number).first()
    if order is None:
        created = order_create(
            shop=shop, buyer=buyer_get_or_create(data=buyer), order_number=order_number, posting_number=posting_number,
            address=address, declared_value=declared_value, currency=currency, placed_at=placed_at, lines=lines or (),
            scheme=scheme, promised_delivery_date=promised_delivery_date,
        )
        return created, True
    if order.order_number != order_number:
        message = gettext("Posting %(posting)s belongs to order %(order)s.") % {"posting": posting_number, "order": order.order_number}
        raise ValidationError({"order_number": message})
    fields = {
        "recipient_name": address.recipient_name, "recipient_phone": address.recipient_phone, "country": address.country,
        "region": address.region, "city": address.city, "postal_code": address.postal_code, "address_line": address.address_line,
        "declared_value": declared_value, "currency": currency, "placed_at": placed_at,
        "promised_delivery_date": promised_delivery_date, "scheme": scheme or order.scheme,
    }
    for name, value in fields.items():
        setattr(order, name, value)
    order.full_clean()
    order.save(update_fields=[*fields, "updated_at"])
    if lines is not None:
        order.lines.all().delete()
        _create_lines(order, lines)
    return order, False


def _create_lines(order: Order, lines: Sequence[OrderLineData]) -> None:
    order_lines = [OrderLine(order=order, sku=l.sku, name=l.name, quantity=l.quantity, unit_price=l.unit_price) for l in lines]
    for line in order_lines:
        line.full_clean()
    OrderLine.objects.bulk_create(order_lines)
