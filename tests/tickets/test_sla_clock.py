"""SLA policies and the clock of a case through the services: creation, pauses, priority changes, first reply, snapshot."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import IntegrityError

from tests.factories import SlaPolicyFactory, TicketFactory
from tickets.models import ShopCalendar, SpecialDay, Ticket, TicketEvent, TicketKind, TicketPriority, TicketStatus, WorkingHours
from tickets.services import (
    message_create,
    ticket_change_priority,
    ticket_change_status,
    ticket_create,
    tickets_record_sla_breaches,
)
from tickets.sla import calendar_for_shop, choose_policy, default_targets, sla_snapshot, sla_targets_for

pytestmark = pytest.mark.django_db
MSK = zoneinfo.ZoneInfo("Europe/Moscow")
Kind = TicketEvent.Kind


def msk(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MSK)


def open_case(order, at: dt.datetime, **kwargs) -> Ticket:
    with time_machine.travel(at, tick=False):
        return ticket_create(shop=order.shop, buyer=order.buyer, kind=kwargs.pop("kind", TicketKind.DELIVERY_DELAY),
                             subject="Where is it?", body="Still waiting", order=order, acting_user=order.buyer, **kwargs)


def move(ticket: Ticket, status: str, at: dt.datetime, user) -> Ticket:
    with time_machine.travel(at, tick=False):
        return ticket_change_status(ticket=ticket, status=status, acting_user=user)


# --- policies ---


def test_the_most_specific_policy_wins(shop, other_shop):
    SlaPolicyFactory(shop=None, kind="", priority="", name="all")
    SlaPolicyFactory(shop=None, kind="", priority="high", name="high anywhere")
    SlaPolicyFactory(shop=None, kind=TicketKind.LOST_PARCEL, priority="", name="lost anywhere")
    SlaPolicyFactory(shop=shop, kind="", priority="", name="shop")
    SlaPolicyFactory(shop=shop, kind=TicketKind.LOST_PARCEL, priority="", name="shop lost", first_response_minutes=30)
    SlaPolicyFactory(shop=shop, kind="", priority="high", name="shop high")
    SlaPolicyFactory(shop=shop, kind=TicketKind.LOST_PARCEL, priority="high", name="shop lost high", is_active=False)

    def chosen(shop_, kind, priority):
        from tickets.models import SlaPolicy

        policy = choose_policy(SlaPolicy.objects.all(), shop_id=shop_.pk, kind=kind, priority=priority)
        return policy.name if policy else None

    assert chosen(shop, TicketKind.LOST_PARCEL, "high") == "shop lost"  # kind beats priority; inactive never matches
    assert chosen(shop, TicketKind.DAMAGED, "high") == "shop high"
    assert chosen(shop, TicketKind.DAMAGED, "low") == "shop"
    assert chosen(other_shop, TicketKind.LOST_PARCEL, "high") == "lost anywhere"  # kind beats priority
    assert chosen(other_shop, TicketKind.DAMAGED, "high") == "high anywhere"
    assert chosen(other_shop, TicketKind.DAMAGED, "low") == "all"
    targets = sla_targets_for(shop=shop, kind=TicketKind.LOST_PARCEL, priority="high")
    assert targets.first_response == dt.timedelta(minutes=30)


def test_without_policies_the_built_in_default_applies(shop):
    targets = sla_targets_for(shop=shop, kind=TicketKind.OTHER, priority=TicketPriority.LOW)
    assert targets == default_targets(TicketPriority.LOW)
    assert (targets.first_response, targets.resolution, targets.policy_id) == (dt.timedelta(hours=9), dt.timedelta(hours=45), None)


def test_one_policy_per_shop_kind_and_priority(shop):
    SlaPolicyFactory(shop=None, kind="", priority="")
    SlaPolicyFactory(shop=shop, kind="", priority="")
    with pytest.raises(IntegrityError):
        SlaPolicyFactory(shop=None, kind="", priority="")


# --- due times at creation ---


def test_ticket_create_uses_the_policy_in_business_minutes(order):
    policy = SlaPolicyFactory(shop=order.shop, first_response_minutes=120, resolution_minutes=600, warn_before_minutes=30)
    ticket = open_case(order, msk(2026, 11, 27, 17, 0))  # Friday, an hour before closing
    assert ticket.sla_policy == policy
    assert ticket.first_response_due == msk(2026, 11, 30, 10, 0)
    assert ticket.first_response_warn_at == msk(2026, 11, 30, 9, 30)
    assert ticket.resolution_due == msk(2026, 11, 30, 18, 0)  # 1 h on Friday, 9 h on Monday
    assert ticket.resolution_warn_at == msk(2026, 11, 30, 17, 30)


def test_ticket_create_follows_the_shops_own_calendar(order):
    calendar = ShopCalendar.objects.create(shop=order.shop, holiday_country="none")
    WorkingHours.objects.create(calendar=calendar, weekday=5, opens=dt.time(10), closes=dt.time(16))  # Saturdays only
    SpecialDay.objects.create(calendar=calendar, date=dt.date(2026, 12, 5), opens=None, closes=None, note="closed")
    SlaPolicyFactory(shop=None, first_response_minutes=60, resolution_minutes=600)
    ticket = open_case(order, msk(2026, 11, 30, 12, 0))
    assert ticket.first_response_due == msk(2026, 12, 12, 11, 0)  # Saturday 5 December is closed


def test_an_empty_shop_calendar_means_the_default_week_is_not_worked_either(order):
    ShopCalendar.objects.create(shop=order.shop)
    assert calendar_for_shop(order.shop).week == {}


# --- pauses ---


def test_waiting_pauses_the_clock_and_resuming_moves_due_times_by_the_paused_business_time(order, agent):
    ticket = open_case(order, msk(2026, 11, 27, 10, 0))  # Friday: reply due Monday 10:00, resolution Wednesday 10:00
    assert (ticket.first_response_due, ticket.resolution_due) == (msk(2026, 11, 30, 10, 0), msk(2026, 12, 2, 10, 0))

    ticket = move(ticket, TicketStatus.WAITING_ON_BUYER, msk(2026, 11, 27, 16, 0), agent)
    assert ticket.sla_paused_at == msk(2026, 11, 27, 16, 0)
    ticket = move(ticket, TicketStatus.WAITING_ON_CARRIER, msk(2026, 11, 28, 12, 0), agent)  # still waiting: still paused
    assert ticket.sla_paused_at == msk(2026, 11, 27, 16, 0)
    ticket = move(ticket, TicketStatus.OPEN, msk(2026, 11, 30, 11, 0), agent)  # 2 h Friday + 2 h Monday = 4 business hours

    assert ticket.sla_paused_at is None and ticket.sla_paused_seconds == 4 * 3600
    assert ticket.first_response_due == msk(2026, 11, 30, 14, 0)
    assert ticket.first_response_warn_at == msk(2026, 11, 30, 13, 0)
    assert ticket.resolution_due == msk(2026, 12, 2, 14, 0)
    paused, resumed = TicketEvent.objects.filter(ticket=ticket, kind__in=[Kind.SLA_PAUSED, Kind.SLA_RESUMED]).order_by("id")
    assert (paused.kind, paused.new_value, paused.actor) == (Kind.SLA_PAUSED, TicketStatus.WAITING_ON_BUYER, agent)
    wall = int((msk(2026, 11, 30, 11, 0) - msk(2026, 11, 27, 16, 0)).total_seconds())
    assert (resumed.kind, resumed.old_value, resumed.new_value) == (Kind.SLA_RESUMED, str(wall), str(4 * 3600))


def test_pauses_add_up_and_resolving_from_waiting_ends_the_pause(order, agent):
    ticket = open_case(order, msk(2026, 12, 1, 10, 0))
    ticket = move(ticket, TicketStatus.WAITING_ON_CARRIER, msk(2026, 12, 1, 11, 0), agent)
    ticket = move(ticket, TicketStatus.OPEN, msk(2026, 12, 1, 12, 0), agent)
    ticket = move(ticket, TicketStatus.WAITING_ON_BUYER, msk(2026, 12, 1, 13, 0), agent)
    ticket = move(ticket, TicketStatus.RESOLVED, msk(2026, 12, 1, 15, 30), agent)
    assert ticket.sla_paused_at is None and ticket.sla_paused_seconds == int(3.5 * 3600)
    assert ticket.resolution_due == msk(2026, 12, 4, 13, 30)  # Friday 10:00 + 3.5 business hours


def test_a_pause_outside_business_hours_moves_nothing(order, agent):
    ticket = open_case(order, msk(2026, 12, 4, 17, 0))
    due = ticket.first_response_due
    ticket = move(ticket, TicketStatus.WAITING_ON_BUYER, msk(2026, 12, 4, 19, 0), agent)
    ticket = move(ticket, TicketStatus.OPEN, msk(2026, 12, 6, 12, 0), agent)  # Friday evening to Sunday
    assert (ticket.first_response_due, ticket.sla_paused_seconds) == (due, 0)
    assert TicketEvent.objects.get(ticket=ticket, kind=Kind.SLA_RESUMED).new_value == "0"


def test_paused_cases_do_not_breach(order, agent):
    ticket = open_case(order, msk(2026, 12, 1, 10, 0))
    move(ticket, TicketStatus.WAITING_ON_CARRIER, msk(2026, 12, 1, 11, 0), agent)
    assert tickets_record_sla_breaches(now=msk(2026, 12, 20, 10, 0)) == 0
    assert not TicketEvent.objects.filter(kind=Kind.SLA_BREACHED).exists()


# --- priority and first reply ---


def test_a_priority_change_recomputes_the_targets_keeping_the_paused_time(order, agent):
    SlaPolicyFactory(shop=None, priority=TicketPriority.URGENT, first_response_minutes=60, resolution_minutes=240)
    ticket = open_case(order, msk(2026, 12, 1, 10, 0))
    ticket = move(ticket, TicketStatus.WAITING_ON_BUYER, msk(2026, 12, 1, 10, 30), agent)
    ticket = move(ticket, TicketStatus.OPEN, msk(2026, 12, 1, 11, 0), agent)
    ticket = ticket_change_priority(ticket=ticket, priority=TicketPriority.URGENT, acting_user=agent)
    ticket.refresh_from_db()
    assert ticket.sla_policy is not None and ticket.sla_policy.priority == TicketPriority.URGENT
    assert (ticket.first_response_due, ticket.resolution_due) == (msk(2026, 12, 1, 11, 30), msk(2026, 12, 1, 14, 30))


def test_the_first_public_agent_reply_meets_the_first_response_target(order, agent):
    ticket = open_case(order, msk(2026, 12, 1, 10, 0))
    with time_machine.travel(msk(2026, 12, 1, 11, 0), tick=False):
        message_create(ticket=ticket, author=order.buyer, body="Any news?")
        message_create(ticket=ticket, author=agent, body="Checking", visibility="internal")
        message_create(ticket=ticket, author=None, body="Tracking updated.")  # supportdesk itself, not a support reply
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    with time_machine.travel(msk(2026, 12, 1, 12, 0), tick=False):
        message_create(ticket=ticket, author=agent, body="We asked the carrier.")
    ticket.refresh_from_db()
    assert ticket.first_responded_at == msk(2026, 12, 1, 12, 0)
    assert sla_snapshot(ticket, msk(2026, 12, 1, 12, 0)).target == "resolution"
    assert tickets_record_sla_breaches(now=msk(2026, 12, 3, 10, 0)) == 0  # reply met; resolution due Friday


# --- the queue's badge ---


def test_sla_snapshot_states_from_the_row_alone(django_assert_num_queries):
    due = msk(2026, 12, 1, 12, 0)
    case = TicketFactory.build(first_response_due=due, first_response_warn_at=due - dt.timedelta(hours=1),
                               resolution_due=due + dt.timedelta(days=2), resolution_warn_at=due + dt.timedelta(days=1))
    with django_assert_num_queries(0):
        ok = sla_snapshot(case, msk(2026, 12, 1, 10, 0))
        soon = sla_snapshot(case, msk(2026, 12, 1, 11, 30))
        late = sla_snapshot(case, msk(2026, 12, 1, 13, 0))
    assert (ok.target, ok.due_at, ok.remaining, ok.state) == ("first_response", due, dt.timedelta(hours=2), "ok")
    assert (soon.state, soon.remaining) == ("due_soon", dt.timedelta(minutes=30))
    assert (late.state, late.remaining) == ("breached", -dt.timedelta(hours=1))

    case.sla_paused_at = msk(2026, 12, 1, 11, 0)
    paused = sla_snapshot(case, msk(2026, 12, 1, 15, 0))
    assert (paused.state, paused.remaining) == ("paused", dt.timedelta(hours=1))

    case.sla_paused_at, case.first_responded_at = None, msk(2026, 12, 1, 11, 0)
    assert sla_snapshot(case, msk(2026, 12, 1, 13, 0)).target == "resolution"

    case.status, case.resolved_at = TicketStatus.RESOLVED, msk(2026, 12, 2, 12, 0)
    met = sla_snapshot(case, msk(2026, 12, 9, 0, 0))
    assert (met.target, met.state, met.remaining) == ("resolution", "met", dt.timedelta(days=1))
    case.resolved_at = msk(2026, 12, 4, 12, 0)
    assert sla_snapshot(case, msk(2026, 12, 9, 0, 0)).state == "breached"
    assert sla_snapshot(TicketFactory.build(first_response_due=None, resolution_due=None), msk(2026, 12, 1)).target is None


def test_the_sla_badge_renders_each_state_without_queries(django_assert_num_queries):
    from django.template import Context, Template

    due = msk(2026, 12, 1, 12, 0)
    case = TicketFactory.build(first_response_due=due, first_response_warn_at=due - dt.timedelta(hours=1), resolution_due=None)
    page = Template("{% load sla %}{% sla_badge case now %}")
    with django_assert_num_queries(0):
        ok = page.render(Context({"case": case, "now": msk(2026, 12, 1, 9, 55)}))
        late = page.render(Context({"case": case, "now": msk(2026, 12, 2, 14, 30)}))
    assert 'data-sla-state="ok"' in ok and "2h 05m left" in ok
    assert 'data-sla-state="breached"' in late and "1d 2h late" in late


def test_the_buyers_reply_resumes_the_clock_even_from_a_stale_row(order, agent):
    from tickets.services import ticket_buyer_reply

    ticket = open_case(order, msk(2026, 12, 1, 10, 0))
    move(Ticket.objects.get(pk=ticket.pk), TicketStatus.WAITING_ON_BUYER, msk(2026, 12, 1, 11, 0), agent)  # another request
    with time_machine.travel(msk(2026, 12, 1, 13, 0), tick=False):
        ticket_buyer_reply(ticket=ticket, body="Here are the photos", acting_user=order.buyer)  # `ticket` still says new

    ticket.refresh_from_db()
    assert (ticket.status, ticket.sla_paused_at, ticket.sla_paused_seconds) == (TicketStatus.OPEN, None, 2 * 3600)


def test_queue_filters_and_ordering_agree_with_the_snapshot(shop):
    from tickets.sla.queries import q_sla_breached, q_sla_due_soon, sla_next_due

    now = msk(2026, 12, 1, 12, 0)
    h = dt.timedelta(hours=1)
    soon = TicketFactory(order__shop=shop, first_response_due=now + h, first_response_warn_at=now - h, resolution_due=now + 9 * h)
    late = TicketFactory(order__shop=shop, first_response_due=now - h, resolution_due=now + 9 * h)
    answered = TicketFactory(order__shop=shop, first_response_due=now - h, first_responded_at=now - 2 * h, resolution_due=now + 3 * h,
                             resolution_warn_at=now + 2 * h)
    paused = TicketFactory(order__shop=shop, status=TicketStatus.WAITING_ON_BUYER, sla_paused_at=now - h,
                           first_response_due=now - h, resolution_due=now + h)
    no_reply_target = TicketFactory(order__shop=shop, first_response_due=None, resolution_due=now + 2 * h)

    cases = Ticket.objects.filter(shop=shop)
    assert list(cases.filter(q_sla_due_soon(now))) == [soon]
    assert list(cases.filter(q_sla_breached(now))) == [late]
    ordered = list(cases.annotate(next_due=sla_next_due()).order_by("next_due", "id").values_list("pk", flat=True))
    assert ordered == [late.pk, paused.pk, soon.pk, no_reply_target.pk, answered.pk]
    for case in (soon, late, answered, paused):
        assert sla_snapshot(case, now).state == {soon: "due_soon", late: "breached", answered: "ok", paused: "paused"}[case]
