"""Warnings before an SLA target runs out and escalation after it did: each exactly once, however often the beat runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from orders.models import ShopMembership
from tests.factories import ShopMembershipFactory, SlaPolicyFactory, TicketFactory, UserFactory
from tickets.models import AgentStatus, Notification, NotificationKind, TicketEvent, TicketPriority, TicketStatus
from tickets.sla.alerts import tickets_escalate_sla_breaches, tickets_warn_sla
from tickets.tasks import tickets_record_sla_breaches_task, tickets_warn_sla_task

pytestmark = pytest.mark.django_db
Kind = TicketEvent.Kind
H = dt.timedelta(hours=1)


def warned_case(shop, now, **kwargs):
    """A case whose first reply is due in 30 minutes, past its warning time."""
    defaults = {"first_response_due": now + H / 2, "first_response_warn_at": now - H / 2,
                "resolution_due": now + 48 * H, "resolution_warn_at": now + 47 * H}
    return TicketFactory(order__shop=shop, **(defaults | kwargs))


def notified(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("user__username", "ticket_id"))


def test_the_assignee_is_warned_once_per_target(shop, agent):
    now = timezone.now()
    case = warned_case(shop, now, assignee=agent)

    assert tickets_warn_sla(now=now) == 1
    assert tickets_warn_sla(now=now) == 0
    assert tickets_warn_sla_task.delay().get() == 0  # the beat task, run again later

    assert list(TicketEvent.objects.filter(kind=Kind.SLA_WARNING).values_list("ticket_id", "new_value", "actor")) == [
        (case.pk, "first_response", None)
    ]
    assert notified(NotificationKind.SLA_WARNING) == [("agent", case.pk)]
    later = now + 47.5 * H  # the resolution target's window: the reply was due long ago, so only resolution warns
    assert tickets_warn_sla(now=later) == 1
    assert set(TicketEvent.objects.filter(kind=Kind.SLA_WARNING).values_list("new_value", flat=True)) == {"first_response", "resolution"}


def test_an_unassigned_case_warns_the_shops_available_agents(shop, other_shop, agent, other_agent):
    away = ShopMembershipFactory(shop=shop, user=UserFactory(username="away_agent"), role=ShopMembership.Role.AGENT).user
    AgentStatus.objects.create(user=away, is_away=True)
    back = ShopMembershipFactory(shop=shop, user=UserFactory(username="back_agent"), role=ShopMembership.Role.AGENT).user
    AgentStatus.objects.create(user=back, is_away=True, away_until=timezone.now() - H)  # the away time is over
    ShopMembershipFactory(shop=shop, user=UserFactory(username="shop_staff"), role=ShopMembership.Role.STAFF)
    now = timezone.now()
    case = warned_case(shop, now)

    tickets_warn_sla(now=now)

    assert notified(NotificationKind.SLA_WARNING) == [("agent", case.pk), ("back_agent", case.pk)]


def test_no_warning_for_paused_answered_settled_or_already_breached_cases(shop, agent):
    now = timezone.now()
    warned_case(shop, now, status=TicketStatus.WAITING_ON_BUYER, sla_paused_at=now - H)
    warned_case(shop, now, first_responded_at=now - H)
    warned_case(shop, now, status=TicketStatus.RESOLVED)
    warned_case(shop, now, first_response_due=now - H / 2)
    warned_case(shop, now, first_response_warn_at=now + H / 4)  # not yet

    assert tickets_warn_sla(now=now) == 0
    assert not Notification.objects.exists()


def breached_case(shop, **kwargs):
    now = timezone.now()
    return TicketFactory(order__shop=shop, first_response_due=now - H, resolution_due=now + 24 * H, **kwargs)


def supervisor_of(shop, username):
    user = ShopMembershipFactory(shop=shop, user=UserFactory(username=username, is_staff=True), role=ShopMembership.Role.AGENT).user
    user.groups.add(Group.objects.get(name="supervisors"))
    return user


def test_a_breach_is_escalated_once_to_the_shops_supervisors_and_raises_the_priority(shop, other_shop, agent, superuser):
    supervisor_of(shop, "boss")
    supervisor_of(other_shop, "other_boss")
    policy = SlaPolicyFactory(shop=shop, escalate_priority=True)
    case = breached_case(shop, assignee=agent, sla_policy=policy)

    assert tickets_record_sla_breaches_task.delay().get() == 1
    assert tickets_record_sla_breaches_task.delay().get() == 0

    assert list(TicketEvent.objects.filter(kind=Kind.SLA_ESCALATED).values_list("ticket_id", "new_value")) == [(case.pk, "first_response")]
    assert notified(NotificationKind.SLA_ESCALATED) == [("boss", case.pk)]  # not the other shop's, not the superuser
    case.refresh_from_db()
    assert case.priority == TicketPriority.HIGH
    assert list(TicketEvent.objects.filter(ticket=case, kind=Kind.PRIORITY_CHANGED).values_list("actor", "old_value", "new_value")) == [
        (None, "normal", "high")
    ]
    assert tickets_escalate_sla_breaches() == 0


def test_without_the_policy_flag_the_priority_stays_and_without_supervisors_superusers_hear(shop, superuser):
    case = breached_case(shop)

    tickets_record_sla_breaches_task.delay().get()

    case.refresh_from_db()
    assert case.priority == TicketPriority.NORMAL
    assert notified(NotificationKind.SLA_ESCALATED) == [("root", case.pk)]


def test_an_urgent_case_stays_urgent_and_a_paused_breach_waits(shop):
    policy = SlaPolicyFactory(shop=shop, escalate_priority=True)
    urgent = breached_case(shop, priority=TicketPriority.URGENT, sla_policy=policy)
    tickets_record_sla_breaches_task.delay().get()
    urgent.refresh_from_db()
    assert urgent.priority == TicketPriority.URGENT
    assert TicketEvent.objects.filter(ticket=urgent, kind=Kind.SLA_ESCALATED).count() == 1

    paused = breached_case(shop)
    TicketEvent.objects.create(ticket=paused, kind=Kind.SLA_BREACHED, new_value="first_response")
    type(paused).objects.filter(pk=paused.pk).update(status=TicketStatus.WAITING_ON_CARRIER, sla_paused_at=timezone.now())
    assert tickets_escalate_sla_breaches() == 0


def test_the_beat_runs_warnings_and_breaches_every_minute():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"tickets.tasks.tickets_warn_sla_task", "tickets.tasks.tickets_record_sla_breaches_task"} <= tasks
