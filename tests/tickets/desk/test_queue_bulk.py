"""Bulk actions from the queue: each case through its service, every refusal reported for its case, 404 for others' cases."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client

from orders.models import ShopMembership
from tests.factories import OrderFactory, ShopMembershipFactory, TicketFactory, UserFactory
from tickets.models import Macro, MacroText, Message, Ticket, TicketEvent, TicketStatus

BULK = "/desk/bulk/"
Kind = TicketEvent.Kind


@pytest.fixture
def desk(client, desk_agent):
    client.force_login(desk_agent)
    return client


def case(shop, **fields) -> Ticket:
    return TicketFactory(order=OrderFactory(shop=shop), **fields)


def post(client, tickets, **data):
    payload = {"ids": [str(t.id) for t in tickets], "next": "/desk/?view=mine", **data}
    return client.post(BULK, payload)


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_assign_to_me(desk, shop, desk_agent):
    first, second = case(shop), case(shop)
    response = post(desk, [first, second], action="assign", assignee="me")
    assert response.status_code == 302 and response["Location"] == "/desk/?view=mine"
    assert set(Ticket.objects.filter(assignee=desk_agent).values_list("id", flat=True)) == {first.id, second.id}
    assert TicketEvent.objects.filter(kind=Kind.ASSIGNED, actor=desk_agent).count() == 2
    assert texts(response) == ["2 cases updated."]


def test_assign_to_an_agent_refuses_the_cases_of_shops_they_do_not_serve(desk, shop, other_shop, desk_agent):
    ShopMembershipFactory(shop=other_shop, user=desk_agent)  # the acting agent serves both shops
    colleague = ShopMembershipFactory(shop=shop, user=UserFactory(username="colleague", is_staff=True)).user
    here, there = case(shop), case(other_shop)
    response = post(desk, [here, there], action="assign", assignee=str(colleague.pk))
    here.refresh_from_db(), there.refresh_from_db()
    assert here.assignee == colleague and there.assignee is None
    assert texts(response) == ["1 case updated.", f"{there.reference} not changed: colleague does not serve this shop."]


def test_unassign(desk, shop, desk_agent):
    mine = case(shop, assignee=desk_agent)
    post(desk, [mine], action="assign", assignee="none")
    mine.refresh_from_db()
    assert mine.assignee is None


def test_taking_another_agents_case_needs_a_supervisor(client, shop, desk_agent):
    colleague = ShopMembershipFactory(shop=shop, user=UserFactory(username="colleague", is_staff=True)).user
    theirs = case(shop, assignee=colleague)
    client.force_login(desk_agent)
    response = post(client, [theirs], action="assign", assignee="me")
    theirs.refresh_from_db()
    assert theirs.assignee == colleague
    assert texts(response) == [f"{theirs.reference} not changed: It is assigned to colleague; only a supervisor can reassign it."]

    supervisor = ShopMembershipFactory(shop=shop, user=UserFactory(username="boss", is_staff=True)).user
    supervisor.groups.add(Group.objects.get(name="supervisors"))
    client.force_login(supervisor)
    post(client, [theirs], action="assign", assignee="me")
    theirs.refresh_from_db()
    assert theirs.assignee == supervisor


def test_change_status_reports_each_move_the_workflow_forbids(desk, shop, desk_agent):
    fresh, resolved = case(shop), case(shop, status=TicketStatus.RESOLVED)
    response = post(desk, [fresh, resolved], action="status", status=TicketStatus.WAITING_ON_CARRIER)
    fresh.refresh_from_db(), resolved.refresh_from_db()
    assert fresh.status == TicketStatus.WAITING_ON_CARRIER and resolved.status == TicketStatus.RESOLVED
    assert texts(response) == [
        "1 case updated.", f"{resolved.reference} not changed: A case cannot go from Resolved to Waiting on carrier.",
    ]
    assert TicketEvent.objects.filter(kind=Kind.STATUS_CHANGED, ticket=fresh).count() == 1
    assert not TicketEvent.objects.filter(kind=Kind.STATUS_CHANGED, ticket=resolved).exists()


def test_apply_macro_to_each_case_and_refuse_it_where_it_does_not_belong(desk, shop, other_shop, desk_agent):
    ShopMembershipFactory(shop=other_shop, user=desk_agent)
    macro = Macro.objects.create(name="Chasing the carrier", shop=shop, set_status=TicketStatus.WAITING_ON_CARRIER)
    MacroText.objects.create(macro=macro, language="ru", body="Здравствуйте! Мы запросили перевозчика по {case_reference}.")
    here, there = case(shop), case(other_shop)
    response = post(desk, [here, there], action="macro", macro=str(macro.pk))
    here.refresh_from_db(), there.refresh_from_db()
    reply = Message.objects.filter(ticket=here, author=desk_agent).get()
    assert here.reference in reply.body and here.status == TicketStatus.WAITING_ON_CARRIER
    assert not Message.objects.filter(ticket=there, author=desk_agent).exists() and there.status == TicketStatus.NEW
    assert texts(response) == ["1 case updated.", f"{there.reference} not changed: The macro “Chasing the carrier” belongs to another shop."]


def test_a_macro_of_a_shop_the_agent_does_not_serve_is_not_a_choice(desk, shop, other_shop):
    macro = Macro.objects.create(name="Theirs", shop=other_shop)
    ticket = case(shop)
    response = post(desk, [ticket], action="macro", macro=str(macro.pk))
    assert not Message.objects.filter(ticket=ticket, author__isnull=False).exclude(author=ticket.buyer).exists()
    assert any("Select a valid choice" in text for text in texts(response))


def test_an_action_without_its_value_is_refused(desk, shop):
    ticket = case(shop)
    response = post(desk, [ticket], action="status")
    assert texts(response) == ["Choose what to set for the selected cases."]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_nothing_selected_is_refused(desk):
    response = desk.post(BULK, {"action": "assign", "assignee": "me"})
    assert response.status_code == 302 and texts(response) == ["Select at least one case."]


def test_a_case_of_another_shop_makes_the_whole_request_404(desk, shop, other_shop, desk_agent):
    mine, theirs = case(shop), case(other_shop)
    response = post(desk, [mine, theirs], action="assign", assignee="me")
    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.assignee is None  # nothing happened, not even to the agent's own case


@pytest.mark.parametrize("bad", ["abc", "999999", "1.5"])
def test_malformed_or_unknown_ids_are_404(desk, shop, bad):
    assert desk.post(BULK, {"ids": [bad], "action": "assign", "assignee": "me"}).status_code == 404


def test_bulk_is_post_only_and_needs_the_csrf_token(desk_agent, shop):
    ticket = case(shop)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(desk_agent)
    assert strict.get(BULK).status_code == 405
    assert strict.post(BULK, {"ids": [ticket.id], "action": "assign", "assignee": "me"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_an_outside_next_url_is_not_followed(desk, shop):
    ticket = case(shop)
    response = desk.post(BULK, {"ids": [ticket.id], "action": "assign", "assignee": "me", "next": "https://evil.example/"})
    assert response["Location"] == "/desk/"


def test_agents_offered_for_assignment_are_those_of_the_shops_served(desk, shop, other_shop):
    ShopMembershipFactory(shop=shop, user=UserFactory(username="colleague", first_name="Colleague", is_staff=True))
    ShopMembershipFactory(shop=other_shop, user=UserFactory(username="stranger", first_name="Stranger", is_staff=True))
    ShopMembershipFactory(shop=shop, user=UserFactory(username="seller", first_name="Seller"), role=ShopMembership.Role.STAFF)
    html = desk.get("/desk/").content.decode()
    bulk = html[html.index('id="queue-bulk"'):]
    assert ">Colleague<" in bulk and ">Stranger<" not in bulk and ">Seller<" not in bulk
