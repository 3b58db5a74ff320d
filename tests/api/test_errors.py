from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def test_unknown_api_url_is_a_problem_404(api):
    assert assert_problem(api.get("/api/v1/nothing-here"), 404)["type"] == "/api/problems/not-found"


def test_django_404_handler_answers_problems_under_api_only(rf):
    from api.errors import handler404

    assert handler404(rf.get("/api/x"))["Content-Type"] == "application/problem+json"
    assert "problem" not in handler404(rf.get("/portal/x"))["Content-Type"]


def test_500_handler_answers_problems_under_api(rf):
    from api.errors import handler500

    response = handler500(rf.get("/api/v1/orders"))
    assert response.status_code == 500 and response["Content-Type"] == "application/problem+json"


def test_wrong_method_is_a_problem_405(api):
    assert_problem(api.client.delete("/api/v1/orders", headers={"Authorization": f"Bearer {api.secret}"}), 405)


def test_malformed_json_is_a_problem_400(api):
    response = api.client.post("/api/v1/cases", "{", content_type="application/json", headers={"Authorization": f"Bearer {api.secret}"})
    assert_problem(response, 400)


def test_unsupported_media_type_is_a_problem_415(api):
    response = api.client.post("/api/v1/cases", "x", content_type="text/plain", headers={"Authorization": f"Bearer {api.secret}"})
    assert_problem(response, 415)


def test_an_unexpected_error_is_logged_and_answered_500(api, monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("api.views.orders.OrderDetailOutputSerializer.to_representation", boom)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/orders/1", headers={"Authorization": f"Bearer {api.secret}"})
    assert response.status_code in (404, 500)  # no such order: the serializer never runs
    from tests.factories import OrderFactory

    order = OrderFactory(shop=api_shop(api))
    response = client.get(f"/api/v1/orders/{order.id}", headers={"Authorization": f"Bearer {api.secret}"})
    body = assert_problem(response, 500)
    assert "database on fire" not in body["detail"] and "API request failed" in caplog.text


def api_shop(api):
    from api.models import ApiToken
    from api.services import token_hash

    return ApiToken.objects.get(key_hash=token_hash(api.secret)).shop


def test_validation_problem_lists_field_errors(api):
    body = assert_problem(api.post("/api/v1/cases", {}), 400)
    assert body["type"] == "/api/problems/validation-error"
    assert {"kind", "subject", "body"} <= set(body["errors"])
