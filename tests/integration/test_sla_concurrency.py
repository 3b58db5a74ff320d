"""Concurrency on real PostgreSQL: cases created at the same moment take turns in round robin and least
loaded, and SLA warnings/escalations running twice at once still happen once. Threads, one connection each."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import ShopMembership
from tests.factories import OrderFactory, ShopFactory, ShopMembershipFactory, TicketFactory, UserFactory
from tests.integration.conftest import SERVICE_TEST, require_postgres
from tickets.models import AssignmentRule, Notification, Ticket, TicketEvent
from tickets.services import ticket_create, tickets_record_sla_breaches
from tickets.sla.alerts import tickets_escalate_sla_breaches, tickets_warn_sla

pytestmark = SERVICE_TEST


def run_at_once(jobs: list[Callable[[], object]]) -> list[object]:
    """Start every job at the same instant on its own thread (and database connection); re-raise the first error."""
    barrier, results, errors = threading.Barrier(len(jobs)), [None] * len(jobs), []

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as error:  # noqa: BLE001 - handed to the test thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def _queue(strategy: str, agents: int = 2):
    shop = ShopFactory()
    pool = [ShopMembershipFactory(shop=shop, user=UserFactory(), role=ShopMembership.Role.AGENT).user for _ in range(agents)]
    rule = AssignmentRule.objects.create(shop=shop, strategy=strategy)
    rule.agents.add(*pool)
    orders = [OrderFactory(shop=shop) for _ in range(6)]
    return shop, pool, orders


def _creator(shop, order) -> Callable[[], object]:
    return lambda: ticket_create(shop=shop, buyer=order.buyer, kind="other", subject="?", body="?", order=order).pk


@pytest.mark.parametrize("strategy", ["round_robin", "least_loaded"])
def test_cases_created_at_once_are_shared_out_evenly(strategy):
    require_postgres()
    shop, pool, orders = _queue(strategy)

    run_at_once([_creator(shop, order) for order in orders])

    loads = Counter(Ticket.objects.filter(shop=shop).values_list("assignee_id", flat=True))
    assert loads == {pool[0].pk: 3, pool[1].pk: 3}
    assert TicketEvent.objects.filter(ticket__shop=shop, kind="assigned", actor=None).count() == 6


def test_two_sweeps_at_once_warn_and_escalate_once():
    require_postgres()
    shop = ShopFactory()
    agent = ShopMembershipFactory(shop=shop, user=UserFactory(), role=ShopMembership.Role.AGENT).user
    now = timezone.now()
    hour = dt.timedelta(hours=1)
    TicketFactory(order__shop=shop, assignee=agent, first_response_warn_at=now - hour, first_response_due=now + hour)
    TicketFactory(order__shop=shop, assignee=agent, first_response_due=now - hour)
    UserFactory(username="root-concurrency", is_superuser=True, is_staff=True)

    warned = run_at_once([lambda: tickets_warn_sla(now=now)] * 3)
    run_at_once([lambda: tickets_record_sla_breaches(now=now)] * 3)
    escalated = run_at_once([lambda: tickets_escalate_sla_breaches(now=now)] * 3)

    assert sum(warned) == 1 and sum(escalated) == 1  # type: ignore[arg-type]
    assert TicketEvent.objects.filter(ticket__shop=shop, kind="sla_warning").count() == 1
    assert TicketEvent.objects.filter(ticket__shop=shop, kind="sla_breached").count() == 1
    assert Notification.objects.filter(ticket__shop=shop, kind="sla_warning").count() == 1
    assert Notification.objects.filter(ticket__shop=shop, kind="sla_escalated").count() == 1
