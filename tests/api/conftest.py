"""API personas: the shop's own staff, their shop-scoped and buyer-facing tokens, and the other shop's token."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from PIL import Image

from api.models import TokenScope
from api.services import token_create
from orders.models import ShopMembership
from tests.factories import CarrierFactory, OrderFactory, ParcelFactory, ShopMembershipFactory, TicketFactory, UserFactory
from tests.webhooks.conftest import dns as dns  # the webhooks tests' fake resolver, for the subscription endpoints


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()  # throttle counters live in the cache
    yield
    cache.clear()


@dataclass
class Api:
    """A Django test client that sends one token on every request, JSON by default."""

    client: Client
    secret: str | None

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        out = dict(headers or {})
        if self.secret:
            out.setdefault("Authorization", f"Bearer {self.secret}")
        return out

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(path, json.dumps(body or {}), content_type="application/json", headers=self._headers(headers))

    def multipart(self, path: str, data: dict[str, Any], *, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(path, data, headers=self._headers(headers))

    def patch(self, path: str, body: Any, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(path, json.dumps(body), content_type="application/json", headers=self._headers(headers))


@pytest.fixture
def shop_owner(shop):
    return ShopMembershipFactory(shop=shop, user=UserFactory(username="owner", is_staff=False), role=ShopMembership.Role.STAFF).user


@pytest.fixture
def other_owner(other_shop):
    return ShopMembershipFactory(shop=other_shop, user=UserFactory(username="other_owner"), role=ShopMembership.Role.STAFF).user


@pytest.fixture
def token_pair(shop, shop_owner):
    return token_create(shop=shop, name="ERP", scope=TokenScope.SHOP, acting_user=shop_owner)


@pytest.fixture
def api(token_pair):
    return Api(Client(), token_pair[1])


@pytest.fixture
def buyer_api(shop, shop_owner):
    return Api(Client(), token_create(shop=shop, name="Storefront", scope=TokenScope.BUYER, acting_user=shop_owner)[1])


@pytest.fixture
def other_api(other_shop, other_owner):
    return Api(Client(), token_create(shop=other_shop, name="Their ERP", acting_user=other_owner)[1])


@pytest.fixture
def anonymous_api():
    return Api(Client(), None)


@pytest.fixture
def carrier(db):
    return CarrierFactory(code="cdek", name="CDEK", number_formats=["cdek"])


@pytest.fixture
def parcel(order, carrier):
    return ParcelFactory(order=order, carrier=carrier, tracking_number="1234567890")


@pytest.fixture
def case(order, parcel):
    return TicketFactory(order=order, parcel=parcel)


@pytest.fixture
def other_order(other_shop):
    return OrderFactory(shop=other_shop)


@pytest.fixture
def other_case(other_order):
    return TicketFactory(order=other_order)


def png_bytes(color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 16), color).save(out, "PNG")
    return out.getvalue()


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert set(body) >= {"type", "title", "status", "detail", "instance"}
    assert body["instance"] == response.request["PATH_INFO"]
    return body
