"""The claim's evidence checklist and the workflow's records: what a liable party needs, what ticks it off,
what submitting without it takes, and what each move stamps on the claim."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import ClaimFactory, TicketFactory
from tests.tickets.claims_world import make_claim, make_supervisor, make_world
from tickets.claims import claim_change_status, claim_checklist, claim_required_evidence
from tickets.models import Claim, EvidenceKind, TicketEvent, TicketKind

E = EvidenceKind
Status = Claim.Status


@pytest.mark.parametrize(
    ("kind", "party", "case_kind", "expected"),
    [
        ("compensation", "carrier", TicketKind.LOST_PARCEL, (E.PROOF_OF_VALUE, E.CARRIER_STATEMENT, E.TRACKING_TIMELINE)),
        ("compensation", "marketplace", TicketKind.LOST_PARCEL, (E.PROOF_OF_VALUE, E.TRACKING_TIMELINE)),
        ("compensation", "insurer", TicketKind.LOST_PARCEL, (E.PROOF_OF_VALUE, E.CARRIER_STATEMENT, E.SHIPPING_DOCUMENT)),
        ("reship", "carrier", TicketKind.DAMAGED, (E.TRACKING_TIMELINE, E.PACKAGE_PHOTO, E.ITEM_PHOTO)),
        ("refund", "seller", TicketKind.DAMAGED, (E.PACKAGE_PHOTO, E.ITEM_PHOTO)),
        ("refund", "seller", TicketKind.DELIVERY_DELAY, ()),
        ("coupon", "carrier", TicketKind.DAMAGED, ()),
    ],
)
def test_required_evidence_by_claim_kind_liable_party_and_case_kind(kind, party, case_kind, expected):
    assert claim_required_evidence(kind=kind, liable_party=party, case_kind=case_kind) == tuple(expected)


def test_checklist_ticks_off_the_cases_files_and_the_timeline_supportdesk_holds(shop, desk_agent):
    world = make_world(shop, desk_agent)
    claim = make_claim(world)

    items = {item.kind: item for item in claim_checklist(claim)}

    assert list(items) == [E.PROOF_OF_VALUE, E.CARRIER_STATEMENT, E.TRACKING_TIMELINE]
    assert items[E.PROOF_OF_VALUE].files == [world.invoice]
    # classified evidence on an internal note counts; the note's unclassified file never does
    assert items[E.CARRIER_STATEMENT].files == [world.certificate]
    assert items[E.TRACKING_TIMELINE].present and items[E.TRACKING_TIMELINE].from_tracking


def test_a_parcel_without_events_leaves_the_timeline_missing(shop, desk_agent):
    world = make_world(shop, desk_agent, events=0)
    items = {item.kind: item.present for item in claim_checklist(make_claim(world))}
    assert items == {E.PROOF_OF_VALUE: True, E.CARRIER_STATEMENT: True, E.TRACKING_TIMELINE: False}


def test_submitting_with_missing_evidence_is_refused_naming_what_is_missing(desk_agent):
    claim = ClaimFactory(ticket=TicketFactory(kind=TicketKind.DAMAGED), kind=Claim.Kind.RESHIP)

    with pytest.raises(ValidationError) as refused:
        claim_change_status(claim=claim, status=Status.SUBMITTED, acting_user=desk_agent)

    message = " ".join(refused.value.messages)
    assert "Photo of the package" in message and "Photo of the item" in message and "Tracking timeline" in message
    claim.refresh_from_db()
    assert (claim.status, claim.submitted_at) == (Status.DRAFT, None)
    assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.CLAIM_STATUS_CHANGED).exists()


def test_an_override_reason_lets_it_go_and_is_kept(desk_agent):
    claim = ClaimFactory(ticket=TicketFactory(kind=TicketKind.LOST_PARCEL))

    claim = claim_change_status(claim=claim, status=Status.SUBMITTED, acting_user=desk_agent, override_reason="  Invoice by e-mail  ")

    assert claim.status == Status.SUBMITTED and claim.submitted_at is not None
    assert claim.evidence_override_reason == "Invoice by e-mail"


def test_a_complete_checklist_submits_without_a_reason_and_stores_none(shop, desk_agent):
    claim = make_claim(make_world(shop, desk_agent))

    claim = claim_change_status(claim=claim, status=Status.SUBMITTED, acting_user=desk_agent, override_reason="not needed")

    assert claim.status == Status.SUBMITTED and claim.evidence_override_reason == ""


def test_each_move_stamps_who_and_when_and_keeps_reference_and_resolution(shop, desk_agent):
    supervisor = make_supervisor(shop)
    claim = make_claim(make_world(shop, desk_agent), amount=Decimal("9000.00"))
    claim = claim_change_status(claim=claim, status=Status.SUBMITTED, acting_user=desk_agent)
    claim = claim_change_status(claim=claim, status=Status.UNDER_REVIEW, acting_user=desk_agent, external_reference=" RP-2026-117 ")
    claim = claim_change_status(claim=claim, status=Status.APPROVED, acting_user=supervisor, resolution_note="Loss confirmed")
    assert (claim.decided_by, claim.paid_at) == (supervisor, None) and claim.decided_at is not None
    claim = claim_change_status(claim=claim, status=Status.PAID, acting_user=supervisor)

    assert (claim.external_reference, claim.resolution_note) == ("RP-2026-117", "Loss confirmed")
    assert claim.paid_at is not None and claim.submitted_at <= claim.decided_at <= claim.paid_at
    events = TicketEvent.objects.filter(ticket=claim.ticket, kind=TicketEvent.Kind.CLAIM_STATUS_CHANGED)
    assert [e.new_value for e in events] == [f"{claim.pk}:{s}" for s in ("submitted", "under_review", "approved", "paid")]


def test_a_rejection_records_the_decider(desk_agent):
    claim = ClaimFactory(status=Status.UNDER_REVIEW)
    claim = claim_change_status(claim=claim, status=Status.REJECTED, acting_user=desk_agent, resolution_note="Delivered per POD")
    assert (claim.status, claim.decided_by, claim.resolution_note) == (Status.REJECTED, desk_agent, "Delivered per POD")


def test_a_move_on_a_stale_claim_is_refused_and_writes_nothing(desk_agent):
    claim = ClaimFactory(status=Status.SUBMITTED)
    stale = Claim.objects.select_related("ticket__shop").get(pk=claim.pk)
    claim_change_status(claim=claim, status=Status.UNDER_REVIEW, acting_user=desk_agent)

    with pytest.raises(ValidationError, match="Someone else changed this claim meanwhile; it is now Under review"):
        claim_change_status(claim=stale, status=Status.REJECTED, acting_user=desk_agent)

    claim.refresh_from_db()
    assert claim.status == Status.UNDER_REVIEW
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.CLAIM_STATUS_CHANGED).count() == 1
