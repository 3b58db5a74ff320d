from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.services import token_revoke
from orders.models import ShopMembership
from tests.api.conftest import Api, assert_problem

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_with_a_challenge(anonymous_api):
    response = anonymous_api.get("/api/v1/orders")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer sdk_wrong", "Bearer", "Bearer a b", "Bearer nottoken"])
def test_bad_tokens_are_401(header):
    response = Client().get("/api/v1/orders", headers={"Authorization": header})
    assert_problem(response, 401)


def test_revoked_token_stops_working(api, token_pair, shop_owner):
    assert api.get("/api/v1/orders").status_code == 200
    token_revoke(token=token_pair[0], acting_user=shop_owner)
    assert_problem(api.get("/api/v1/orders"), 401)


def test_token_stops_when_its_creator_leaves_the_shop(api, shop_owner):
    ShopMembership.objects.filter(user=shop_owner).delete()
    assert "no longer works" in assert_problem(api.get("/api/v1/orders"), 401)["detail"]


def test_last_used_is_recorded_at_most_once_a_minute(api, token_pair):
    token = token_pair[0]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api.get("/api/v1/carriers")
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        api.get("/api/v1/carriers")
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        api.get("/api/v1/carriers")
    token.refresh_from_db()
    assert token.last_used_at == start + dt.timedelta(seconds=61)


def test_session_users_reach_their_shops(client, agent, order, other_order):
    client.force_login(agent)
    body = Api(client, None).get("/api/v1/orders").json()
    assert [r["id"] for r in body["results"]] == [order.id]
    assert Api(client, None).get(f"/api/v1/orders/{other_order.id}").status_code == 404


def test_session_writes_need_csrf(agent, order):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert_problem(Api(client, None).post("/api/v1/cases", {"order": order.id, "kind": "other", "subject": "s", "body": "b"}), 403)


def test_session_cannot_create_orders_without_a_token(client, agent):
    client.force_login(agent)
    assert "API token" in assert_problem(Api(client, None).post("/api/v1/orders", {}), 403)["detail"]


def test_only_the_hash_is_stored(token_pair):
    token, secret = token_pair
    stored = ApiToken.objects.filter(id=token.id).values()[0]
    assert secret not in str(stored) and secret.startswith("sdk_") and len(secret) > 40
    assert token.prefix == secret[:12]
