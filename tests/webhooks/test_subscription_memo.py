"""Each shop's active subscriptions are memoised per process (webhooks.selectors, benchmark P4: every new case asks);
every change of them, committed in any process, applies to the next event. A shared cache and real commits, as in
tests/tickets/test_routing_cache.py."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import WebhookSubscriptionFactory
from webhooks.models import EventType, WebhookSubscription
from webhooks.selectors import SUBSCRIPTIONS_SCOPE, active_subscriptions_of_shop
from webhooks.services import subscription_delete, subscription_disable, subscription_enable

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.usefixtures("shared_cache")]


def subscribed(shop) -> list[int]:
    return [s.pk for s in active_subscriptions_of_shop(EventType.CASE_CREATED, shop.pk)]


def test_the_second_event_of_a_shop_reads_no_subscription(shop):
    hook = WebhookSubscriptionFactory(shop=shop)
    assert subscribed(shop) == [hook.pk]
    with CaptureQueriesContext(connection) as queries:
        assert subscribed(shop) == [hook.pk]
    assert queries.captured_queries == []


def test_disabling_enabling_changing_and_deleting_apply_to_the_next_event(shop, dns):
    hook = WebhookSubscriptionFactory(shop=shop)
    assert subscribed(shop) == [hook.pk]
    subscription_disable(subscription=hook, reason="failing")  # a queryset update: no signal of its own
    assert subscribed(shop) == []
    subscription_enable(subscription=hook)
    assert subscribed(shop) == [hook.pk]
    hook.events = [EventType.CLAIM_UPDATED]
    hook.save(update_fields=["events"])  # as the admin saves a change
    assert subscribed(shop) == []
    other = WebhookSubscriptionFactory(shop=shop)
    assert subscribed(shop) == [other.pk]
    subscription_delete(subscription=other)
    assert subscribed(shop) == []


def test_a_disable_committed_elsewhere_gives_the_other_processes_a_new_token(shop):
    hook = WebhookSubscriptionFactory(shop=shop)
    subscribed(shop)
    before = caches["default"].get(f"config-version:{SUBSCRIPTIONS_SCOPE}")
    subscription_disable(subscription=WebhookSubscription.objects.get(pk=hook.pk), reason="failing")
    assert caches["default"].get(f"config-version:{SUBSCRIPTIONS_SCOPE}") not in (None, before)
