"""The SLA badge of a queue row (one pure function) and the SQL "SLA due" the queue sorts and filters on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import TicketFactory
from tickets.desk.sla_badge import SlaLevel, sla_badge, sla_due
from tickets.desk.sla_due import OPEN_STATUS_VALUES, sla_due_expression
from tickets.models import OPEN_STATUSES, Ticket, TicketStatus

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
S = dt.timedelta(seconds=1)


def ticket(**fields) -> Ticket:
    """An unsaved case: the badge reads only its fields."""
    values = {"status": TicketStatus.OPEN, "first_response_due": NOW + 20 * H, "resolution_due": NOW + 70 * H} | fields
    return Ticket(**values)


@pytest.mark.parametrize(
    ("fields", "level", "due"),
    [
        ({}, SlaLevel.OK, NOW + 20 * H),
        # due soon from the target's warning time (its policy's "warn before" in business hours), not a fixed window
        ({"first_response_due": NOW + 3 * H, "first_response_warn_at": NOW - H}, SlaLevel.DUE_SOON, NOW + 3 * H),
        ({"first_response_due": NOW + 3 * H, "first_response_warn_at": NOW}, SlaLevel.DUE_SOON, NOW + 3 * H),
        ({"first_response_due": NOW + 3 * H, "first_response_warn_at": NOW + S}, SlaLevel.OK, NOW + 3 * H),
        ({"first_response_due": NOW + H}, SlaLevel.OK, NOW + H),  # no warning time: never "due soon"
        # answered: the first reply's old warning time no longer counts, the resolution's has not come
        ({"first_response_due": NOW + H, "first_response_warn_at": NOW - H, "first_responded_at": NOW - H,
          "resolution_warn_at": NOW + S}, SlaLevel.OK, NOW + 70 * H),
        ({"first_response_due": NOW - H}, SlaLevel.BREACHED, NOW - H),
        ({"first_response_due": NOW}, SlaLevel.BREACHED, NOW),
        # answered in time: only the resolution counts now
        ({"first_response_due": NOW - H, "first_responded_at": NOW - 2 * H, "resolution_due": NOW + 2 * H,
          "resolution_warn_at": NOW - H, "first_response_warn_at": NOW - 2 * H}, SlaLevel.DUE_SOON, NOW + 2 * H),
        # answered late: breached stays breached, even with the resolution far away
        ({"first_response_due": NOW - 2 * H, "first_responded_at": NOW - H}, SlaLevel.BREACHED, NOW + 70 * H),
        ({"resolution_due": NOW - H, "first_responded_at": NOW - 30 * H, "first_response_due": NOW - 20 * H}, SlaLevel.BREACHED, NOW - H),
        ({"status": TicketStatus.RESOLVED, "resolved_at": NOW - H, "resolution_due": NOW, "first_responded_at": NOW - 5 * H},
         SlaLevel.MET, None),
        ({"status": TicketStatus.CLOSED, "closed_at": NOW - H, "resolution_due": NOW - 2 * H, "first_responded_at": NOW - 5 * H},
         SlaLevel.BREACHED, None),
        ({"first_response_due": None, "resolution_due": None}, SlaLevel.NONE, None),
        ({"first_response_due": NOW - 10 * H, "first_responded_at": NOW - 11 * H, "resolution_due": None}, SlaLevel.MET, None),
    ],
)
def test_sla_badge(fields, level, due):
    badge = sla_badge(ticket(**fields), NOW)
    assert (badge.level, badge.due) == (level, due)
    assert badge.label


def test_waiting_statuses_are_open_for_the_sla():
    for status in (TicketStatus.NEW, TicketStatus.WAITING_ON_BUYER, TicketStatus.WAITING_ON_CARRIER):
        assert sla_badge(ticket(status=status, first_response_due=NOW + H, first_response_warn_at=NOW), NOW).level == SlaLevel.DUE_SOON


def test_the_sql_expression_lists_the_same_open_statuses_as_the_model():
    assert OPEN_STATUS_VALUES == tuple(OPEN_STATUSES)


@pytest.mark.django_db
def test_the_sql_sla_due_agrees_with_the_python_one():
    now = timezone.now()
    made = [
        TicketFactory(),
        TicketFactory(first_responded_at=now, first_response_due=now - H, resolution_due=now + 5 * H),
        TicketFactory(first_response_due=None, resolution_due=now + 5 * H),
        TicketFactory(first_response_due=now + H, resolution_due=None),
        TicketFactory(first_response_due=None, resolution_due=None),
        TicketFactory(status=TicketStatus.CLOSED),
        TicketFactory(status=TicketStatus.WAITING_ON_CARRIER, first_response_due=now + 9 * H, resolution_due=now + 3 * H),
    ]
    in_sql = dict(Ticket.objects.annotate(due=sla_due_expression()).values_list("id", "due"))
    assert in_sql == {t.id: sla_due(Ticket.objects.get(id=t.id)) for t in made}


def test_a_paused_clock_shows_paused_not_due_soon_or_breached():
    paused = ticket(status=TicketStatus.WAITING_ON_BUYER, first_response_due=NOW - H, sla_paused_at=NOW - 2 * H)
    assert sla_badge(paused, NOW).level == SlaLevel.PAUSED
    resumed = ticket(status=TicketStatus.OPEN, first_response_due=NOW - H, sla_paused_at=None)
    assert sla_badge(resumed, NOW).level == SlaLevel.BREACHED


@pytest.mark.django_db
def test_the_sql_warning_time_agrees_with_the_badges():
    """The "breaching" view (SQL) and the badge (Python) read the same warning time: the earliest still pending."""
    from tickets.desk.sla_badge import _soonest_pending
    from tickets.desk.sla_due import sla_warn_expression

    now = timezone.now()
    made = [
        TicketFactory(first_response_warn_at=now - H, resolution_warn_at=now + 5 * H),
        TicketFactory(first_responded_at=now, first_response_warn_at=now - 2 * H, resolution_warn_at=now + 5 * H),
        TicketFactory(first_response_warn_at=None, resolution_warn_at=now + H),
        TicketFactory(first_response_warn_at=None, resolution_warn_at=None),
        TicketFactory(status=TicketStatus.RESOLVED, first_response_warn_at=now - H, resolution_warn_at=now - H),
    ]
    in_sql = dict(Ticket.objects.annotate(warn=sla_warn_expression()).values_list("id", "warn"))
    assert in_sql == {t.id: _soonest_pending(Ticket.objects.get(id=t.id), "warn_at") for t in made}
    assert [in_sql[t.id] for t in made] == [now - H, now + 5 * H, now + H, None, None]
