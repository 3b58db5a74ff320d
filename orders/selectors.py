"""Read queries for orders: who may see which."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from orders.models import Order, Shop, ShopMembership


def shop_ids_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ShopMembership, int]:
    """The shops a user works for (staff or agent), as a subquery."""
    if user.pk is None:  # anonymous
        return ShopMembership.objects.none().values_list("shop_id", flat=True)
    return ShopMembership.objects.filter(user_id=user.pk).values_list("shop_id", flat=True)


def visibility_q(user: AbstractBaseUser | AnonymousUser, *, shop_field: str, buyer_field: str) -> Q | None:
    """Q that limits any shop-and-buyer-owned model to what `user` may see; None means everything.

    A buyer sees their own rows; shop staff and agents see their shops' rows; superusers see all.
    Subqueries rather than joins, so a row is never repeated.
    """
    if not user.is_authenticated:
        return Q(pk__in=[])
    if getattr(user, "is_superuser", False):
        return None
    return Q(**{buyer_field: user.pk}) | Q(**{f"{shop_field}__in": shop_ids_for_user(user)})


def orders_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Order]:
    condition = visibility_q(user, shop_field="shop_id", buyer_field="buyer_id")
    orders = Order.objects.select_related("shop", "buyer")
    return orders if condition is None else orders.filter(condition)


def shops_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Shop]:
    if getattr(user, "is_superuser", False):
        return Shop.objects.all()
    return Shop.objects.filter(id__in=shop_ids_for_user(user))
