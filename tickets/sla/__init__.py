"""Service-level targets in business time (DESIGN §4, issue 5 item 4).

- business_time: pure arithmetic on a shop's working calendar (weekly hours, public holidays of its
  country with the government's transfers, the shop's special days);
- policies: which targets a case gets (most specific SlaPolicy, else the built-in default);
- clock: due and warning times, and the pause while a case waits on the buyer or the carrier;
- snapshot: the queue row's SLA badge, computed from the ticket row alone;
- queries: the same rules in SQL for querysets (due soon, breached, order by the next due time);
- alerts: warnings before a breach and escalation after it (Celery beat).
"""

from __future__ import annotations

from tickets.sla.business_time import BusinessCalendar, add_business_time, business_time_between, country_for_zone
from tickets.sla.clock import PAUSED_STATUSES, calendar_for_shop, sla_clock_change, sla_dues, sla_fields
from tickets.sla.policies import SlaTargets, choose_policy, default_targets, sla_targets_for
from tickets.sla.queries import q_sla_breached, q_sla_due_soon, sla_next_due
from tickets.sla.snapshot import SlaSnapshot, sla_snapshot

__all__ = [
    "PAUSED_STATUSES", "BusinessCalendar", "SlaSnapshot", "SlaTargets", "add_business_time", "business_time_between",
    "calendar_for_shop", "choose_policy", "country_for_zone", "default_targets", "sla_clock_change", "sla_dues",
    "q_sla_breached", "q_sla_due_soon", "sla_fields", "sla_next_due", "sla_snapshot", "sla_targets_for",
]
