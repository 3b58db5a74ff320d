"""Admin for SLA policies, shop calendars, assignment rules and agent availability: pages, scoping, refusals."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from orders.models import ShopMembership
from tests.factories import ShopMembershipFactory, SlaPolicyFactory, UserFactory
from tickets.models import AgentStatus, AssignmentRule, ShopCalendar

pytestmark = pytest.mark.django_db
MODELS = ("slapolicy", "shopcalendar", "assignmentrule", "agentstatus")


@pytest.fixture
def supervisor(shop):
    user = ShopMembershipFactory(shop=shop, user=UserFactory(username="boss", is_staff=True), role=ShopMembership.Role.AGENT).user
    user.groups.add(Group.objects.get(name="supervisors"))
    return user


@pytest.mark.parametrize("model", MODELS)
def test_every_page_opens_for_a_superuser(client, superuser, shop, model):
    client.force_login(superuser)
    assert client.get(reverse(f"admin:tickets_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:tickets_{model}_add")).status_code == 200


def test_agents_see_their_shops_and_shared_policies_and_may_not_edit(client, desk_agent, shop, other_shop):
    SlaPolicyFactory(shop=None, name="Everyone")
    SlaPolicyFactory(shop=shop, name="Ours")
    SlaPolicyFactory(shop=other_shop, name="Theirs")
    client.force_login(desk_agent)

    response = client.get(reverse("admin:tickets_slapolicy_changelist"))

    assert response.status_code == 200
    assert "Everyone" in response.text and "Ours" in response.text and "Theirs" not in response.text
    assert client.get(reverse("admin:tickets_slapolicy_add")).status_code == 403


def test_a_supervisor_writes_a_shop_policy_but_not_a_shared_one(client, supervisor, shop):
    client.force_login(supervisor)
    data = {"name": "Fast", "kind": "", "priority": "", "first_response_minutes": 60, "resolution_minutes": 600,
            "warn_before_minutes": 15, "is_active": "on"}

    refused = client.post(reverse("admin:tickets_slapolicy_add"), data | {"shop": ""})
    saved = client.post(reverse("admin:tickets_slapolicy_add"), data | {"shop": shop.pk})

    assert refused.status_code == 200 and "This field is required" in refused.text
    assert saved.status_code == 302
    shared = SlaPolicyFactory(shop=None)
    assert client.get(reverse("admin:tickets_slapolicy_change", args=[shared.pk])).status_code == 200  # view only
    assert client.post(reverse("admin:tickets_slapolicy_change", args=[shared.pk]), data).status_code == 403


def test_a_calendar_with_hours_and_special_days_is_saved_from_one_form(client, supervisor, shop):
    client.force_login(supervisor)
    data = {
        "shop": shop.pk, "holiday_country": "RU",
        "hours-TOTAL_FORMS": 1, "hours-INITIAL_FORMS": 0, "hours-0-weekday": 0, "hours-0-opens": "09:00", "hours-0-closes": "18:00",
        "special_days-TOTAL_FORMS": 1, "special_days-INITIAL_FORMS": 0, "special_days-0-date": "2026-12-30",
        "special_days-0-opens": "09:00", "special_days-0-closes": "17:00", "special_days-0-note": "short day",
    }

    response = client.post(reverse("admin:tickets_shopcalendar_add"), data)

    assert response.status_code == 302, response.text
    calendar = ShopCalendar.objects.get(shop=shop)
    assert calendar.hours.count() == 1 and calendar.special_days.get().note == "short day"


def test_an_assignment_rule_refuses_agents_who_do_not_serve_the_shop(client, supervisor, shop, agent, other_agent, superuser):
    client.force_login(superuser)
    data = {"shop": shop.pk, "kind": "", "strategy": "round_robin", "agents": [agent.pk, other_agent.pk], "is_active": "on"}

    refused = client.post(reverse("admin:tickets_assignmentrule_add"), data)
    saved = client.post(reverse("admin:tickets_assignmentrule_add"), data | {"agents": [agent.pk, supervisor.pk]})

    assert refused.status_code == 200 and "do not serve" in refused.text
    assert saved.status_code == 302
    assert set(AssignmentRule.objects.get().agents.all()) == {agent, supervisor}


def test_agent_status_is_saved_through_the_service(client, supervisor, agent):
    client.force_login(supervisor)
    url = reverse("admin:tickets_agentstatus_add")

    refused = client.post(url, {"user": agent.pk, "is_away": "on", "away_until_0": "2001-01-01", "away_until_1": "10:00"})
    assert refused.status_code == 200 and "Choose a time in the future." in refused.text
    assert not AgentStatus.objects.exists()

    client.post(url, {"user": agent.pk, "is_away": "on", "away_until_0": "", "away_until_1": ""})
    status = AgentStatus.objects.get()
    assert status.is_away and status.away_until is None and status.updated_at <= timezone.now()
