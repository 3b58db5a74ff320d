from __future__ import annotations

import re

import pytest

from api.models import ApiToken
from api.services import token_create, token_hash

pytestmark = pytest.mark.django_db


def test_admin_add_shows_the_secret_once_in_a_message(client, superuser, shop):
    client.force_login(superuser)
    response = client.post("/admin/api/apitoken/add/", {"shop": shop.id, "name": "ERP", "scope": "buyer"}, follow=True)
    text = response.content.decode()
    secret = re.search(r"sdk_[A-Za-z0-9_-]{43}", text).group(0)
    token = ApiToken.objects.get()
    assert token.key_hash == token_hash(secret) and token.scope == "buyer" and token.created_by == superuser
    assert secret not in client.get(f"/admin/api/apitoken/{token.id}/change/").content.decode()


def test_admin_revoke_action(client, superuser, shop, shop_owner):
    token, _secret = token_create(shop=shop, name="ERP", acting_user=shop_owner)
    client.force_login(superuser)
    client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.id]})
    token.refresh_from_db()
    assert token.revoked_at is not None
