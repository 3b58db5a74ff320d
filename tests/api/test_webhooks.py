from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem
from tests.factories import WebhookSubscriptionFactory
from tests.logistics.carrier_server import CarrierServer, Reply
from webhooks.models import TEST_EVENT_TYPE, EventType, WebhookDelivery, WebhookSubscription
from webhooks.outbox import record_event

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/in"
BODY = {"url": URL, "events": ["case.created", "claim.updated"], "description": "ERP"}


@pytest.fixture
def hook(shop):
    return WebhookSubscriptionFactory(shop=shop, events=[EventType.CASE_CREATED])


def test_create_shows_the_secret_in_that_response_only(api, shop, dns):
    response = api.post("/api/v1/webhooks", BODY)
    assert response.status_code == 201, response.content
    body = response.json()
    stored = WebhookSubscription.objects.get()
    assert body["secret"] == stored.secret and body["secret"].startswith("whsec_")
    assert (body["url"], body["events"], body["description"], body["is_active"]) == (URL, BODY["events"], "ERP", True)
    assert stored.shop == shop
    retrieved = api.get(f"/api/v1/webhooks/{stored.id}").json()
    assert "secret" not in retrieved and retrieved["id"] == stored.id
    [listed] = api.get("/api/v1/webhooks").json()["results"]
    assert "secret" not in listed and listed["url"] == URL


def test_list_retrieve_and_every_operation_stay_within_the_shop(api, hook, other_shop):
    theirs = WebhookSubscriptionFactory(shop=other_shop)
    assert [s["id"] for s in api.get("/api/v1/webhooks").json()["results"]] == [hook.id]
    assert_problem(api.get(f"/api/v1/webhooks/{theirs.id}"), 404)
    assert_problem(api.get(f"/api/v1/webhooks/{theirs.id}/deliveries"), 404)
    assert_problem(api.post(f"/api/v1/webhooks/{theirs.id}/test"), 404)
    assert_problem(api.client.delete(f"/api/v1/webhooks/{theirs.id}", headers=api._headers(None)), 404)
    assert WebhookSubscription.objects.filter(id=theirs.id).exists()
    assert not WebhookDelivery.objects.exists()


def test_list_filters_on_is_active_and_refuses_unknown_parameters(api, shop):
    active, disabled = WebhookSubscriptionFactory(shop=shop), WebhookSubscriptionFactory(shop=shop, is_active=False)
    assert [s["id"] for s in api.get("/api/v1/webhooks", {"is_active": "false"}).json()["results"]] == [disabled.id]
    assert [s["id"] for s in api.get("/api/v1/webhooks", {"ordering": "created_at"}).json()["results"]] == [active.id, disabled.id]
    assert list(assert_problem(api.get("/api/v1/webhooks", {"url": URL}), 400)["errors"]) == ["url"]
    assert list(assert_problem(api.get("/api/v1/webhooks", {"ordering": "url"}), 400)["errors"]) == ["ordering"]


@pytest.mark.parametrize("url", [
    "not a url",
    "ftp://hooks.example.com/in",
    "javascript:alert(1)",
    "http://127.0.0.1/hook",
    "http://10.1.2.3/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::ffff:127.0.0.1]/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "https://user:pw@hooks.example.com/in",
    "https://internal.example.com/in",
    "https://hooks.example.com:99999/in",
    "https://" + "a" * 2100 + ".example.com/",
    "http://" + "a" * 70 + ".example.com/",
])
def test_unsafe_or_invalid_urls_are_a_400_on_the_url_field(api, dns, url):
    dns["internal.example.com"] = ["192.168.1.5"]
    problem = assert_problem(api.post("/api/v1/webhooks", {**BODY, "url": url}), 400)
    assert list(problem["errors"]) == ["url"]
    assert not WebhookSubscription.objects.exists()


