"""The SLA state of one case as the queue shows it: the one place that decides ok / due soon / breached / met.

Pure: it reads the case's fields and `now`, never the database. A case waiting on the buyer or the carrier has
its clock paused (tickets/sla): it shows "Paused", and is neither due soon nor breached until it resumes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket


class SlaLevel:
    OK = "ok"
    PAUSED = "paused"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    MET = "met"
    NONE = "none"


# Bootstrap's badge colours per level; the queue draws one badge a row.
_CSS = {
    SlaLevel.BREACHED: "text-bg-danger", SlaLevel.DUE_SOON: "text-bg-warning", SlaLevel.OK: "text-bg-success",
    SlaLevel.MET: "text-bg-secondary",
}


@dataclass(frozen=True)
class SlaBadge:
    label: str | Promise
    level: str
    due: dt.datetime | None = None

    @property
    def css(self) -> str:
        return _CSS.get(self.level, "text-bg-light border")


def _soonest_pending(ticket: Ticket, time: str) -> dt.datetime | None:
    """The sooner `first_response_<time>` (until answered) or `resolution_<time>` of an open case (`time`: "due" or
    "warn_at"); None for settled cases and cases without them. Mirrors tickets.desk.sla_due."""
    if not ticket.is_open:
        return None
    reply = getattr(ticket, f"first_response_{time}") if ticket.first_responded_at is None else None
    return min((moment for moment in (reply, getattr(ticket, f"resolution_{time}")) if moment is not None), default=None)


def sla_due(ticket: Ticket) -> dt.datetime | None:
    """What is due next on an open case: the first response (until answered) or the resolution, the sooner."""
    return _soonest_pending(ticket, "due")


def _missed(ticket: Ticket) -> bool:
    """A target that was met late: the first reply after its due time, or settling after the resolution due time."""
    replied, reply_due = ticket.first_responded_at, ticket.first_response_due
    if replied is not None and reply_due is not None and replied > reply_due:
        return True
    settled = ticket.resolved_at or ticket.closed_at
    return not ticket.is_open and settled is not None and ticket.resolution_due is not None and settled > ticket.resolution_due


def sla_badge(ticket: Ticket, now: dt.datetime) -> SlaBadge:
    """"Due soon" from the target's warning time, which its SLA policy sets (in business hours): the same moment the
    warning notification goes out and the case page's clock turns amber, and the rule of the "breaching" view."""
    due, warn_at = sla_due(ticket), _soonest_pending(ticket, "warn_at")
    if ticket.is_open and ticket.sla_paused_at is not None:
        # waiting on the buyer or the carrier: the clock stands still and the due times move on resume (tickets/sla)
        return SlaBadge(_("Paused"), SlaLevel.PAUSED, due)
    if _missed(ticket) or (due is not None and due <= now):
        return SlaBadge(_("Breached"), SlaLevel.BREACHED, due)
    if due is None:
        has_targets = ticket.first_response_due is not None or ticket.resolution_due is not None
        return SlaBadge(_("Met"), SlaLevel.MET) if has_targets else SlaBadge(_("No SLA"), SlaLevel.NONE)
    if warn_at is not None and warn_at <= now:
        return SlaBadge(_("Due soon"), SlaLevel.DUE_SOON, due)
    return SlaBadge(_("On track"), SlaLevel.OK, due)
