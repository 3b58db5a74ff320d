"""Delivery end to end against a real receiver on 127.0.0.1: signing, retries, redirects, disabling, SSRF at delivery."""

from __future__ import annotations

import datetime as dt
import email.utils
import json

import pytest
import time_machine
from django.core import mail

from orders.models import ShopMembership
from tests.factories import ShopMembershipFactory, UserFactory, WebhookSubscriptionFactory
from tests.logistics.carrier_server import Reply
from webhooks import delivery as webhook_delivery
from webhooks.models import EventType, WebhookDelivery, WebhookSubscription
from webhooks.services import subscription_create, subscription_enable, subscription_send_test, webhook_event_record
from webhooks.signing import verify
from webhooks.tasks import webhooks_dispatch_due_task

T0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def hook(shop, receiver, allow_loopback):
    return WebhookSubscriptionFactory(shop=shop, url=f"{receiver.url}/hook", events=[EventType.CASE_CREATED])


def record(shop, capture, **data) -> WebhookDelivery:
    """Record a case.created event and run what its commit enqueues (the first attempt, eagerly)."""
    with capture(execute=True):
        event = webhook_event_record(shop=shop, event_type=EventType.CASE_CREATED, data=data or {"case": {"id": 1}})
    assert event is not None
    return WebhookDelivery.objects.get(event=event)


def test_delivery_posts_the_signed_body_with_standard_webhooks_headers(shop, hook, receiver, django_capture_on_commit_callbacks):
    receiver.route("POST", "/hook", Reply(200, body="thanks"))
    delivery = record(shop, django_capture_on_commit_callbacks, case={"id": 7, "reference": "C-7"})
    [sent] = receiver.received("POST", "/hook")
    headers = sent.headers
    assert headers["webhook-id"] == delivery.event_id and headers["content-type"] == "application/json"
    assert verify(secret=hook.secret, msg_id=delivery.event_id, timestamp=int(headers["webhook-timestamp"]), body=sent.body,
                  signature_header=headers["webhook-signature"])  # fmt: skip
    assert sent.json() == {"type": "case.created", "timestamp": delivery.event.payload["timestamp"], "data": {"case": {"id": 7, "reference": "C-7"}}}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.response_excerpt) == ("succeeded", 1, 200, "thanks")
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None and delivery.duration_ms is not None


def test_delivery_connects_to_the_vetted_address_with_the_real_host_name(shop, receiver, allow_loopback, dns, django_capture_on_commit_callbacks):
    port = receiver.url.rsplit(":", 1)[1]
    dns["hooks.example.test"] = ["127.0.0.1"]  # a name no real resolver knows: only the pinned address can reach it
    WebhookSubscriptionFactory(shop=shop, url=f"http://hooks.example.test:{port}/hook?via=name", events=[EventType.CASE_CREATED])
    receiver.route("POST", "/hook", Reply(204))
    delivery = record(shop, django_capture_on_commit_callbacks)
    [sent] = receiver.received("POST", "/hook")
    assert sent.headers["host"] == f"hooks.example.test:{port}" and sent.query == {"via": ["name"]}
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "succeeded"


def test_the_attempt_is_recorded_before_the_request(shop, hook, monkeypatch, django_capture_on_commit_callbacks):
    seen = {}

    def send(**kwargs):
        row = WebhookDelivery.objects.get()
        seen.update(attempts=row.attempts, next_attempt_at=row.next_attempt_at, at=kwargs["now"])
        return webhook_delivery.Outcome(ok=True, status_code=200)

    monkeypatch.setattr(webhook_delivery, "send", send)
    record(shop, django_capture_on_commit_callbacks)
    assert seen["attempts"] == 1 and seen["next_attempt_at"] > seen["at"]  # claimed: counted and leased before sending


def test_a_claimed_delivery_is_not_sent_twice(shop, hook, receiver):
    receiver.route("POST", "/hook", Reply(200))
    delivery = record(shop, lambda execute: _no_commit())
    assert webhook_delivery.attempt(delivery_id=delivery.pk) is not None
    assert webhook_delivery.attempt(delivery_id=delivery.pk) is None  # a second worker with the same message
    assert receiver.count("POST", "/hook") == 1


