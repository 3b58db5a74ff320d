from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def test_per_token_rate_answers_429_with_retry_after(api, other_api, settings):
    settings.API_THROTTLE_TOKEN_RATE = "3/min"
    for _ in range(3):
        assert api.get("/api/v1/carriers").status_code == 200
    response = api.get("/api/v1/carriers")
    assert_problem(response, 429)
    assert 0 < int(response["Retry-After"]) <= 60
    assert other_api.get("/api/v1/carriers").status_code == 200  # another token has its own budget


def test_per_ip_rate_counts_before_authentication(settings):
    settings.API_THROTTLE_IP_RATE = "2/min"
    client = Client()
    for _ in range(2):
        assert client.get("/api/v1/orders", headers={"Authorization": "Bearer sdk_guess"}).status_code == 401
    response = client.get("/api/v1/orders", headers={"Authorization": "Bearer sdk_guess"})
    assert_problem(response, 429)
    assert "Retry-After" in response
    assert Client(REMOTE_ADDR="10.0.0.9").get("/api/v1/orders").status_code == 401  # another address is not held back


def test_a_forged_forwarded_for_header_does_not_dodge_the_ip_limit(settings):
    settings.API_THROTTLE_IP_RATE = "1/min"
    client = Client()
    client.get("/api/v1/orders", headers={"X-Forwarded-For": "1.1.1.1"})
    assert_problem(client.get("/api/v1/orders", headers={"X-Forwarded-For": "2.2.2.2"}), 429)
