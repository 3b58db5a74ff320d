"""The subscription services the REST API calls: validation, deletion, selectors."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import WebhookSubscriptionFactory
from webhooks.models import EventType, WebhookDelivery, WebhookEvent
from webhooks.outbox import record_event
from webhooks.selectors import deliveries_for_subscription, shop_ids_subscribed_to, subscriptions_for_shop
from webhooks.services import subscription_create, subscription_delete, subscription_send_test

URL = "https://hooks.example.com/in"


@pytest.mark.parametrize("events", [[], ["case.deleted"], [EventType.CASE_CREATED, "webhook.test"]])
def test_unknown_or_missing_event_types_are_refused(shop, dns, events):
    with pytest.raises(ValidationError) as error:
        subscription_create(shop=shop, url=URL, events=events)
    assert list(error.value.message_dict) == ["events"]


def test_create_keeps_each_type_once_and_a_fresh_secret(shop, dns):
    first = subscription_create(shop=shop, url=f" {URL} ", events=["case.created", "case.created", "claim.updated"], description=" ERP ")
    second = subscription_create(shop=shop, url=URL, events=["case.created"])
    assert (first.url, first.events, first.description, first.is_active) == (URL, ["case.created", "claim.updated"], "ERP", True)
    assert first.secret != second.secret


def test_delete_removes_the_deliveries_and_keeps_the_event_for_others(shop):
    gone, kept = WebhookSubscriptionFactory(shop=shop), WebhookSubscriptionFactory(shop=shop)
    event = record_event(shop=shop, event_type=EventType.CASE_CREATED, data={})
    subscription_delete(subscription=gone)
    assert WebhookEvent.objects.filter(pk=event.pk).exists()
    assert list(WebhookDelivery.objects.values_list("subscription_id", flat=True)) == [kept.pk]


def test_send_test_refuses_a_disabled_subscription(shop):
    with pytest.raises(ValidationError, match="disabled"):
        subscription_send_test(subscription=WebhookSubscriptionFactory(shop=shop, is_active=False))
    assert not WebhookEvent.objects.exists()


def test_selectors_stay_within_the_shop(shop, other_shop):
    mine, theirs = WebhookSubscriptionFactory(shop=shop, events=["claim.updated"]), WebhookSubscriptionFactory(shop=other_shop)
    record_event(shop=shop, event_type=EventType.CLAIM_UPDATED, data={"n": 1})
    record_event(shop=shop, event_type=EventType.CLAIM_UPDATED, data={"n": 2})
    assert list(subscriptions_for_shop(shop)) == [mine]
    assert [d.event.payload["data"]["n"] for d in deliveries_for_subscription(mine)] == [2, 1]
    assert not deliveries_for_subscription(theirs).exists()
    assert shop_ids_subscribed_to(EventType.CLAIM_UPDATED) == {shop.pk, other_shop.pk}
    assert shop_ids_subscribed_to(EventType.CASE_CREATED) == {other_shop.pk}


def test_prune_deletes_old_settled_events_only(shop, settings):
    import datetime as dt

    from django.utils import timezone

    from webhooks.services import webhook_events_prune

    settings.WEBHOOKS_RETENTION_DAYS = 30
    WebhookSubscriptionFactory(shop=shop)
    old_done, old_waiting, recent = (record_event(shop=shop, event_type=EventType.CASE_CREATED, data={"n": n}) for n in range(3))
    WebhookEvent.objects.filter(pk__in=[old_done.pk, old_waiting.pk]).update(created_at=timezone.now() - dt.timedelta(days=31))
    WebhookDelivery.objects.filter(event__in=[old_done, recent]).update(status=WebhookDelivery.Status.SUCCEEDED, next_attempt_at=None)
    assert webhook_events_prune() == 1
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {old_waiting.pk, recent.pk}
    assert webhook_events_prune() == 0
