"""The memo of SLA policies, shop calendars and assignment rules (tickets.routing_cache): a new case reads them from
memory, and every save or delete of them, committed in any process, applies to the very next case.

With a shared cache (the memo is off with the tests' LocMemCache) and real commits: what another process sees
depends on the token that a commit puts in the shared cache.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import ShopMembership
from tests.factories import OrderFactory, ShopFactory, ShopMembershipFactory, SlaPolicyFactory, UserFactory
from tickets.models import AssignmentRule, ShopCalendar, SlaPolicy, SpecialDay, Ticket, TicketKind, WorkingHours
from tickets.routing_cache import SCOPE
from tickets.services import ticket_create
from tickets.sla import calendar_for_shop

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.usefixtures("shared_cache")]
ROUTING_TABLES = ("tickets_slapolicy", "tickets_shopcalendar", "tickets_assignmentrule")


def new_case(shop, kind: str = TicketKind.DELIVERY_DELAY) -> Ticket:
    order = OrderFactory(shop=shop)
    return ticket_create(shop=shop, buyer=order.buyer, kind=kind, subject="Where?", body="Help", order=order, acting_user=order.buyer)


def routing_queries(shop) -> list[str]:
    order = OrderFactory(shop=shop)
    with CaptureQueriesContext(connection) as queries:
        ticket_create(shop=shop, buyer=order.buyer, kind=TicketKind.OTHER, subject="?", body="?", order=order, acting_user=order.buyer)
    return [q["sql"] for q in queries.captured_queries if any(table in q["sql"] for table in ROUTING_TABLES)]


def token() -> str | None:
    return caches["default"].get(f"config-version:{SCOPE}")


def test_the_second_case_of_a_shop_reads_no_routing_row():
    shop = ShopFactory()
    assert len(routing_queries(shop)) == 3  # its policies, its calendar, its queues' rules
    assert routing_queries(shop) == []


def test_a_policy_saved_or_deleted_applies_to_the_next_case():
    shop = ShopFactory()
    assert new_case(shop).sla_policy_id is None
    policy = SlaPolicyFactory(shop=shop, first_response_minutes=30)
    assert new_case(shop).sla_policy_id == policy.pk
    policy.is_active = False
    policy.save(update_fields=["is_active"])  # as the admin saves a change
    assert new_case(shop).sla_policy_id is None
    everywhere = SlaPolicyFactory(shop=None)
    assert new_case(shop).sla_policy_id == everywhere.pk
    SlaPolicy.objects.filter(pk=everywhere.pk).delete()
    assert new_case(shop).sla_policy_id is None


def test_calendar_rows_saved_or_deleted_apply_to_the_next_case():
    shop = ShopFactory(time_zone="Europe/Moscow")
    assert calendar_for_shop(shop).week[0] == (dt.time(9), dt.time(18))
    calendar = ShopCalendar.objects.create(shop=shop, holiday_country="none")
    assert calendar_for_shop(shop).week == {}
    hours = WorkingHours.objects.create(calendar=calendar, weekday=5, opens=dt.time(10), closes=dt.time(16))
    assert calendar_for_shop(shop).week == {5: (dt.time(10), dt.time(16))}
    day = SpecialDay.objects.create(calendar=calendar, date=dt.date(2026, 12, 5), note="closed")
    assert calendar_for_shop(shop).special_days == {dt.date(2026, 12, 5): None}
    day.delete()
    hours.delete()
    assert calendar_for_shop(shop).week == {} and calendar_for_shop(shop).special_days == {}


def test_an_assignment_rule_saved_or_deleted_applies_to_the_next_case():
    shop = ShopFactory()
    ann = ShopMembershipFactory(shop=shop, user=UserFactory(username="ann", is_staff=True), role=ShopMembership.Role.AGENT).user
    assert new_case(shop).assignee is None
    rule = AssignmentRule.objects.create(shop=shop, strategy="round_robin")
    rule.agents.add(ann)
    assert new_case(shop).assignee == ann
    rule.strategy = "manual"
    rule.save(update_fields=["strategy"])
    assert new_case(shop).assignee is None
    rule.delete()
    AssignmentRule.objects.create(shop=shop, kind=TicketKind.LOST_PARCEL, strategy="least_loaded").agents.add(ann)
    assert new_case(shop).assignee is None and new_case(shop, TicketKind.LOST_PARCEL).assignee == ann


@pytest.mark.parametrize("write", [
    lambda shop: SlaPolicyFactory(shop=shop, kind=TicketKind.OTHER),
    lambda shop: ShopCalendar.objects.create(shop=shop),
    lambda shop: WorkingHours.objects.create(calendar=ShopCalendar.objects.create(shop=shop), weekday=1, opens=dt.time(9), closes=dt.time(17)),
    lambda shop: AssignmentRule.objects.create(shop=shop),
    lambda shop: shop.delete(),  # its policies, calendar and rules go with it
], ids=["policy", "calendar", "working hours", "assignment rule", "shop deleted"])
def test_every_committed_write_gives_the_other_processes_a_new_token(write):
    shop = ShopFactory()
    SlaPolicyFactory(shop=shop)
    AssignmentRule.objects.create(shop=shop, kind=TicketKind.DAMAGED)
    routing_queries(ShopFactory())  # sets the first token
    before = token()
    write(shop)
    assert token() not in (None, before)
