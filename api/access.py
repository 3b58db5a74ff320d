"""Who is calling and which shops they reach: the only way API views load objects.

A token reaches its own shop only; a signed-in user (session) the shops they work for. Everything else
answers 404, whether it exists or not, and list querysets start from the same scope so filters cannot
reach past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, cast

from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request

from api.models import ApiToken
from logistics.models import Parcel
from orders.models import Order, Shop
from orders.selectors import shop_ids_for_user
from supportdesk.compiled import CompiledGet
from tickets.models import Claim, Message, Ticket
from webhooks.models import WebhookSubscription

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Principal:
    user: User
    token: ApiToken | None

    @property
    def public_only(self) -> bool:
        return self.token is not None and self.token.public_only

    @property
    def owner_key(self) -> str:
        """Whose Idempotency-Keys these are."""
        return f"token:{self.token.id}" if self.token is not None else f"user:{self.user.pk}"

    def scope(self, queryset: QuerySet[Model], shop_field: str) -> QuerySet[Model]:
        if self.token is not None:
            return queryset.filter(**{shop_field: self.token.shop_id})
        if self.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{shop_field}__in": shop_ids_for_user(self.user)})

    def require_full_scope(self) -> None:
        if self.public_only:
            raise PermissionDenied(_("This token is buyer-facing; it cannot do this. Use a shop-scoped token."))

    def write_shop(self) -> Shop:
        if self.token is None:
            raise PermissionDenied(_("Creating this needs an API token: the token says which shop it belongs to."))
        return self.token.shop


def principal(request: Request) -> Principal:
    token = request.auth if isinstance(request.auth, ApiToken) else None
    return Principal(user=cast(User, request.user), token=token)


def orders_for(who: Principal) -> QuerySet[Order]:
    return cast("QuerySet[Order]", who.scope(Order.objects.select_related("shop", "buyer"), "shop_id"))


def parcels_for(who: Principal) -> QuerySet[Parcel]:
    return cast("QuerySet[Parcel]", who.scope(Parcel.objects.select_related("order", "carrier"), "order__shop_id"))


def tickets_for(who: Principal) -> QuerySet[Ticket]:
    return cast("QuerySet[Ticket]", who.scope(Ticket.objects.select_related("buyer", "shop"), "shop_id"))


def claims_for(who: Principal) -> QuerySet[Claim]:
    who.require_full_scope()  # claims are the shop's business, never shown to buyers
    return cast("QuerySet[Claim]", who.scope(Claim.objects.select_related("ticket", "ticket__shop"), "ticket__shop_id"))


def webhook_subscriptions_for(who: Principal) -> QuerySet[WebhookSubscription]:
    who.require_full_scope()  # the seller's integration settings, never a storefront's
    return cast("QuerySet[WebhookSubscription]", who.scope(WebhookSubscription.objects.all(), "shop_id"))


def messages_for(who: Principal, ticket: Ticket) -> QuerySet[Message]:
    messages = ticket.messages.prefetch_related("attachments").order_by("created_at", "id")
    return messages.filter(visibility=Message.Visibility.PUBLIC) if who.public_only else messages


def _get(queryset: QuerySet[M], pk: object, what: str) -> M:
    try:
        return queryset.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404(what) from None


# A token's order look-up, compiled once per process (it is a third of the CPU of opening a case, benchmark P5).
_ORDER_IN_SHOP = CompiledGet(
    Order, lambda order_id, shop_id: Order.objects.filter(pk=order_id, shop_id=shop_id),
    probes=(-1_000_001, -1_000_002), related=("shop", "buyer"),
)


def get_order_for_principal(who: Principal, order_id: object) -> Order:
    """The order if the caller reaches its shop. Raises Http404 for "no such order" and "not yours" alike."""
    if who.token is None:
        return _get(orders_for(who), order_id, "No such order")
    try:
        order = _ORDER_IN_SHOP.get(order_id, who.token.shop_id)
    except (ValueError, TypeError):
        order = None
    if order is None:
        raise Http404("No such order")
    return order


def get_parcel_for_principal(who: Principal, parcel_id: object, *, queryset: QuerySet[Parcel] | None = None) -> Parcel:
    """`queryset` narrows (prefetches on) the principal's parcels; it must start from parcels_for(who)."""
    return _get(queryset if queryset is not None else parcels_for(who), parcel_id, "No such parcel")


def get_ticket_for_principal(who: Principal, ticket_id: object, *, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    return _get(queryset if queryset is not None else tickets_for(who), ticket_id, "No such case")


def get_claim_for_principal(who: Principal, claim_id: object) -> Claim:
    return _get(claims_for(who), claim_id, "No such claim")


def get_webhook_subscription_for_principal(who: Principal, subscription_id: object) -> WebhookSubscription:
    return _get(webhook_subscriptions_for(who), subscription_id, "No such webhook subscription")
