"""Automatic assignment of new cases (issue 5 item 5), and agents marking themselves away.

A queue is a shop, optionally narrowed to one kind; its AssignmentRule says manual, round robin or
least loaded over a pool of agents. Agents who are away, inactive or no longer serve the shop are
skipped. The rule row is locked (select_for_update) for the rest of the caller's transaction, so two
cases created at once take turns: round robin never gives both to the same agent, and least loaded
counts the other's assignment once it commits.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import ShopMembership
from tickets.models import OPEN_STATUSES, AgentStatus, AssignmentRule, Ticket, TicketEvent
from tickets.models_sla import AssignmentStrategy, away_q
from tickets.routing_cache import routing_cached


def _shop_rules(shop_id: int) -> tuple[AssignmentRule, ...]:
    # Only what choosing a rule needs: the pool and the round robin's turn are read under the rule's lock.
    return tuple(AssignmentRule.objects.filter(shop_id=shop_id, is_active=True).only("id", "shop_id", "kind", "strategy"))


def rule_for(ticket: Ticket) -> AssignmentRule | None:
    """The active rule of the ticket's queue: its kind's rule, else the shop-wide one (memoised: tickets.routing_cache;
    only its id, shop, kind and strategy are loaded)."""
    rules = [rule for rule in routing_cached(("assignment-rules", ticket.shop_id), lambda: _shop_rules(ticket.shop_id))
             if rule.kind in ("", ticket.kind)]
    return max(rules, key=lambda rule: bool(rule.kind), default=None)


def available_agents(rule: AssignmentRule, now: dt.datetime) -> list[User]:
    """The rule's pool as it can take cases at `now`, ordered by id: active, serving the shop, not away."""
    serving = ShopMembership.objects.filter(shop_id=rule.shop_id).values("user_id")
    pool = User.objects.filter(assignment_rules=rule, is_active=True, pk__in=serving).exclude(away_q(now))
    return list(pool.order_by("id"))


def _next_in_turn(agents: list[User], last_id: int | None) -> User:
    return next((agent for agent in agents if last_id is not None and agent.pk > last_id), agents[0])


def _least_loaded(agents: list[User]) -> User:
    """The agent with the fewest open cases (any shop), lowest id on a tie: one query."""
    loads = dict(
        User.objects.filter(pk__in=[agent.pk for agent in agents])
        .annotate(open_cases=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=OPEN_STATUSES)))
        .values_list("pk", "open_cases")
    )
    return min(agents, key=lambda agent: (loads.get(agent.pk, 0), agent.pk))


def ticket_auto_assign(*, ticket: Ticket, now: dt.datetime | None = None) -> Ticket:
    """Give an unassigned case to the next agent of its queue's rule, writing ASSIGNED with no actor (supportdesk).

    Does nothing for an assigned case, a manual or missing rule, or a pool with nobody available.
    Idempotent: the assignment is a conditional update on a still-unassigned case.
    """
    if ticket.assignee_id is not None:
        return ticket
    found = rule_for(ticket)
    if found is None or found.strategy == AssignmentStrategy.MANUAL:
        return ticket  # no transaction (nor savepoint) needed to do nothing: most queues are manual
    return _assign_by_rule(ticket, found.pk, now or timezone.now())


@transaction.atomic
def _assign_by_rule(ticket: Ticket, rule_id: int, now: dt.datetime) -> Ticket:
    rule = AssignmentRule.objects.select_for_update().filter(pk=rule_id).first()  # serialises this queue's turns
    if rule is None or not rule.is_active or rule.strategy == AssignmentStrategy.MANUAL:
        return ticket  # changed since it was chosen, by a transaction that just committed
    agents = available_agents(rule, now)
    if not agents:
        return ticket
    agent = _least_loaded(agents) if rule.strategy == AssignmentStrategy.LEAST_LOADED else _next_in_turn(agents, rule.last_assigned_id)
    if Ticket.objects.filter(id=ticket.id, assignee__isnull=True).update(assignee=agent) != 1:
        ticket.refresh_from_db(fields=["assignee"])
        return ticket
    if rule.strategy == AssignmentStrategy.ROUND_ROBIN:
        AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned=agent)
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.ASSIGNED, actor=None, old_value="", new_value=str(agent.pk))
    ticket.assignee = agent
    return ticket


def agent_is_away(user: User, now: dt.datetime | None = None) -> bool:
    status = AgentStatus.objects.filter(user_id=user.pk).first()
    if status is None or not status.is_away:
        return False
    return status.away_until is None or status.away_until > (now or timezone.now())


def agent_set_away(*, user: User, is_away: bool, away_until: dt.datetime | None = None) -> AgentStatus:
    """Mark `user` away (until `away_until`, or until they come back) or available again.

    Raises ValidationError for an end time in the past. Coming back clears the end time.
    """
    now = timezone.now()
    if is_away and away_until is not None and away_until <= now:
        raise ValidationError({"away_until": _("Choose a time in the future.")})
    status, _created = AgentStatus.objects.update_or_create(
        user=user, defaults={"is_away": is_away, "away_until": away_until if is_away else None, "updated_at": now},
    )
    return status
