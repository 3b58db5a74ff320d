from __future__ import annotations

import pytest

from orders.models import Order
from tests.api.conftest import assert_problem
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def _posting(**changes):
    body = {
        "order_number": "57195475-0050", "posting_number": "57195475-0050-1",
        "buyer": {"email": "Anna@Example.com", "first_name": "Anna"},
        "recipient_name": "Anna Petrova", "city": "Kazan", "address_line": "Baumana 5", "declared_value": "2500.00",
        "placed_at": "2026-11-20T10:00:00Z", "promised_delivery_date": "2026-12-05",
        "lines": [{"sku": "CASE-1", "name": "Phone case", "quantity": 2, "unit_price": "1250.00"}],
    }
    body.update(changes)
    return body


def test_upsert_creates_the_posting_in_the_tokens_shop_with_its_buyer_and_lines(api, shop):
    response = api.post("/api/v1/orders", _posting())
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(id=body["id"])
    assert order.shop == shop and order.buyer.email.lower() == "anna@example.com"
    assert body["lines"] == [{"sku": "CASE-1", "name": "Phone case", "quantity": 2, "unit_price": "1250.00"}]
    assert body["status"] == "placed" and body["buyer_email"].lower() == "anna@example.com"


def test_upsert_again_updates_the_same_posting_and_replaces_lines(api):
    first = api.post("/api/v1/orders", _posting()).json()
    again = api.post("/api/v1/orders", _posting(city="Samara", buyer={"email": "someone@else.example"},
                                                 lines=[{"sku": "X", "name": "Cable", "quantity": 1, "unit_price": "10.00"}]))
    assert again.status_code == 200
    body = again.json()
    assert body["id"] == first["id"] and body["city"] == "Samara"
    assert body["buyer_email"].lower() == "anna@example.com"  # the buyer stays
    assert [line["sku"] for line in body["lines"]] == ["X"]
    assert Order.objects.count() == 1


def test_upsert_keeps_lines_when_none_are_sent(api):
    api.post("/api/v1/orders", _posting())
    body = _posting(city="Samara")
    del body["lines"]
    assert len(api.post("/api/v1/orders", body).json()["lines"]) == 1


def test_upsert_refuses_a_posting_of_another_order_number(api):
    api.post("/api/v1/orders", _posting())
    problem = assert_problem(api.post("/api/v1/orders", _posting(order_number="1-2")), 400)
    assert "order_number" in problem["errors"]


def test_same_posting_number_in_another_shop_is_another_order(api, other_api):
    api.post("/api/v1/orders", _posting())
    assert other_api.post("/api/v1/orders", _posting()).status_code == 201
    assert Order.objects.count() == 2


@pytest.mark.parametrize("field", ["id", "status", "created_at", "updated_at", "buyer_email"])
def test_upsert_rejects_read_only_fields_by_name(api, field):
    problem = assert_problem(api.post("/api/v1/orders", _posting(**{field: "x"})), 400)
    assert problem["errors"] == {field: ["This field is read-only."]}
    assert not Order.objects.exists()


def test_upsert_rejects_unknown_fields_also_inside_lines(api):
    body = _posting(lines=[{"sku": "A", "name": "B", "quantity": 1, "unit_price": "1.00", "colour": "red"}])
    problem = assert_problem(api.post("/api/v1/orders", body), 400)
    assert problem["errors"] == {"lines.0.colour": ["Unknown field."]}


def test_upsert_reports_every_invalid_field(api):
    problem = assert_problem(api.post("/api/v1/orders", _posting(declared_value="-1", currency="rub")), 400)
    assert set(problem["errors"]) == {"declared_value", "currency"}


def test_buyer_facing_token_cannot_write_orders(buyer_api):
    assert_problem(buyer_api.post("/api/v1/orders", _posting()), 403)


def test_list_shows_only_the_tokens_shop(api, order, other_order):
    body = api.get("/api/v1/orders").json()
    assert [row["id"] for row in body["results"]] == [order.id]
    assert set(body) == {"next", "previous", "results"}


def test_list_query_count_does_not_grow_with_the_page(api, shop, django_assert_num_queries):
    OrderFactory.create_batch(5, shop=shop)
    api.get("/api/v1/orders")  # records last_used_at (at most once a minute)
    with django_assert_num_queries(2):  # the token (with shop, creator and their standing), the page with buyers
        assert len(api.get("/api/v1/orders").json()["results"]) == 5


def test_list_filters_by_posting_number_and_status(api, shop):
    wanted = OrderFactory(shop=shop, posting_number="P-1")
    OrderFactory(shop=shop, posting_number="P-2", status=Order.Status.DELIVERED)
    assert [r["id"] for r in api.get("/api/v1/orders", {"posting_number": "P-1"}).json()["results"]] == [wanted.id]
    assert [r["posting_number"] for r in api.get("/api/v1/orders", {"status": "delivered"}).json()["results"]] == ["P-2"]


def test_retrieve_has_the_lines(api, order):
    OrderLineFactory(order=order, sku="S-1")
    body = api.get(f"/api/v1/orders/{order.id}").json()
    assert body["id"] == order.id and [line["sku"] for line in body["lines"]] == ["S-1"]


def test_other_shops_order_is_not_found(api, other_order):
    assert_problem(api.get(f"/api/v1/orders/{other_order.id}"), 404)


def test_missing_order_is_the_same_404(api, other_order):
    theirs = api.get(f"/api/v1/orders/{other_order.id}").json()
    missing = api.get("/api/v1/orders/999999").json()
    assert theirs["detail"] == missing["detail"]


def test_filters_cannot_reach_another_shop(api, other_order):
    response = api.get("/api/v1/orders", {"posting_number": other_order.posting_number})
    assert response.status_code == 200 and response.json()["results"] == []
