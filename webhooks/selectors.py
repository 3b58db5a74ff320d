"""Reads for webhooks: a shop's subscriptions, their deliveries, and who listens to what."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from orders.models import Shop
from supportdesk.config_cache import config_cached, config_changed
from webhooks.models import WebhookDelivery, WebhookSubscription


def subscriptions_for_shop(shop: Shop) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(shop=shop).order_by("-created_at", "-id")


def deliveries_for_subscription(subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(subscription=subscription).select_related("event").order_by("-created_at", "-id")


def active_subscriptions_to(event_type: str, *, shop_ids: Iterable[int] | None = None) -> list[WebhookSubscription]:
    """Active subscriptions to `event_type`, of the given shops (all shops if None).

    The event list is matched in Python: a shop has a handful of subscriptions, and SQLite has no
    JSON containment lookup.
    """
    subscriptions = WebhookSubscription.objects.filter(is_active=True).only("id", "shop_id", "events")
    if shop_ids is not None:
        subscriptions = subscriptions.filter(shop_id__in=list(shop_ids))
    return [subscription for subscription in subscriptions if event_type in subscription.events]


SUBSCRIPTIONS_SCOPE = "webhooks.subscriptions"  # supportdesk.config_cache; the signals are connected in WebhooksConfig.ready


def active_subscriptions_of_shop(event_type: str, shop_id: int) -> list[WebhookSubscription]:
    """`active_subscriptions_to` for one shop, memoised per process (every case, message and status change asks;
    benchmark P4): only their id, shop and event types are loaded."""
    def load() -> tuple[WebhookSubscription, ...]:
        return tuple(WebhookSubscription.objects.filter(shop_id=shop_id, is_active=True).only("id", "shop_id", "events"))

    return [subscription for subscription in config_cached(SUBSCRIPTIONS_SCOPE, shop_id, load) if event_type in subscription.events]


def subscriptions_changed(**_signal: object) -> None:
    """Call after writing a subscription's shop, events or activity with a queryset update (saves and deletes signal it)."""
    config_changed(SUBSCRIPTIONS_SCOPE)


def shop_ids_subscribed_to(event_type: str) -> set[int]:
    return {subscription.shop_id for subscription in active_subscriptions_to(event_type)}
