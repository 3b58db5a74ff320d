"""The steps of a case, from its kind and the status it must end in, along ALLOWED_TRANSITIONS.

A step is (action, argument): assign (who), status (new status), priority, reply / buyer (text
key), note, claim, claim_status (new claim status), number (record a tracking-number fix).
"""

from __future__ import annotations

import random

from tickets.demo.plans import CasePlan
from tickets.models import Claim, TicketChannel, TicketKind, TicketPriority
from tickets.models import TicketStatus as T

Step = tuple[str, str]
_CLAIM_PATH = [Claim.Status.SUBMITTED, Claim.Status.UNDER_REVIEW, Claim.Status.APPROVED, Claim.Status.PAID]
# How far a claim has got when its case reaches this status.
_CLAIM_DEPTH: dict[str, int] = {T.OPEN: 0, T.WAITING_ON_BUYER: 0, T.WAITING_ON_CARRIER: 2, T.RESOLVED: 3, T.CLOSED: 4}


def _claim_steps(plan: CasePlan, rng: random.Random) -> list[Step]:
    if not plan.claim:
        return []
    path = _CLAIM_PATH[: _CLAIM_DEPTH[plan.status]]
    if plan.status == T.RESOLVED and plan.kind == TicketKind.DAMAGED and rng.random() < 0.4:
        path[-1] = Claim.Status.REJECTED  # the carrier blames the packaging; the seller re-ships anyway
    return [("claim", ""), *[("claim_status", status) for status in path]]


def _middle(plan: CasePlan, rng: random.Random) -> list[Step]:
    """From the first answer to the resolution: ask the carrier, or ask the buyer."""
    if plan.kind in (TicketKind.LOST_PARCEL, TicketKind.DELIVERY_DELAY):
        steps = [("note", ""), *_claim_steps(plan, rng), ("reply", "carrier"), ("status", T.WAITING_ON_CARRIER),
                 ("status", T.OPEN)]
    else:
        steps = [("reply", "question"), ("status", T.WAITING_ON_BUYER), ("buyer", "answer"), ("status", T.OPEN),
                 ("note", ""), *_claim_steps(plan, rng)]
    if rng.random() < 0.25:  # escalated: the supervisor takes the case over
        steps.insert(1, ("assign", "supervisor"))
    return steps


def _finish(plan: CasePlan, rng: random.Random) -> list[Step]:
    steps: list[Step] = [("reply", "resolution"), ("status", T.RESOLVED)]
    if rng.random() < 0.2:  # reopened: the buyer was not satisfied the first time
        steps += [("buyer", "reopen"), ("status", T.OPEN), ("reply", "recheck"), ("status", T.RESOLVED)]
    if plan.status == T.CLOSED:
        steps += [("buyer", "thanks"), ("status", T.CLOSED)]
    return steps


def _start(plan: CasePlan, rng: random.Random) -> list[Step]:
    steps: list[Step] = [("assign", "agent"), ("status", T.OPEN)]
    if plan.kind == TicketKind.TRACKING_NUMBER:
        steps.append(("number", ""))
    steps.append(("reply", "system_ack" if plan.channel == TicketChannel.SYSTEM else "ack"))
    if plan.kind == TicketKind.LOST_PARCEL and plan.priority != TicketPriority.URGENT and rng.random() < 0.5:
        steps.append(("priority", TicketPriority.URGENT))
    return steps


def script(plan: CasePlan, rng: random.Random) -> list[Step]:
    """The steps that take a new case to `plan.status`."""
    if plan.status == T.NEW:
        nudge = plan.channel != TicketChannel.SYSTEM and rng.random() < 0.4
        return [("buyer", "followup")] if nudge else []
    steps = _start(plan, rng)
    if plan.status == T.OPEN:
        return steps + _claim_steps(plan, rng) + ([("buyer", "followup")] if rng.random() < 0.4 else [])
    if plan.status == T.WAITING_ON_BUYER:
        return steps + _claim_steps(plan, rng) + [("reply", "question"), ("status", T.WAITING_ON_BUYER)]
    if plan.status == T.WAITING_ON_CARRIER:
        return steps + [("note", ""), *_claim_steps(plan, rng), ("reply", "carrier"), ("status", T.WAITING_ON_CARRIER)]
    return steps + _middle(plan, rng) + _finish(plan, rng)
