"""Playing out the planned cases through the ticket services, then dating every row to the story.

The services stamp rows with the real clock; after each step `_backdate` moves what that step
wrote (anything dated after the run started) to the step's time in the story, so queues, SLA
clocks and timelines look like weeks of work rather than one second.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import Case, F, Value, When

from logistics.models import Parcel, TrackingNumberChange
from orders.models import Order
from tickets.demo import texts
from tickets.demo.catalog import SHENZHEN
from tickets.demo.plans import CasePlan, sub_rng
from tickets.demo.scripts import Step, script
from tickets.demo.world import Cast
from tickets.models import Claim, Message, Ticket, TicketChannel, TicketEvent, TicketKind
from tickets.services import (
    claim_change_status,
    claim_create,
    message_create,
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
    ticket_create,
)
from tickets.sla import sla_fields

_TICKET_TIMES = ("created_at", "first_responded_at", "resolved_at", "closed_at")


def _backdate(ticket: Ticket, at: dt.datetime, since: dt.datetime) -> None:
    """Give every row the last step wrote (dated after `since`) the step's story time `at`."""
    Ticket.objects.filter(id=ticket.id).update(
        updated_at=at, **{f: Case(When(**{f"{f}__gte": since}, then=Value(at)), default=F(f)) for f in _TICKET_TIMES}
    )
    Message.objects.filter(ticket=ticket, created_at__gte=since).update(created_at=at)
    TicketEvent.objects.filter(ticket=ticket, created_at__gte=since).update(created_at=at)
    Claim.objects.filter(ticket=ticket, created_at__gte=since).update(created_at=at)
    Claim.objects.filter(ticket=ticket, updated_at__gte=since).update(updated_at=at)


def _typo(number: str, rng: random.Random) -> str:
    """The number as a seller might mistype it: one digit wrong."""
    digits = [n for n, char in enumerate(number) if char.isdigit()]
    at = rng.choice(digits[-6:])
    return number[:at] + str((int(number[at]) + rng.randint(1, 8)) % 10) + number[at + 1:]


def _facts(plan: CasePlan, order: Order, parcel: Parcel, cast: Cast, rng: random.Random) -> texts.Facts:
    """What the conversation can mention, taken from the order and its parcels as they are in the database."""
    # What the tracking said when the case was opened; later events are part of the story still to come.
    timeline = parcel.events.order_by("-occurred_at", "-id")
    newest = timeline.filter(occurred_at__lte=plan.opened_at).first() or timeline.first()
    returned = order.parcels.filter(direction=Parcel.Direction.RETURN).select_related("carrier").first()
    buyer = order.buyer
    name = f"{buyer.last_name}{buyer.first_name}" if plan.language == "zh-hans" else buyer.first_name
    facts = texts.Facts(
        posting=order.posting_number, tracking=parcel.tracking_number, carrier=parcel.carrier.name, name=name,
        product=order.lines.all()[0].name, promised=f"{order.promised_delivery_date:%d.%m.%Y}", address=order.shipping_address,
        amount=f"{order.declared_value}", currency=order.currency, claim_ref=f"{rng.randint(10**7, 10**8 - 1)}",
        new_flat=str(rng.randint(1, 240)), agent=cast.agent.first_name, shop=order.shop.name,
        old_number=parcel.tracking_number, new_number=parcel.tracking_number,
        days=str(max(0, (plan.opened_at.date() - (order.promised_delivery_date or plan.opened_at.date())).days)),
    )
    if newest is not None:
        facts.update(last_status=newest.raw_description, last_location=newest.location,
                     last_date=f"{newest.occurred_at:%d.%m.%Y}")
    if returned is not None:
        facts.update(return_tracking=returned.tracking_number, return_carrier=returned.carrier.name)
    return facts


def _open(plan: CasePlan, order: Order, parcel: Parcel, cast: Cast, facts: texts.Facts, rng: random.Random) -> Ticket:
    """Open the case the way its channel does: the buyer writes, supportdesk notices, or staff type it in."""
    channel = plan.channel
    acting: User | None = order.buyer
    body = texts.text(plan.language, plan.kind, "opener", facts, rng)
    if channel == TicketChannel.SYSTEM:
        acting, body = None, texts.text(plan.language, plan.kind, "system", facts, rng)
    elif channel == TicketChannel.PHONE:
        acting, body = cast.agent, texts.relayed(plan.language, channel, body)
    elif channel == TicketChannel.API:  # the shop's own system files what the buyer wrote on the marketplace
        acting = cast.seller if order.shop.slug == SHENZHEN else cast.agent
        body = texts.relayed(plan.language, channel, body)
    subject = texts.text(plan.language, plan.kind, "subject", facts, rng)
    return ticket_create(shop=order.shop, buyer=order.buyer, kind=plan.kind, subject=subject, body=body, order=order,
                         parcel=parcel, channel=channel, priority=plan.priority, acting_user=acting)


