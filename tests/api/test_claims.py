from __future__ import annotations

from decimal import Decimal

import pytest

from tests.api.conftest import assert_problem
from tests.factories import ClaimFactory
from tickets.models import Claim, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(case):
    return ClaimFactory(ticket=case, amount=Decimal("100.00"))


def test_list_and_retrieve_within_the_shop(api, claim, other_case):
    theirs = ClaimFactory(ticket=other_case)
    assert [c["id"] for c in api.get("/api/v1/claims").json()["results"]] == [claim.id]
    assert api.get(f"/api/v1/claims/{claim.id}").json()["case"] == claim.ticket_id
    assert_problem(api.get(f"/api/v1/claims/{theirs.id}"), 404)
    assert api.get("/api/v1/claims", {"case": other_case.id}).json()["results"] == []


def test_update_moves_along_the_workflow_with_an_event(api, claim):
    missing = assert_problem(api.patch(f"/api/v1/claims/{claim.id}", {"status": "submitted"}), 400)
    assert "evidence is missing" in missing["detail"]  # the desk's checklist rule holds for the API too
    response = api.patch(f"/api/v1/claims/{claim.id}", {"status": "submitted", "override_reason": "invoice follows by e-mail"})
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    assert response.json()["evidence_override_reason"] == "invoice follows by e-mail"
    assert TicketEvent.objects.filter(kind="claim_status_changed").count() == 1
    problem = assert_problem(api.patch(f"/api/v1/claims/{claim.id}", {"status": "paid"}), 400)
    assert "cannot go from" in problem["detail"]


def test_update_refuses_other_fields_by_name(api, claim):
    problem = assert_problem(api.patch(f"/api/v1/claims/{claim.id}", {"status": "submitted", "amount": "1.00"}), 400)
    assert problem["errors"] == {"amount": ["This field is read-only."]}
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DRAFT


def test_approving_above_the_threshold_needs_a_supervisor(api, claim, shop):
    shop.claim_approval_threshold = Decimal("10.00")
    shop.save(update_fields=["claim_approval_threshold"])
    Claim.objects.filter(id=claim.id).update(status=Claim.Status.UNDER_REVIEW)
    assert "supervisor" in assert_problem(api.patch(f"/api/v1/claims/{claim.id}", {"status": "approved"}), 400)["detail"]


def test_buyer_tokens_never_see_claims(buyer_api, claim):
    assert_problem(buyer_api.get("/api/v1/claims"), 403)
    assert_problem(buyer_api.get(f"/api/v1/claims/{claim.id}"), 403)
