from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _walk(api, path, params):
    seen, url, pages = [], path, 0
    while url:
        body = api.get(url, params if url == path else None).json()
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    return seen, pages


def test_cursor_walks_every_row_once_newest_first(api, shop):
    ids = [o.id for o in OrderFactory.create_batch(7, shop=shop)]
    seen, pages = _walk(api, "/api/v1/orders", {"page_size": 3})
    assert seen == sorted(ids, reverse=True) and pages == 3


def test_cursor_is_stable_when_rows_are_added_meanwhile(api, shop):
    ids = [o.id for o in OrderFactory.create_batch(4, shop=shop)]
    first = api.get("/api/v1/orders", {"page_size": 2}).json()
    OrderFactory.create_batch(3, shop=shop)  # newer rows do not shift the next page
    second = api.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == sorted(ids, reverse=True)[2:]


def test_ordering_by_updated_at_breaks_ties_by_id(api, shop):
    orders = OrderFactory.create_batch(5, shop=shop)
    from orders.models import Order

    Order.objects.update(updated_at=orders[0].updated_at)  # all tied
    seen, _pages = _walk(api, "/api/v1/orders", {"page_size": 2, "ordering": "updated_at"})
    assert seen == sorted(o.id for o in orders)


@pytest.mark.parametrize("size", ["0", "201", "-1", "ten"])
def test_page_size_outside_1_to_200_is_a_400(api, size):
    assert "page_size" in assert_problem(api.get("/api/v1/orders", {"page_size": size}), 400)["errors"]


def test_page_size_cap_follows_settings(api, shop, settings):
    settings.API_MAX_PAGE_SIZE = 2
    assert_problem(api.get("/api/v1/orders", {"page_size": "3"}), 400)
    assert api.get("/api/v1/orders", {"page_size": "2"}).status_code == 200


def test_a_forged_cursor_is_a_400(api):
    assert "cursor" in assert_problem(api.get("/api/v1/orders", {"cursor": "bz1hYmM="}), 400)["errors"]
