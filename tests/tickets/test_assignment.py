"""Automatic assignment per queue: manual, round robin, least loaded; away agents skipped; the away toggle."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import ShopMembership
from tests.factories import OrderFactory, ShopMembershipFactory, TicketFactory, UserFactory
from tickets.assignment import agent_is_away, agent_set_away, ticket_auto_assign
from tickets.models import AgentStatus, AssignmentRule, TicketEvent, TicketKind, TicketStatus
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db
Kind = TicketEvent.Kind


def agents_of(shop, *names):
    return [ShopMembershipFactory(shop=shop, user=UserFactory(username=name, is_staff=True), role=ShopMembership.Role.AGENT).user
            for name in names]


def rule(shop, strategy, agents, kind=""):
    made = AssignmentRule.objects.create(shop=shop, kind=kind, strategy=strategy)
    made.agents.add(*agents)
    return made


def new_case(shop, kind=TicketKind.DELIVERY_DELAY):
    order = OrderFactory(shop=shop)
    return ticket_create(shop=shop, buyer=order.buyer, kind=kind, subject="Where?", body="Help", order=order, acting_user=order.buyer)


def test_round_robin_takes_turns_and_skips_away_agents(shop):
    ann, bob, cat = agents_of(shop, "ann", "bob", "cat")
    rule(shop, "round_robin", [cat, ann, bob])

    first = [new_case(shop).assignee for _ in range(4)]
    agent_set_away(user=bob, is_away=True)
    second = [new_case(shop).assignee for _ in range(2)]

    assert first == [ann, bob, cat, ann]
    assert second == [cat, ann]  # bob is away; the turn goes on from ann
    case = new_case(shop)
    assert list(TicketEvent.objects.filter(ticket=case).values_list("kind", "actor", "new_value")) == [
        (Kind.CREATED, case.buyer.pk, "delivery_delay"), (Kind.ASSIGNED, None, str(case.assignee.pk))
    ]


def test_least_loaded_picks_the_agent_with_fewest_open_cases(shop, other_shop):
    ann, bob = agents_of(shop, "ann", "bob")
    TicketFactory.create_batch(2, order__shop=shop, assignee=ann)
    TicketFactory(order__shop=other_shop, assignee=bob)  # load counts every shop's open cases
    TicketFactory.create_batch(3, order__shop=shop, assignee=bob, status=TicketStatus.CLOSED)  # settled cases do not count
    rule(shop, "least_loaded", [ann, bob])

    assert [new_case(shop).assignee for _ in range(3)] == [bob, ann, bob]  # 2:1 → 2:2 (tie: lowest id) → 3:2


def test_a_kinds_rule_beats_the_shop_rule_and_manual_assigns_nobody(shop):
    ann, bob = agents_of(shop, "ann", "bob")
    rule(shop, "round_robin", [ann])
    rule(shop, "round_robin", [bob], kind=TicketKind.LOST_PARCEL)
    rule(shop, "manual", [ann, bob], kind=TicketKind.DAMAGED)

    assert new_case(shop, TicketKind.LOST_PARCEL).assignee == bob
    assert new_case(shop, TicketKind.OTHER).assignee == ann
    assert new_case(shop, TicketKind.DAMAGED).assignee is None


def test_nobody_available_leaves_the_case_unassigned(shop, other_agent):
    ann, bob = agents_of(shop, "ann", "bob")
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    agent_set_away(user=ann, is_away=True, away_until=timezone.now() + dt.timedelta(hours=2))
    rule(shop, "round_robin", [ann, bob, other_agent])  # other_agent does not serve this shop

    case = new_case(shop)

    assert case.assignee is None
    assert not TicketEvent.objects.filter(ticket=case, kind=Kind.ASSIGNED).exists()


def test_an_assigned_case_is_left_alone(shop, agent):
    ann, = agents_of(shop, "ann")
    rule(shop, "round_robin", [ann])
    case = TicketFactory(order__shop=shop, assignee=agent)
    assert ticket_auto_assign(ticket=case).assignee == agent
    assert AssignmentRule.objects.get().last_assigned is None


def test_away_until_a_time_in_the_past_is_refused_and_coming_back_clears_it(agent):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        agent_set_away(user=agent, is_away=True, away_until=timezone.now() - dt.timedelta(minutes=1))
    agent_set_away(user=agent, is_away=True, away_until=timezone.now() + dt.timedelta(hours=1))
    assert agent_is_away(agent)
    assert not agent_is_away(agent, timezone.now() + dt.timedelta(hours=2))
    status = agent_set_away(user=agent, is_away=False)
    assert (status.is_away, status.away_until) == (False, None)


# --- the away toggle at /desk/me/away/ ---

URL = "/desk/me/away/"


def test_the_url_is_the_desks():
    assert reverse("desk:agent-away") == URL


def test_an_agent_marks_themselves_away_and_back(client, desk_agent):
    client.force_login(desk_agent)

    response = client.post(URL, {"away": "on", "until": "2099-01-02T10:30", "next": "/desk/?mine=1"})

    assert (response.status_code, response["Location"]) == (302, "/desk/?mine=1")
    status = AgentStatus.objects.get(user=desk_agent)
    assert status.is_away and timezone.localtime(status.away_until).strftime("%Y-%m-%d %H:%M") == "2099-01-02 10:30"

    response = client.post(URL, {"next": "https://evil.example/"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="away-toggle"' in response.text and "Available" in response.text
    assert not AgentStatus.objects.get(user=desk_agent).is_away


def test_bad_input_gets_a_400_with_the_reason(client, desk_agent):
    client.force_login(desk_agent)
    assert client.post(URL, {"away": "on", "until": "tomorrow-ish"}).status_code == 400
    response = client.post(URL, {"away": "on", "until": "2001-01-01T10:00"})
    assert response.status_code == 400 and "future" in response.text
    assert not AgentStatus.objects.filter(user=desk_agent).exists()


def test_only_desk_staff_reach_the_toggle(client, customer):
    assert client.post(URL, {"away": "on"}).status_code == 302  # to the sign-in page
    client.force_login(customer)
    assert client.post(URL, {"away": "on"}).status_code == 404
    assert not AgentStatus.objects.exists()


def test_the_toggle_takes_only_posts(client, desk_agent):
    client.force_login(desk_agent)
    assert client.get(URL).status_code == 405
