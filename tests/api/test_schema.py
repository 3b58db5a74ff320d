"""The OpenAPI schema: generated without warnings, valid, and honoured by the live server (schemathesis)."""

from __future__ import annotations

import re

import pytest
import schemathesis
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services import token_create
from orders.models import ShopMembership
from tests.factories import ClaimFactory, MessageFactory, OrderLineFactory, ParcelFactory, ShopMembershipFactory, TicketFactory

EXAMPLES_PER_OPERATION = 12  # ~15 operations: well under a minute


@pytest.mark.django_db
def test_schema_generates_and_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text()
    assert "application/problem+json" in text and "Idempotency-Key" in text


@pytest.mark.django_db
def test_schema_and_docs_are_served_without_a_cdn():
    assert Client().get("/api/schema/").status_code == 200
    docs = Client().get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "/static/drf_spectacular_sidecar/" in docs
    assets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', docs)  # all from the app, none from a CDN
    assert assets and all(url.startswith("/") and not url.startswith("//") for url in assets), assets


@pytest.fixture
def seeded_token(shop, carrier, order):
    owner = ShopMembershipFactory(shop=shop, role=ShopMembership.Role.STAFF).user
    OrderLineFactory(order=order)
    parcel = ParcelFactory(order=order, carrier=carrier, tracking_number="1234567890")
    case = TicketFactory(order=order, parcel=parcel)
    MessageFactory(ticket=case)
    ClaimFactory(ticket=case)
    from tests.factories import WebhookSubscriptionFactory

    WebhookSubscriptionFactory(shop=shop)  # its host does not resolve here: a test event sent to it fails, not the request
    return token_create(shop=shop, name="fuzz", acting_user=owner)[1]


@pytest.fixture
def carrier(db):
    from tests.factories import CarrierFactory

    return CarrierFactory(code="cdek", number_formats=["cdek"])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the flush after it would drop the staff groups
def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_server, seeded_token, settings):
    settings.API_THROTTLE_TOKEN_RATE = settings.API_THROTTLE_IP_RATE = "100000/min"
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    headers = {"Authorization": f"Bearer {seeded_token}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
              response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                             phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(base_url=live_server.url, headers=headers, checks=checks)

        run()
