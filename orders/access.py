"""The only way views load orders for a user."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404

from orders.models import Order
from orders.selectors import orders_visible_to


def get_order_for_user(user: AbstractBaseUser | AnonymousUser, order_id: int) -> Order:
    """The order if `user` may see it. Raises Http404 both for "no such order" and "not yours"."""
    try:
        return orders_visible_to(user).get(id=order_id)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise Http404("No such order") from None