def test_loopback_is_allowed_only_by_the_setting(api, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    assert "not a public internet address" in assert_problem(
        api.post("/api/v1/webhooks", {**BODY, "url": "http://127.0.0.1:8000/hook"}), 400)["errors"]["url"][0]
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    assert api.post("/api/v1/webhooks", {**BODY, "url": "http://127.0.0.1:8000/hook"}).status_code == 201


@pytest.mark.parametrize(("body", "field"), [
    ({**BODY, "events": ["case.deleted"]}, "events.0"),
    ({**BODY, "events": [TEST_EVENT_TYPE]}, "events.0"),
    ({**BODY, "events": []}, "events"),
    ({"url": URL}, "events"),
    ({**BODY, "secret": "whsec_mine"}, "secret"),
    ({**BODY, "colour": "red"}, "colour"),
])
def test_bad_events_and_fields_are_refused_by_name(api, dns, body, field):
    assert list(assert_problem(api.post("/api/v1/webhooks", body), 400)["errors"]) == [field]
    assert not WebhookSubscription.objects.exists()


def test_delete_removes_the_subscription_and_its_log(api, hook):
    record_event(shop=hook.shop, event_type=EventType.CASE_CREATED, data={})
    response = api.client.delete(f"/api/v1/webhooks/{hook.id}", headers=api._headers(None))
    assert response.status_code == 204 and response.content == b""
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()
    assert_problem(api.client.delete(f"/api/v1/webhooks/{hook.id}", headers=api._headers(None)), 404)


def test_send_test_queues_a_test_event_for_that_subscription_alone(api, hook, shop):
    WebhookSubscriptionFactory(shop=shop)  # another subscription of the shop, not sent to
    response = api.post(f"/api/v1/webhooks/{hook.id}/test")
    assert response.status_code == 202, response.content
    body = response.json()
    delivery = WebhookDelivery.objects.get()
    assert (body["id"], body["event_id"], body["event_type"], body["status"]) == (
        delivery.id, delivery.event_id, TEST_EVENT_TYPE, "pending")
    assert delivery.subscription == hook


def test_send_test_is_delivered_to_a_local_receiver(api, shop, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    with CarrierServer() as receiver:
        receiver.route("POST", "/hook", Reply(200, body="ok"))
        hook = WebhookSubscriptionFactory(shop=shop, url=f"{receiver.url}/hook")
        with django_capture_on_commit_callbacks(execute=True):
            assert api.post(f"/api/v1/webhooks/{hook.id}/test").status_code == 202
        [sent] = receiver.received("POST", "/hook")
    assert sent.json()["type"] == TEST_EVENT_TYPE
    [row] = api.get(f"/api/v1/webhooks/{hook.id}/deliveries").json()["results"]
    assert (row["status"], row["attempts"], row["last_status_code"], row["last_error"]) == ("succeeded", 1, 200, "")
    assert row["delivered_at"] is not None and row["next_attempt_at"] is None


def test_send_test_to_a_disabled_subscription_is_a_400(api, shop):
    hook = WebhookSubscriptionFactory(shop=shop, is_active=False)
    assert "disabled" in assert_problem(api.post(f"/api/v1/webhooks/{hook.id}/test"), 400)["detail"]
    assert not WebhookDelivery.objects.exists()


def test_deliveries_list_is_the_subscriptions_log_newest_first(api, hook, shop, django_assert_num_queries):
    other = WebhookSubscriptionFactory(shop=shop, events=[EventType.CASE_CREATED])
    first = record_event(shop=shop, event_type=EventType.CASE_CREATED, data={"n": 1})
    second = record_event(shop=shop, event_type=EventType.CASE_CREATED, data={"n": 2})
    WebhookDelivery.objects.filter(subscription=hook, event=first).update(
        status=WebhookDelivery.Status.FAILED, attempts=2, last_status_code=503, last_error="HTTP 503")
    with django_assert_num_queries(4):  # token, subscription, page of deliveries with their events, last-used stamp
        rows = api.get(f"/api/v1/webhooks/{hook.id}/deliveries").json()["results"]
    assert [(r["event_id"], r["event_type"]) for r in rows] == [(second.id, "case.created"), (first.id, "case.created")]
    assert rows[1]["status"] == "failed" and rows[1]["attempts"] == 2 and rows[1]["last_status_code"] == 503
    failed = api.get(f"/api/v1/webhooks/{hook.id}/deliveries", {"status": "failed"}).json()["results"]
    assert [r["event_id"] for r in failed] == [first.id]
    assert len(api.get(f"/api/v1/webhooks/{other.id}/deliveries").json()["results"]) == 2
    assert list(assert_problem(api.get(f"/api/v1/webhooks/{hook.id}/deliveries", {"event": first.id}), 400)["errors"]) == ["event"]


def test_buyer_tokens_cannot_reach_webhooks(buyer_api, hook, dns):
    assert_problem(buyer_api.get("/api/v1/webhooks"), 403)
    assert_problem(buyer_api.post("/api/v1/webhooks", BODY), 403)
    assert_problem(buyer_api.get(f"/api/v1/webhooks/{hook.id}"), 403)
    assert_problem(buyer_api.client.delete(f"/api/v1/webhooks/{hook.id}", headers=buyer_api._headers(None)), 403)
    assert_problem(buyer_api.post(f"/api/v1/webhooks/{hook.id}/test"), 403)
    assert_problem(buyer_api.get(f"/api/v1/webhooks/{hook.id}/deliveries"), 403)
    assert WebhookSubscription.objects.filter(id=hook.id).exists() and WebhookSubscription.objects.count() == 1


def test_create_replays_with_the_same_key_and_refuses_another_body(api, dns):
    headers = {"Idempotency-Key": "hook-1"}
    first = api.post("/api/v1/webhooks", BODY, headers=headers)
    again = api.post("/api/v1/webhooks", BODY, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again.json()["secret"] == WebhookSubscription.objects.get().secret
    assert_problem(api.post("/api/v1/webhooks", {**BODY, "description": "other"}, headers=headers), 422)
    assert WebhookSubscription.objects.count() == 1


def test_send_test_to_a_host_that_now_resolves_privately_fails_the_delivery_not_the_request(
        api, hook, dns, django_capture_on_commit_callbacks):
    dns["hooks.example.com"] = ["10.0.0.7"]  # DNS changed since the subscription was made
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/webhooks/{hook.id}/test")
    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert delivery.status != WebhookDelivery.Status.SUCCEEDED and "public" in delivery.last_error
    [row] = api.get(f"/api/v1/webhooks/{hook.id}/deliveries").json()["results"]
    assert (row["status"], row["last_error"]) == (delivery.status, delivery.last_error)
