from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from orders.models import Order
from tests.api.conftest import assert_problem
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/parcels", "/api/v1/cases", "/api/v1/claims"])
def test_updated_since_on_every_list(api, path):
    assert api.get(path, {"updated_since": "2026-01-01T00:00:00Z"}).status_code == 200
    assert "updated_since" in assert_problem(api.get(path, {"updated_since": "yesterday"}), 400)["errors"]


def test_updated_since_returns_rows_changed_from_then(api, shop):
    old, new = OrderFactory(shop=shop), OrderFactory(shop=shop)
    Order.objects.filter(id=old.id).update(updated_at=timezone.now() - dt.timedelta(days=3))
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert [r["id"] for r in api.get("/api/v1/orders", {"updated_since": since}).json()["results"]] == [new.id]


@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/parcels", "/api/v1/cases", "/api/v1/claims", "/api/v1/carriers"])
def test_unknown_query_parameters_are_refused(api, path):
    problem = assert_problem(api.get(path, {"buyer__email": "x@example.com"}), 400)
    assert list(problem["errors"]) == ["buyer__email"]


def test_filtering_on_an_unlisted_field_is_refused(api, order):
    assert "recipient_name" in assert_problem(api.get("/api/v1/orders", {"recipient_name": "Ivan Petrov"}), 400)["errors"]


@pytest.mark.parametrize("ordering", ["recipient_name", "-buyer__email", "id,placed_at", ""])
def test_ordering_only_on_listed_fields(api, ordering):
    assert "ordering" in assert_problem(api.get("/api/v1/orders", {"ordering": ordering}), 400)["errors"]


def test_ordering_on_a_listed_field(api, shop):
    early = OrderFactory(shop=shop, placed_at=timezone.now() - dt.timedelta(days=30))
    late = OrderFactory(shop=shop, placed_at=timezone.now() - dt.timedelta(days=1))
    assert [r["id"] for r in api.get("/api/v1/orders", {"ordering": "placed_at"}).json()["results"]] == [early.id, late.id]
    assert [r["id"] for r in api.get("/api/v1/orders", {"ordering": "-placed_at"}).json()["results"]] == [late.id, early.id]


def test_lists_without_ordering_refuse_it(api, case):
    assert_problem(api.get(f"/api/v1/cases/{case.id}/messages", {"ordering": "id"}), 400)
