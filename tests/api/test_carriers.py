from __future__ import annotations

import pytest

from logistics.tracking_numbers import make_s10
from tests.api.conftest import assert_problem
from tests.factories import CarrierFactory

pytestmark = pytest.mark.django_db


def test_list_active_carriers(api, carrier):
    CarrierFactory(code="gone", is_active=False)
    assert [c["code"] for c in api.get("/api/v1/carriers").json()["results"]] == ["cdek"]


def test_validate_normalises_a_good_number(api):
    CarrierFactory(code="rp", number_formats=["s10"])
    good = make_s10("RB", "12345678", "CN")
    assert api.post("/api/v1/carriers/rp/validate", {"tracking_number": good.lower()}).json() == {
        "valid": True, "normalized": good, "error": None
    }


def test_validate_says_what_is_wrong(api):
    CarrierFactory(code="rp", number_formats=["s10"])
    body = api.post("/api/v1/carriers/rp/validate", {"tracking_number": "RB123456789CN"}).json()
    assert body["valid"] is False and body["normalized"] is None and "check digit should be" in body["error"]


def test_validate_unknown_carrier_is_404(api):
    assert_problem(api.post("/api/v1/carriers/nope/validate", {"tracking_number": "x"}), 404)
