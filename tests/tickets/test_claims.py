"""Claims above the shop's approval threshold: only supervisors approve or pay them, in every interface."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from orders.models import Shop, ShopMembership
from tests.factories import ClaimFactory, OrderFactory, ShopMembershipFactory, TicketFactory, UserFactory
from tickets.models import Claim, TicketEvent
from tickets.services import claim_change_status

Status = Claim.Status


@pytest.fixture
def supervisor(shop):
    user = UserFactory(username="supervisor", is_staff=True)
    ShopMembershipFactory(shop=shop, user=user, role=ShopMembership.Role.AGENT)
    user.groups.add(Group.objects.get(name="supervisors"))
    return user


def make_claim(shop: Shop, amount: str, status: str = Status.UNDER_REVIEW, currency: str = "RUB") -> Claim:
    ticket = TicketFactory(order=OrderFactory(shop=shop))
    return ClaimFactory(ticket=ticket, amount=Decimal(amount), status=status, currency=currency)


def claim_events(claim: Claim) -> list[tuple[str, str]]:
    events = TicketEvent.objects.filter(ticket=claim.ticket, kind=TicketEvent.Kind.CLAIM_STATUS_CHANGED)
    return list(events.values_list("old_value", "new_value"))


def test_shop_threshold_defaults_to_5000(shop):
    assert shop.claim_approval_threshold == Decimal("5000.00")


@pytest.mark.parametrize("amount", ["4999.99", "5000.00"])
def test_agent_approves_at_or_below_the_threshold(desk_agent, shop, amount):
    claim = make_claim(shop, amount)

    claim = claim_change_status(claim=claim, status=Status.APPROVED, acting_user=desk_agent)

    assert claim.status == Status.APPROVED
    assert claim_events(claim) == [(f"{claim.pk}:under_review", f"{claim.pk}:approved")]


def test_agent_is_refused_above_the_threshold_and_nothing_changes(desk_agent, shop):
    claim = make_claim(shop, "5000.01", currency="CNY")

    with pytest.raises(ValidationError) as refused:
        claim_change_status(claim=claim, status=Status.APPROVED, acting_user=desk_agent)

    message = " ".join(refused.value.messages)
    assert "5000.00 CNY" in message and "5000.01 CNY" in message and "supervisor" in message
    claim.refresh_from_db()
    assert claim.status == Status.UNDER_REVIEW
    assert claim_events(claim) == []


def test_the_shops_own_threshold_applies(desk_agent, shop):
    shop.claim_approval_threshold = Decimal("1000.00")
    shop.save(update_fields=["claim_approval_threshold"])
    claim = make_claim(shop, "1999.00")

    with pytest.raises(ValidationError, match="1000.00 RUB"):
        claim_change_status(claim=claim, status=Status.APPROVED, acting_user=desk_agent)


def test_supervisor_approves_and_pays_above_the_threshold(supervisor, shop):
    claim = make_claim(shop, "80000.00")

    claim = claim_change_status(claim=claim, status=Status.APPROVED, acting_user=supervisor)
    claim = claim_change_status(claim=claim, status=Status.PAID, acting_user=supervisor)

    assert claim.status == Status.PAID
    assert [new for _, new in claim_events(claim)] == [f"{claim.pk}:approved", f"{claim.pk}:paid"]


def test_agent_cannot_pay_an_approved_claim_above_the_threshold(desk_agent, shop):
    claim = make_claim(shop, "80000.00", status=Status.APPROVED)

    with pytest.raises(ValidationError, match="need a supervisor"):
        claim_change_status(claim=claim, status=Status.PAID, acting_user=desk_agent)

    claim.refresh_from_db()
    assert claim.status == Status.APPROVED
    assert claim_events(claim) == []


def test_agent_pays_an_approved_claim_below_the_threshold(desk_agent, shop):
    claim = make_claim(shop, "300.00", status=Status.APPROVED)
    assert claim_change_status(claim=claim, status=Status.PAID, acting_user=desk_agent).status == Status.PAID


@pytest.mark.parametrize("old", [Status.SUBMITTED, Status.UNDER_REVIEW])
def test_rejection_follows_the_workflow_whatever_the_amount(desk_agent, shop, old):
    claim = make_claim(shop, "80000.00", status=old)
    assert claim_change_status(claim=claim, status=Status.REJECTED, acting_user=desk_agent).status == Status.REJECTED


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (Status.UNDER_REVIEW, Status.PAID),  # paid only after approval, even for a supervisor
        (Status.REJECTED, Status.PAID),
        (Status.APPROVED, Status.REJECTED),
        (Status.PAID, Status.APPROVED),
        (Status.DRAFT, Status.APPROVED),
    ],
)
def test_the_workflow_still_decides_first(supervisor, shop, old, new):
    claim = make_claim(shop, "10.00", status=old)

    with pytest.raises(ValidationError, match="A claim cannot go from"):
        claim_change_status(claim=claim, status=new, acting_user=supervisor)

    claim.refresh_from_db()
    assert claim.status == old
    assert claim_events(claim) == []


# --- through the admin's claim change form: a refusal is a message on the form, never a 500 ---


def claim_form(claim: Claim, **changes: object) -> dict[str, object]:
    data = {
        "kind": claim.kind, "amount": str(claim.amount), "currency": claim.currency, "liable_party": claim.liable_party,
        "status": claim.status,
    }
    return data | changes


def post_claim(client, user, claim: Claim, **changes: object):
    client.force_login(user)
    return client.post(reverse("admin:tickets_claim_change", args=[claim.pk]), claim_form(claim, **changes))


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_admin_refuses_an_agent_paying_above_the_threshold_with_a_message(client, desk_agent, shop):
    claim = make_claim(shop, "80000.00", status=Status.APPROVED)

    response = post_claim(client, desk_agent, claim, status=Status.PAID)

    assert response.status_code == 302  # back to the form, not a 500
    claim.refresh_from_db()
    assert claim.status == Status.APPROVED
    assert any("Claims above 5000.00 RUB need a supervisor" in message for message in messages_of(response))
    assert claim_events(claim) == []


def test_admin_refuses_an_agent_approving_above_the_threshold(client, desk_agent, shop):
    claim = make_claim(shop, "80000.00")

    response = post_claim(client, desk_agent, claim, status=Status.APPROVED)

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Status.UNDER_REVIEW
    assert any("supervisor" in message for message in messages_of(response))


def test_admin_lets_a_supervisor_approve_and_pay_above_the_threshold(client, supervisor, shop):
    claim = make_claim(shop, "80000.00")

    post_claim(client, supervisor, claim, status=Status.APPROVED)
    claim.refresh_from_db()
    response = post_claim(client, supervisor, claim, status=Status.PAID)

    claim.refresh_from_db()
    assert claim.status == Status.PAID
    assert not any("supervisor" in message for message in messages_of(response))


def test_shop_admin_edits_the_threshold(client, superuser, shop):
    client.force_login(superuser)

    response = client.get(reverse("admin:orders_shop_change", args=[shop.pk]))

    assert 'name="claim_approval_threshold"' in response.text
