from __future__ import annotations

import re

import pytest

from api.models import ApiToken
from api.services import token_create, token_hash
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def test_shop_staff_create_a_token_and_see_it_once(client, shop, shop_owner):
    client.force_login(shop_owner)
    response = client.post("/api/tokens/", {"shop": shop.id, "name": "ERP", "scope": "shop"})
    assert response.status_code == 200
    secret = re.search(r"sdk_[A-Za-z0-9_-]{43}", response.content.decode()).group(0)
    token = ApiToken.objects.get()
    assert token.key_hash == token_hash(secret) and token.created_by == shop_owner
    assert secret not in client.get("/api/tokens/").content.decode()  # shown once
    assert Api(client.__class__(), secret).get("/api/v1/orders").status_code == 200


def test_staff_revoke_their_shops_token(client, shop, shop_owner):
    token, secret = token_create(shop=shop, name="ERP", acting_user=shop_owner)
    client.force_login(shop_owner)
    assert client.post(f"/api/tokens/{token.id}/revoke").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_agents_and_buyers_have_no_token_page(client, agent, customer):
    for user in (agent, customer):
        client.force_login(user)
        assert client.get("/api/tokens/").status_code == 404


def test_another_shops_token_cannot_be_revoked_or_chosen(client, shop_owner, other_shop, other_owner):
    theirs, _secret = token_create(shop=other_shop, name="Theirs", acting_user=other_owner)
    client.force_login(shop_owner)
    assert client.post(f"/api/tokens/{theirs.id}/revoke").status_code == 404
    response = client.post("/api/tokens/", {"shop": other_shop.id, "name": "Mine now", "scope": "shop"})
    assert "shop" in response.context["form"].errors
    theirs.refresh_from_db()
    assert theirs.revoked_at is None and ApiToken.objects.count() == 1


def test_signed_out_users_are_sent_to_sign_in(client):
    assert client.get("/api/tokens/").status_code == 302