class _no_commit:
    """Stands in for capture(execute=True) when the commit's task message is 'lost'."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_lost_task_message_is_picked_up_by_the_dispatcher(shop, hook, receiver):
    receiver.route("POST", "/hook", Reply(200))
    delivery = record(shop, lambda execute: _no_commit())
    assert receiver.count("POST", "/hook") == 0
    assert webhooks_dispatch_due_task() == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "succeeded"
    assert webhooks_dispatch_due_task() == 0


def test_a_worker_killed_mid_send_leaves_the_delivery_due_after_its_lease(shop, hook, receiver):
    receiver.route("POST", "/hook", Reply(200))
    with time_machine.travel(T0, tick=False):
        delivery = record(shop, lambda execute: _no_commit())
        assert webhook_delivery.claim(delivery.pk, T0)  # the worker claims it, then dies
        assert webhooks_dispatch_due_task() == 0
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        assert webhooks_dispatch_due_task() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_failures_retry_with_exponential_backoff_and_full_jitter(shop, hook, receiver, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(webhook_delivery.random, "uniform", lambda low, high: high)  # the top of each jitter range
    receiver.route("POST", "/hook", Reply(500, body="boom"), Reply(502), Reply(200))
    with time_machine.travel(T0, tick=False):
        delivery = record(shop, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 500)
    assert delivery.next_attempt_at == T0 + dt.timedelta(seconds=30) and "500" in delivery.last_error
    with time_machine.travel(T0 + dt.timedelta(seconds=29), tick=False):
        assert webhooks_dispatch_due_task() == 0  # not due yet
    with time_machine.travel(T0 + dt.timedelta(seconds=30), tick=False):
        webhooks_dispatch_due_task()
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == T0 + dt.timedelta(seconds=30 + 120)
    with time_machine.travel(T0 + dt.timedelta(seconds=150), tick=False):
        webhooks_dispatch_due_task()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    assert WebhookSubscription.objects.get().consecutive_failures == 0
    log = list(delivery.attempt_log.values_list("number", "status_code", "succeeded", "response_excerpt"))
    assert log == [(1, 500, False, "boom"), (2, 502, False, ""), (3, 200, True, "")]


def test_retry_delays_stay_within_the_schedule():
    for attempts, base in [(1, 30), (2, 120), (3, 600), (4, 3600), (5, 6 * 3600), (9, 24 * 3600)]:
        delays = [webhook_delivery.retry_delay(attempts) for _ in range(50)]
        assert all(0 <= d <= base for d in delays) and max(delays) > base / 4


@pytest.mark.parametrize(("status", "retry_after", "expected"), [
    (429, "120", dt.timedelta(seconds=120)),
    (503, email.utils.format_datetime(T0 + dt.timedelta(minutes=7), usegmt=True), dt.timedelta(minutes=7)),
])  # fmt: skip
def test_retry_after_is_honoured_on_429_and_503(shop, hook, receiver, django_capture_on_commit_callbacks, status, retry_after, expected):
    receiver.route("POST", "/hook", Reply(status, headers={"Retry-After": retry_after}))
    with time_machine.travel(T0, tick=False):
        delivery = record(shop, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.next_attempt_at == T0 + expected


def test_retry_after_is_ignored_on_other_errors(shop, hook, receiver, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(webhook_delivery.random, "uniform", lambda low, high: high)
    receiver.route("POST", "/hook", Reply(500, headers={"Retry-After": "9999"}))
    with time_machine.travel(T0, tick=False):
        delivery = record(shop, django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.get(pk=delivery.pk).next_attempt_at == T0 + dt.timedelta(seconds=30)


def test_redirects_are_not_followed(shop, hook, receiver, django_capture_on_commit_callbacks):
    receiver.route("POST", "/hook", Reply(307, headers={"Location": f"{receiver.url}/elsewhere"}))
    receiver.route("POST", "/elsewhere", Reply(200))
    delivery = record(shop, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("failed", 307) and "Redirect" in delivery.last_error
    assert receiver.count("POST", "/elsewhere") == 0


def test_a_slow_endpoint_times_out(shop, hook, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.3
    receiver.route("POST", "/hook", Reply(200, delay=2))
    delivery = record(shop, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "Timeout" in delivery.last_error and delivery.last_status_code is None


def test_a_delivery_gives_up_after_the_last_attempt(shop, hook, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOKS_MAX_ATTEMPTS = 2
    receiver.route("POST", "/hook", Reply(500))
    with time_machine.travel(T0, tick=False):
        delivery = record(shop, django_capture_on_commit_callbacks)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        webhooks_dispatch_due_task()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("gave_up", 2, None)
    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        assert webhooks_dispatch_due_task() == 0


def test_repeated_failure_disables_the_subscription_and_tells_the_shop_staff(
    shop, hook, receiver, settings, django_capture_on_commit_callbacks, agent,
):
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 3
    staff = ShopMembershipFactory(shop=shop, user=UserFactory(email="owner@shop.example"), role=ShopMembership.Role.STAFF).user
    receiver.route("POST", "/hook", Reply(500))
    deliveries = [record(shop, django_capture_on_commit_callbacks) for _ in range(2)]
    late = record(shop, lambda execute: _no_commit())  # recorded before the third failure, still waiting
    deliveries.append(record(shop, django_capture_on_commit_callbacks))
    hook.refresh_from_db()
    assert not hook.is_active and hook.disabled_at is not None and "3 delivery attempts" in hook.disabled_reason
    assert {WebhookDelivery.objects.get(pk=d.pk).status for d in [*deliveries, late]} == {"gave_up"}
    [notice] = mail.outbox
    assert notice.to == [staff.email] and hook.url in notice.subject and "HTTP 500" in notice.body  # agents are not told
    assert webhook_event_record(shop=shop, event_type=EventType.CASE_CREATED, data={}) is None  # nothing new for it
    assert receiver.count("POST", "/hook") == 3


def test_failing_for_days_disables_too(shop, hook, receiver, django_capture_on_commit_callbacks):
    receiver.route("POST", "/hook", Reply(500))
    WebhookSubscription.objects.filter(pk=hook.pk).update(failing_since=T0 - dt.timedelta(days=3), consecutive_failures=1)
    with time_machine.travel(T0, tick=False):
        record(shop, django_capture_on_commit_callbacks)
    hook.refresh_from_db()
    assert not hook.is_active and "3 days" in hook.disabled_reason


def test_re_enabling_resets_the_failure_count(shop, hook, receiver, django_capture_on_commit_callbacks):
    WebhookSubscription.objects.filter(pk=hook.pk).update(is_active=False, consecutive_failures=15, disabled_reason="x")
    subscription_enable(subscription=hook)
    assert (hook.is_active, hook.consecutive_failures, hook.disabled_reason) == (True, 0, "")
    receiver.route("POST", "/hook", Reply(200))
    assert record(shop, django_capture_on_commit_callbacks).event.deliveries.get().subscription == hook


def test_send_test_event_goes_to_that_subscription_only(shop, hook, receiver, django_capture_on_commit_callbacks):
    other = WebhookSubscriptionFactory(shop=shop, url=f"{receiver.url}/other")
    receiver.route("POST", "/hook", Reply(200))
    with django_capture_on_commit_callbacks(execute=True):
        delivery = subscription_send_test(subscription=hook)
    [sent] = receiver.received("POST", "/hook")
    assert sent.json()["type"] == "webhook.test" and receiver.count("POST", "/other") == 0
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "succeeded" and not other.deliveries.exists()


def test_a_name_that_resolves_to_loopback_at_delivery_is_refused(shop, receiver, dns, django_capture_on_commit_callbacks):
    port = receiver.url.rsplit(":", 1)[1]
    dns["rebind.example.com"] = ["93.184.216.34"]
    subscription_create(shop=shop, url=f"http://rebind.example.com:{port}/hook", events=[EventType.CASE_CREATED])
    dns["rebind.example.com"] = ["127.0.0.1"]  # the DNS answer changes after registration
    receiver.route("POST", "/hook", Reply(200))
    delivery = record(shop, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.last_error.startswith("Refused") and "127.0.0.1" in delivery.last_error
    assert receiver.count("POST", "/hook") == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:127.0.0.1]", "2130706433", "0x7f000001", "169.254.169.254", "10.0.0.1"])
def test_non_global_targets_are_refused_at_delivery(shop, django_capture_on_commit_callbacks, host):
    WebhookSubscriptionFactory(shop=shop, url=f"http://{host}:9/hook", events=[EventType.CASE_CREATED])  # past the registration check
    delivery = record(shop, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.last_error.startswith("Refused")


def test_the_body_is_compact_json():
    assert webhook_delivery.body_of({"a": [1, "é"]}) == json.dumps({"a": [1, "é"]}, ensure_ascii=False, separators=(",", ":")).encode()
