"""The desk's claim pages through the HTTP client: filing from a case, the workflow with its refusals, the
supervisor threshold, the list's filters, and who may reach which URL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ClaimFactory, OrderFactory, TicketFactory
from tests.tickets.claims_world import make_claim, make_desk_agent, make_supervisor, make_world
from tickets.claim_selectors import claims_for_case
from tickets.models import Claim, TicketEvent

Status = Claim.Status


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def move(client, claim: Claim, status: str, **extra: str):
    return client.post(reverse("desk:claim-move", args=[claim.pk]), {"status": status, **extra}, follow=True)


@pytest.fixture
def world(shop, desk_agent):
    return make_world(shop, desk_agent)


def test_urls():
    assert reverse("desk:claims") == "/desk/claims/"
    assert reverse("desk:claim-new", args=[3]) == "/desk/claims/new/3/"
    assert reverse("desk:claim", args=[4]) == "/desk/claims/4/"
    assert reverse("desk:claim-dossier", args=[4]) == "/desk/claims/4/dossier.zip"


def test_new_claim_form_is_prefilled_from_the_order(client, desk_agent, world):
    client.force_login(desk_agent)

    response = client.get(reverse("desk:claim-new", args=[world.ticket.pk]))

    assert response.status_code == 200
    form = response.context["form"]
    assert form["amount"].value() == Decimal("4500.00") and form["currency"].value() == "RUB"
    assert (form["kind"].value(), form["liable_party"].value()) == ("compensation", "carrier")


def test_filing_a_claim_from_a_case(client, desk_agent, world):
    client.force_login(desk_agent)
    data = {"kind": "compensation", "amount": "4500.00", "currency": "rub", "liable_party": "carrier", "insured": "on",
            "note": "Посылка утеряна на сортировке"}

    response = client.post(reverse("desk:claim-new", args=[world.ticket.pk]), data)

    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("desk:claim", args=[claim.pk])
    assert (claim.ticket, claim.status, claim.currency, claim.insured, claim.created_by) == (
        world.ticket, Status.DRAFT, "RUB", True, desk_agent)
    assert claim.note == "Посылка утеряна на сортировке"
    assert TicketEvent.objects.filter(ticket=world.ticket, kind=TicketEvent.Kind.CLAIM_CREATED, actor=desk_agent).exists()


@pytest.mark.parametrize(("field", "value"), [("amount", "-5"), ("currency", "RUBLE"), ("kind", "gift")])
def test_a_bad_claim_is_a_form_error_and_nothing_is_filed(client, desk_agent, world, field, value):
    client.force_login(desk_agent)
    data = {"kind": "compensation", "amount": "10", "currency": "RUB", "liable_party": "carrier"} | {field: value}

    response = client.post(reverse("desk:claim-new", args=[world.ticket.pk]), data)

    assert response.status_code == 200 and field in response.context["form"].errors
    assert not Claim.objects.exists()


def test_claim_page_shows_case_checklist_and_only_the_workflows_next_step(client, desk_agent, world):
    claim = make_claim(world)
    client.force_login(desk_agent)

    response = client.get(reverse("desk:claim", args=[claim.pk]))

    html = response.text
    assert f'href="/desk/cases/{world.ticket.pk}/"' in html and world.ticket.reference in html
    assert 'data-kind="proof_of_value" data-present="1"' in html and "счёт 4500.pdf" in html
    assert [m.status for m in response.context["moves"]] == [Status.SUBMITTED]
    assert 'value="submitted"' in html and 'value="approved"' not in html and 'value="paid"' not in html
    assert reverse("desk:claim-dossier", args=[claim.pk]) in html


def test_the_whole_workflow_through_the_desk(client, desk_agent, world):
    claim = make_claim(world, amount=Decimal("300.00"))
    client.force_login(desk_agent)

    move(client, claim, Status.SUBMITTED)
    move(client, claim, Status.UNDER_REVIEW, external_reference="RP-117")
    move(client, claim, Status.APPROVED, resolution_note="Loss confirmed by the carrier")
    response = move(client, claim, Status.PAID)

    claim.refresh_from_db()
    assert (claim.status, claim.external_reference, claim.resolution_note) == (Status.PAID, "RP-117", "Loss confirmed by the carrier")
    assert "The claim is now Paid." in messages_of(response)
    assert response.context["moves"] == [] and "its workflow has ended" in response.text


def test_submitting_with_missing_evidence_is_refused_then_allowed_with_a_reason(client, desk_agent, shop):
    world = make_world(shop, desk_agent, events=0)  # no tracking timeline held
    claim = make_claim(world)
    client.force_login(desk_agent)

    page = client.get(reverse("desk:claim", args=[claim.pk]))
    refused = move(client, claim, Status.SUBMITTED)

    assert 'name="override_reason"' in page.text
    assert any("evidence is missing: Tracking timeline" in m for m in messages_of(refused))
    claim.refresh_from_db()
    assert claim.status == Status.DRAFT
    move(client, claim, Status.SUBMITTED, override_reason="Russian Post sends the timeline itself")
    claim.refresh_from_db()
    assert (claim.status, claim.evidence_override_reason) == (Status.SUBMITTED, "Russian Post sends the timeline itself")


def test_a_move_the_workflow_forbids_is_refused_with_a_message(client, desk_agent, world):
    claim = make_claim(world)
    client.force_login(desk_agent)

    response = move(client, claim, Status.PAID)

    assert any("A claim cannot go from draft to paid" in m for m in messages_of(response))
    claim.refresh_from_db()
    assert claim.status == Status.DRAFT


def test_above_the_threshold_the_agent_sees_why_and_is_refused_the_supervisor_approves(client, desk_agent, shop, world):
    claim = make_claim(world, amount=Decimal("9000.00"), status=Status.UNDER_REVIEW)
    client.force_login(desk_agent)

    page = client.get(reverse("desk:claim", args=[claim.pk]))
    refused = move(client, claim, Status.APPROVED)

    approve = next(m for m in page.context["moves"] if m.status == Status.APPROVED)
    reject = next(m for m in page.context["moves"] if m.status == Status.REJECTED)
    assert approve.needs_supervisor and not reject.needs_supervisor
    assert "only a supervisor may do this" in page.text
    assert any("Claims above 5000.00 RUB need a supervisor" in m for m in messages_of(refused))
    claim.refresh_from_db()
    assert claim.status == Status.UNDER_REVIEW

    client.force_login(make_supervisor(shop))
    assert not any(m.needs_supervisor for m in client.get(reverse("desk:claim", args=[claim.pk])).context["moves"])
    move(client, claim, Status.APPROVED)
    claim.refresh_from_db()
    assert claim.status == Status.APPROVED


def test_list_filters_by_status_kind_and_shop_and_shows_only_the_users_shops(client, shop, other_shop):
    agent = make_desk_agent(shop, "two-shop-agent")
    second = OrderFactory().shop
    agent.shop_memberships.create(shop=second, role="agent")
    draft = ClaimFactory(ticket=TicketFactory(order=OrderFactory(shop=shop)))
    paid = ClaimFactory(ticket=TicketFactory(order=OrderFactory(shop=shop)), status=Status.PAID, kind=Claim.Kind.REFUND)
    elsewhere = ClaimFactory(ticket=TicketFactory(order=OrderFactory(shop=second)))
    ClaimFactory(ticket=TicketFactory(order=OrderFactory(shop=other_shop)))  # not this agent's shop
    client.force_login(agent)

    def listed(**query: object) -> list[Claim]:
        return list(client.get(reverse("desk:claims"), query).context["page"])

    assert set(listed()) == {draft, paid, elsewhere}
    assert listed(status="paid") == [paid]
    assert listed(kind="compensation", shop=shop.pk) == [draft]
    assert listed(shop=second.pk) == [elsewhere]
    bad = client.get(reverse("desk:claims"), {"status": "lost", "shop": other_shop.pk})
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {"status", "shop"}


def test_list_queries_do_not_grow_with_the_rows(client, desk_agent, shop):
    client.force_login(desk_agent)
    ClaimFactory(ticket=TicketFactory(order=OrderFactory(shop=shop)))
    client.get(reverse("desk:claims"))  # warm-up: session, content types
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("desk:claims"))
    for _ in range(6):
        ClaimFactory(ticket=TicketFactory(order=OrderFactory(shop=shop)))
    with CaptureQueriesContext(connection) as seven:
        response = client.get(reverse("desk:claims"))
    assert len(response.context["page"]) == 7
    assert len(seven) == len(one)


def test_the_case_page_partial_lists_the_cases_claims(world, desk_agent):
    first = make_claim(world, external_reference="CDEK-77")
    second = make_claim(world, kind=Claim.Kind.COUPON, amount=Decimal("200.00"), liable_party=Claim.LiableParty.SELLER)

    html = render_to_string("desk/claims/_case_claims.html", {"ticket": world.ticket, "claims": claims_for_case(world.ticket)})

    assert list(claims_for_case(world.ticket)) == [second, first]
    assert reverse("desk:claim-new", args=[world.ticket.pk]) in html and "File a claim" in html
    assert reverse("desk:claim", args=[first.pk]) in html and reverse("desk:claim-dossier", args=[second.pk]) in html
    assert "CDEK-77" in html and "Coupon" in html and "Draft" in html


# --- access: another shop's agent and buyers get 404 on every URL, anonymous users go to sign in ---


def claim_urls(claim: Claim) -> list[tuple[str, str]]:
    return [
        ("get", reverse("desk:claim", args=[claim.pk])),
        ("get", reverse("desk:claim-dossier", args=[claim.pk])),
        ("post", reverse("desk:claim-move", args=[claim.pk])),
        ("get", reverse("desk:claim-new", args=[claim.ticket_id])),
        ("post", reverse("desk:claim-new", args=[claim.ticket_id])),
    ]


def test_another_shops_agent_gets_404_everywhere(client, world, other_shop):
    claim = make_claim(world, amount=Decimal("10.00"))
    client.force_login(make_desk_agent(other_shop, "rival"))

    for method, url in claim_urls(claim):
        response = getattr(client, method)(url, {"status": "submitted", "kind": "coupon", "amount": "1", "currency": "RUB",
                                                 "liable_party": "seller"})
        assert response.status_code == 404, url
    assert client.get(reverse("desk:claims")).context["page"].paginator.count == 0
    claim.refresh_from_db()
    assert claim.status == Status.DRAFT and Claim.objects.count() == 1


def test_the_buyer_gets_404_everywhere_even_on_their_own_case(client, world):
    claim = make_claim(world)
    client.force_login(world.order.buyer)

    for method, url in [*claim_urls(claim), ("get", reverse("desk:claims"))]:
        assert getattr(client, method)(url).status_code == 404, url


def test_anonymous_users_are_sent_to_sign_in(client, world):
    claim = make_claim(world)
    for method, url in [*claim_urls(claim), ("get", reverse("desk:claims"))]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
