"""The webhooks admin: subscriptions (secret once, test event, re-enable), the delivery log and the outbox, scoped to the user's shops."""

from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from orders.models import ShopMembership
from tests.factories import ShopMembershipFactory, UserFactory, WebhookSubscriptionFactory
from webhooks.models import EventType, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from webhooks.outbox import record_event

ADD = reverse("admin:webhooks_webhooksubscription_add")
SUBSCRIPTIONS = reverse("admin:webhooks_webhooksubscription_changelist")
DELIVERIES = reverse("admin:webhooks_webhookdelivery_changelist")
EVENTS = reverse("admin:webhooks_webhookevent_changelist")


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def shop_staff(shop):
    """A shop's own staff member with the webhook permissions."""
    user = UserFactory(username="staff", is_staff=True)
    ShopMembershipFactory(shop=shop, user=user, role=ShopMembership.Role.STAFF)
    codes = ["add_webhooksubscription", "change_webhooksubscription", "view_webhooksubscription", "delete_webhooksubscription",
             "view_webhookdelivery", "view_webhookevent"]  # fmt: skip
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="webhooks", codename__in=codes))
    return user


def test_creating_a_subscription_shows_the_secret_once(client, shop_staff, shop, dns):
    client.force_login(shop_staff)
    response = client.post(ADD, {"shop": shop.pk, "url": "https://hooks.example.com/in", "description": "ERP",
                                 "events": [EventType.CASE_CREATED, EventType.PARCEL_STATUS_CHANGED]}, follow=True)  # fmt: skip
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == [EventType.CASE_CREATED, EventType.PARCEL_STATUS_CHANGED] and subscription.secret.startswith("whsec_")
    assert any(subscription.secret in message for message in messages_of(response))
    page = client.get(reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk]))
    assert page.status_code == 200 and subscription.secret not in page.content.decode()
    assert subscription.secret not in client.get(SUBSCRIPTIONS).content.decode()


def test_a_private_url_is_refused_on_the_form(client, shop_staff, shop, dns):
    client.force_login(shop_staff)
    response = client.post(ADD, {"shop": shop.pk, "url": "http://169.254.169.254/latest", "events": [EventType.CASE_CREATED]})
    assert response.status_code == 200 and "not a public internet address" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_staff_cannot_subscribe_for_another_shop(client, shop_staff, other_shop, dns):
    client.force_login(shop_staff)
    response = client.post(ADD, {"shop": other_shop.pk, "url": "https://hooks.example.com/in", "events": [EventType.CASE_CREATED]})
    assert response.status_code == 200 and not WebhookSubscription.objects.exists()


def test_send_test_event_and_re_enable_actions(client, shop_staff, shop, dns):
    active = WebhookSubscriptionFactory(shop=shop)
    disabled = WebhookSubscriptionFactory(shop=shop, is_active=False, consecutive_failures=15, disabled_reason="15 failures")
    client.force_login(shop_staff)
    response = client.post(SUBSCRIPTIONS, {"action": "send_test_event", "_selected_action": [active.pk, disabled.pk]}, follow=True)
    assert WebhookDelivery.objects.get(event__type="webhook.test").subscription == active
    assert any("enable it before" in message for message in messages_of(response))
    client.post(SUBSCRIPTIONS, {"action": "enable", "_selected_action": [disabled.pk]})
    disabled.refresh_from_db()
    assert disabled.is_active and disabled.consecutive_failures == 0


def test_the_delivery_log_is_scoped_filtered_and_read_only(client, shop_staff, shop, other_shop):
    mine = WebhookSubscriptionFactory(shop=shop, url="https://mine.example.com/hook")
    theirs = WebhookSubscriptionFactory(shop=other_shop, url="https://theirs.example.com/hook")
    record_event(shop=shop, event_type=EventType.CASE_CREATED, data={"n": 1})
    record_event(shop=other_shop, event_type=EventType.CASE_CREATED, data={"n": 2})
    record_event(shop=shop, event_type=EventType.CLAIM_UPDATED, data={"n": 3})
    WebhookDelivery.objects.filter(event__type=EventType.CLAIM_UPDATED).update(status="failed", last_error="HTTP 500")
    client.force_login(shop_staff)

    page = client.get(DELIVERIES).content.decode()
    assert page.count("mine.example.com") >= 2 and "theirs.example.com" not in page
    assert client.get(DELIVERIES, {"status": "failed"}).context["cl"].result_count == 1
    assert client.get(DELIVERIES, {"event__type": EventType.CASE_CREATED}).context["cl"].result_count == 1
    assert client.get(DELIVERIES, {"subscription": mine.pk}).context["cl"].result_count == 2
    filters = client.get(DELIVERIES).content.decode()
    assert f"?subscription={theirs.pk}" not in filters

    foreign = WebhookDelivery.objects.get(subscription=theirs)
    assert client.get(reverse("admin:webhooks_webhookdelivery_change", args=[foreign.pk])).status_code == 302  # "not found"
    own = WebhookDelivery.objects.filter(subscription=mine, status="failed").get()
    WebhookAttempt.objects.create(delivery=own, number=1, attempted_at=own.created_at, status_code=500, error="HTTP 500 from ERP")
    detail = client.get(reverse("admin:webhooks_webhookdelivery_change", args=[own.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert "HTTP 500 from ERP" in detail.content.decode()  # the attempt log


def test_the_outbox_shows_payloads_of_the_users_shops(client, shop_staff, shop, other_shop):
    WebhookSubscriptionFactory(shop=shop)
    WebhookSubscriptionFactory(shop=other_shop)
    own = record_event(shop=shop, event_type=EventType.CASE_CREATED, data={"reference": "C-OWN"})
    foreign = record_event(shop=other_shop, event_type=EventType.CASE_CREATED, data={"reference": "C-FOREIGN"})
    client.force_login(shop_staff)
    assert client.get(EVENTS).context["cl"].result_count == 1
    detail = client.get(reverse("admin:webhooks_webhookevent_change", args=[quote(own.pk)])).content.decode()
    assert "C-OWN" in detail
    assert client.get(reverse("admin:webhooks_webhookevent_change", args=[quote(foreign.pk)])).status_code == 302
    assert WebhookEvent.objects.count() == 2


@pytest.mark.django_db
def test_shop_staff_and_supervisors_may_manage_subscriptions_agents_only_read_them():
    from django.contrib.auth.models import Group

    def codenames(name):
        return set(Group.objects.get(name=name).permissions.filter(content_type__app_label="webhooks").values_list("codename", flat=True))

    assert {"add_webhooksubscription", "delete_webhooksubscription", "view_webhookdelivery"} <= codenames("shop staff")
    assert codenames("supervisors") == codenames("shop staff")
    assert codenames("agents") == {"view_webhooksubscription", "view_webhookdelivery"}
