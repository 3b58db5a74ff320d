"""Warnings before an SLA target runs out, and escalation after it did (run by Celery beat).

Both are set-based: one query finds the cases, then each warning or escalation is claimed by inserting
its TicketEvent, which a unique constraint allows once per case and target; whoever inserts it tells
the people, in the same transaction. So concurrent or repeated runs warn and escalate exactly once.
Paused cases (waiting on the buyer or the carrier) are skipped: their clock is not running.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from orders.models import ShopMembership
from tickets.models import OPEN_STATUSES, NotificationKind, Ticket, TicketEvent, TicketPriority
from tickets.models_sla import away_q
from tickets.notifications import notify, recipient_language

Kind = TicketEvent.Kind
TARGETS = ("first_response", "resolution")
ALERT_BATCH = 500
ESCALATION_LOOKBACK = dt.timedelta(days=7)  # breaches older than this (e.g. from before an outage) are history
_NEXT_PRIORITY: dict[str, str] = {TicketPriority.LOW: TicketPriority.NORMAL, TicketPriority.NORMAL: TicketPriority.HIGH, TicketPriority.HIGH: TicketPriority.URGENT}


def _target_label(target: str) -> str:
    return _("first response") if target == "first_response" else _("resolution")


def _desk_url(ticket: Ticket) -> str:
    return reverse("desk:case", args=[ticket.pk])


def _claim(ticket: Ticket, kind: str, target: str, now: dt.datetime) -> bool:
    """Insert the once-only event; False when a concurrent run already did."""
    try:
        with transaction.atomic():
            TicketEvent.objects.create(ticket=ticket, kind=kind, actor=None, new_value=target, created_at=now)
    except IntegrityError:
        return False
    return True


def _tell(users: list[User], ticket: Ticket, kind: str, title: str, body: str) -> int:
    for user in users:
        with translation.override(recipient_language(user, ticket.shop)):
            notify(user=user, kind=kind, title=str(title), body=str(body), url=_desk_url(ticket), ticket=ticket)
    return len(users)


# --- warnings ---


def _warning_candidates(now: dt.datetime, limit: int) -> list[Ticket]:
    """One query: running cases past a warning time, before its due time, not yet warned for that target."""
    warned = {t: Exists(TicketEvent.objects.filter(ticket_id=OuterRef("pk"), kind=Kind.SLA_WARNING, new_value=t)) for t in TARGETS}
    reply = Q(first_responded_at__isnull=True, first_response_warn_at__lte=now, first_response_due__gt=now, warned_first_response=False)
    resolution = Q(resolution_warn_at__lte=now, resolution_due__gt=now, warned_resolution=False)
    cases = (
        Ticket.objects.filter(status__in=OPEN_STATUSES, sla_paused_at__isnull=True)
        .annotate(warned_first_response=warned["first_response"], warned_resolution=warned["resolution"])
        .filter(reply | resolution)
        .select_related("shop", "assignee")
        .order_by("id")
    )
    return list(cases[:limit])


def _targets_to_warn(ticket: Ticket, now: dt.datetime) -> list[str]:
    targets = []
    reply_warn, reply_due = ticket.first_response_warn_at, ticket.first_response_due
    if ticket.first_responded_at is None and reply_warn and reply_due and reply_warn <= now < reply_due:
        if not ticket.warned_first_response:  # type: ignore[attr-defined]
            targets.append("first_response")
    res_warn, res_due = ticket.resolution_warn_at, ticket.resolution_due
    if res_warn and res_due and res_warn <= now < res_due and not ticket.warned_resolution:  # type: ignore[attr-defined]
        targets.append("resolution")
    return targets


def _available_agents_by_shop(shop_ids: set[int], now: dt.datetime) -> dict[int, list[User]]:
    members = (
        ShopMembership.objects.filter(shop_id__in=shop_ids, role=ShopMembership.Role.AGENT, user__is_active=True)
        .exclude(away_q(now, "user__agent_status__")).select_related("user").order_by("user_id")
    )
    agents: dict[int, list[User]] = defaultdict(list)
    for member in members:
        agents[member.shop_id].append(member.user)
    return agents


def _warn(ticket: Ticket, target: str, recipients: list[User]) -> None:
    due = ticket.first_response_due if target == "first_response" else ticket.resolution_due
    local_due = (due or timezone.now()).astimezone(zoneinfo.ZoneInfo(ticket.shop.time_zone))
    values = {"reference": ticket.reference, "target": _target_label(target), "due": f"{local_due:%Y-%m-%d %H:%M %Z}"}
    title = _("SLA warning: %(target)s of %(reference)s due at %(due)s") % values
    body = _("The %(target)s target of case %(reference)s (“%(subject)s”) runs out at %(due)s.") % {**values, "subject": ticket.subject}
    _tell(recipients, ticket, NotificationKind.SLA_WARNING, title, body)


def tickets_warn_sla(*, now: dt.datetime | None = None, limit: int = ALERT_BATCH) -> int:
    """Warn, once per case and target, the assignee (or, for an unassigned case, the shop's available agents)
    that a target is about to run out. Returns how many warnings this run recorded."""
    now = now or timezone.now()
    cases = _warning_candidates(now, limit)
    agents = _available_agents_by_shop({case.shop_id for case in cases}, now)
    recorded = 0
    for ticket in cases:
        recipients = [ticket.assignee] if ticket.assignee is not None and ticket.assignee.is_active else agents.get(ticket.shop_id, [])
        for target in _targets_to_warn(ticket, now):
            with transaction.atomic():
                if _claim(ticket, Kind.SLA_WARNING, target, now):
                    _warn(ticket, target, recipients)
                    recorded += 1
    return recorded


# --- escalation ---


def _supervisors_by_shop(shop_ids: set[int]) -> dict[int, list[User]]:
    """Active users in the "supervisors" group who serve each shop; superusers where a shop has none,
    so an escalation always reaches someone (superusers are not told otherwise: they would hear of everything)."""
    members = (
        ShopMembership.objects.filter(shop_id__in=shop_ids, user__is_active=True, user__groups__name="supervisors")
        .select_related("user").order_by("user_id").distinct()
    )
    supervisors: dict[int, list[User]] = defaultdict(list)
    for member in members:
        supervisors[member.shop_id].append(member.user)
    missing = shop_ids - supervisors.keys()
    if missing:
        root = list(User.objects.filter(is_superuser=True, is_active=True).order_by("id"))
        supervisors.update({shop_id: root for shop_id in missing})
    return supervisors


def _escalate(breach: TicketEvent, recipients: list[User], now: dt.datetime) -> bool:
    from tickets.services import ticket_change_priority  # services import this package

    ticket, target = breach.ticket, breach.new_value
    if not _claim(ticket, Kind.SLA_ESCALATED, target, now):
        return False
    values = {"reference": ticket.reference, "target": _target_label(target), "subject": ticket.subject}
    title = _("SLA breached: %(target)s of %(reference)s") % values
    body = _("Case %(reference)s (“%(subject)s”) missed its %(target)s target.") % values
    _tell(recipients, ticket, NotificationKind.SLA_ESCALATED, title, body)
    policy = ticket.sla_policy
    raised = _NEXT_PRIORITY.get(ticket.priority)
    if policy is not None and policy.escalate_priority and raised is not None:
        ticket_change_priority(ticket=ticket, priority=raised, acting_user=None)
    return True


def tickets_escalate_sla_breaches(*, now: dt.datetime | None = None, limit: int = ALERT_BATCH) -> int:
    """Escalate each recorded breach of a running case once: tell the shop's supervisors, and raise the
    priority one step where the case's policy says so. Returns how many this run escalated."""
    now = now or timezone.now()
    escalated = TicketEvent.objects.filter(ticket_id=OuterRef("ticket_id"), kind=Kind.SLA_ESCALATED, new_value=OuterRef("new_value"))
    breaches = list(
        TicketEvent.objects.filter(
            kind=Kind.SLA_BREACHED, created_at__gte=now - ESCALATION_LOOKBACK,
            ticket__status__in=OPEN_STATUSES, ticket__sla_paused_at__isnull=True,
        ).filter(~Exists(escalated)).select_related("ticket__shop", "ticket__sla_policy").order_by("id")[:limit]
    )
    supervisors = _supervisors_by_shop({breach.ticket.shop_id for breach in breaches})
    done = 0
    for breach in breaches:
        with transaction.atomic():
            done += _escalate(breach, supervisors.get(breach.ticket.shop_id, []), now)
    return done