def _step_times(count: int, opened: dt.datetime, now: dt.datetime, rng: random.Random) -> list[dt.datetime]:
    gaps = [rng.uniform(0.3, 20) for _ in range(count)]
    room = (now - dt.timedelta(minutes=rng.uniform(5, 90)) - opened).total_seconds() / 3600
    scale = min(1.0, room / sum(gaps)) if gaps else 1.0
    times, at = [], opened
    for gap in gaps:
        at += dt.timedelta(hours=gap * scale)
        times.append(at)
    return times


@dataclass
class Scene:
    """Everything a step of one case needs."""

    plan: CasePlan
    order: Order
    cast: Cast
    facts: texts.Facts
    rng: random.Random
    claims: list[Claim] = field(default_factory=list)
    handler: User | None = None  # who writes the staff turns: the current assignee

    def say(self, key: str) -> str:
        return texts.text(self.plan.language, self.plan.kind, key, self.facts, self.rng)


def _file_claim(scene: Scene, ticket: Ticket) -> None:
    # Lost: the carrier owes the value; damaged: the carrier pays for the re-ship the seller sends.
    kind = Claim.Kind.RESHIP if scene.plan.kind == TicketKind.DAMAGED else Claim.Kind.COMPENSATION
    scene.claims.append(claim_create(
        ticket=ticket, kind=kind, amount=scene.order.declared_value, currency=scene.order.currency,
        acting_user=scene.cast.agent, liable_party=Claim.LiableParty.CARRIER, insured=scene.rng.random() < 0.3,
    ))


def _run(step: Step, ticket: Ticket, scene: Scene, at: dt.datetime) -> Ticket:
    """Perform one step through the services; returns the ticket as the services left it."""
    action, arg = step
    cast = scene.cast
    handler = scene.handler or cast.agent
    if action == "assign":  # the agent takes a case; only a supervisor takes one over (escalation)
        scene.handler = cast.supervisor if arg == "supervisor" else cast.agent
        scene.facts["agent"] = scene.handler.first_name
        return ticket_assign(ticket=ticket, agent=scene.handler, acting_user=scene.handler)
    if action == "status":
        return ticket_change_status(ticket=ticket, status=arg, acting_user=handler)
    if action == "priority":
        return ticket_change_priority(ticket=ticket, priority=arg, acting_user=cast.supervisor)
    if action == "buyer":
        message_create(ticket=ticket, author=ticket.buyer, body=scene.say(arg))
    elif action == "reply":
        message_create(ticket=ticket, author=handler, body=texts.signed(scene.plan.language, scene.say(arg), scene.facts))
    elif action == "note":
        message_create(ticket=ticket, author=handler, body=scene.say("note"), visibility=Message.Visibility.INTERNAL)
    elif action == "claim":
        _file_claim(scene, ticket)
    elif action == "claim_status":
        actor = cast.agent if arg == Claim.Status.SUBMITTED else cast.supervisor  # supervisors decide on claims
        # the demo's cases carry no invoices or loss certificates: say why the claim goes out without them
        reason = "Documents follow by e-mail" if arg == Claim.Status.SUBMITTED else ""
        scene.claims[-1] = claim_change_status(claim=scene.claims[-1], status=arg, acting_user=actor, override_reason=reason)
    elif action == "number":
        _record_number_change(ticket, scene, at)
    return ticket


def _record_number_change(ticket: Ticket, scene: Scene, at: dt.datetime) -> None:
    """The seller had uploaded a mistyped number; the fix is kept in the parcel's history (ORM: no service yet)."""
    parcel = ticket.parcel
    if parcel is None:
        return
    old = scene.facts["old_number"]
    fixer = scene.cast.seller if ticket.shop.slug == SHENZHEN else scene.cast.agent
    TrackingNumberChange.objects.create(
        parcel=parcel, old_carrier=parcel.carrier, old_number=old, new_carrier=parcel.carrier,
        new_number=parcel.tracking_number, reason="Seller uploaded a mistyped tracking number; buyer could not track it.",
        changed_by_id=fixer.pk, changed_at=at,
    )


def create_case(plan: CasePlan, order: Order, *, cast: Cast, seed: int, now: dt.datetime) -> Ticket:
    """Open the case and play its script; every row ends up dated between `opened_at` and now."""
    rng = sub_rng(seed, "case-story", plan.index)
    parcels = list(order.parcels.select_related("carrier").order_by("id"))
    parcel = parcels[-1] if plan.kind == TicketKind.RETURN_EXCHANGE else parcels[0]
    facts = _facts(plan, order, parcels[0], cast, rng)
    steps = script(plan, rng)
    if plan.kind == TicketKind.TRACKING_NUMBER and any(action == "number" for action, _arg in steps):
        facts["old_number"] = _typo(parcels[0].tracking_number, rng)
    ticket = _open(plan, order, parcel, cast, facts, rng)
    sla = sla_fields(shop=order.shop, kind=plan.kind, priority=plan.priority, opened_at=plan.opened_at)
    Ticket.objects.filter(id=ticket.id).update(**sla)
    ticket.refresh_from_db()
    _backdate(ticket, plan.opened_at, now)
    scene = Scene(plan, order, cast, facts, rng)
    for step, at in zip(steps, _step_times(len(steps), plan.opened_at, now, rng), strict=True):
        ticket = _run(step, ticket, scene, at)
        _backdate(ticket, at, now)
    return ticket
