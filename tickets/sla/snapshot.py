"""The SLA badge of a queue row, from the ticket row alone (no queries)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from tickets.models import Ticket, TicketStatus

Target = Literal["first_response", "resolution"]
State = Literal["ok", "due_soon", "breached", "paused", "met"]


@dataclass(frozen=True)
class SlaSnapshot:
    """`target`: the clock that matters now (None: the case has no SLA times). `remaining`: wall-clock time until
    `due_at` (negative once breached); while paused, the time that was left when the pause began; for a
    settled case, how early (positive) or late (negative) it was resolved."""

    target: Target | None
    due_at: dt.datetime | None
    remaining: dt.timedelta | None
    state: State


def _pending(ticket: Ticket) -> list[tuple[dt.datetime, Target, dt.datetime | None]]:
    pending: list[tuple[dt.datetime, Target, dt.datetime | None]] = []
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        pending.append((ticket.first_response_due, "first_response", ticket.first_response_warn_at))
    if ticket.resolution_due is not None:
        pending.append((ticket.resolution_due, "resolution", ticket.resolution_warn_at))
    return pending


def sla_snapshot(ticket: Ticket, now: dt.datetime) -> SlaSnapshot:
    """The case's SLA state at `now`: the earliest pending target (first reply while unanswered, resolution)
    and whether it is ok, due soon (past its warning time), breached or paused; "met" or "breached" for a
    resolved or closed case, judged by when it was resolved."""
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        due = ticket.resolution_due
        settled = ticket.resolved_at or ticket.closed_at
        if due is None or settled is None:
            return SlaSnapshot(None, None, None, "met")
        return SlaSnapshot("resolution", due, due - settled, "met" if settled <= due else "breached")
    pending = _pending(ticket)
    if not pending:
        return SlaSnapshot(None, None, None, "ok")
    due, target, warn_at = min(pending, key=lambda item: item[0])
    if ticket.sla_paused_at is not None:
        return SlaSnapshot(target, due, due - ticket.sla_paused_at, "paused")
    remaining = due - now
    if remaining <= dt.timedelta(0):
        return SlaSnapshot(target, due, remaining, "breached")
    return SlaSnapshot(target, due, remaining, "due_soon" if warn_at is not None and now >= warn_at else "ok")
