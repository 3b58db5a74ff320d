"""Claims (DESIGN §4, seed 000): what each claim needs as evidence, and the two writers of claims.

`claim_create` and `claim_change_status` are the only code that writes a Claim (the admin and the desk
call them; tickets.services re-exports them). Each writes a TicketEvent on the claim's case in the same
transaction; status moves are conditional updates, so two agents acting at once cannot both win.

Submitting a claim whose evidence checklist is incomplete is refused with the list of what is missing,
unless the agent gives a reason to submit anyway (some carriers accept a claim and ask for documents
later): the reason is stored on the claim and printed in its dossier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.claim_selectors import case_has_tracking_events, claim_evidence_files
from tickets.models import Attachment, Claim, EvidenceKind, Ticket, TicketEvent, TicketKind
from tickets.webhook_events import record_claim_updated

Status = Claim.Status
Party = Claim.LiableParty
E = EvidenceKind

# What the liable party asks for, by claim kind and liable party (seed 000: "损失金额证明（如发票或支付凭证）、
# 物流公司出具的丢件证明" — proof of the loss amount and the carrier's loss certificate; the tracking
# timeline the carrier and the marketplace check first). Missing pairs need nothing.
CLAIM_EVIDENCE: dict[tuple[str, str], tuple[str, ...]] = {
    (Claim.Kind.COMPENSATION, Party.CARRIER): (E.PROOF_OF_VALUE, E.CARRIER_STATEMENT, E.TRACKING_TIMELINE),
    (Claim.Kind.COMPENSATION, Party.MARKETPLACE): (E.PROOF_OF_VALUE, E.TRACKING_TIMELINE),
    (Claim.Kind.COMPENSATION, Party.INSURER): (E.PROOF_OF_VALUE, E.CARRIER_STATEMENT, E.SHIPPING_DOCUMENT),
    (Claim.Kind.COMPENSATION, Party.SELLER): (E.PROOF_OF_VALUE,),
    (Claim.Kind.REFUND, Party.CARRIER): (E.PROOF_OF_VALUE, E.TRACKING_TIMELINE),
    (Claim.Kind.REFUND, Party.MARKETPLACE): (E.PROOF_OF_VALUE,),
    (Claim.Kind.REFUND, Party.INSURER): (E.PROOF_OF_VALUE, E.CARRIER_STATEMENT),
    (Claim.Kind.RESHIP, Party.CARRIER): (E.TRACKING_TIMELINE,),
    (Claim.Kind.RESHIP, Party.MARKETPLACE): (E.TRACKING_TIMELINE,),
}
# What the kind of problem adds whoever pays: damage is judged on photos of the package and the item.
CASE_KIND_CLAIM_EVIDENCE: dict[str, tuple[str, ...]] = {
    TicketKind.DAMAGED: (E.PACKAGE_PHOTO, E.ITEM_PHOTO),
}
# Evidence supportdesk produces itself: the dossier carries the tracking timeline it holds.
SYSTEM_EVIDENCE = frozenset({E.TRACKING_TIMELINE})


def claim_required_evidence(*, kind: str, liable_party: str, case_kind: str) -> tuple[str, ...]:
    """The evidence kinds a claim needs, in a stable order, without repeats. Coupons need nothing."""
    if kind == Claim.Kind.COUPON:
        return ()
    needed = (*CLAIM_EVIDENCE.get((kind, liable_party), ()), *CASE_KIND_CLAIM_EVIDENCE.get(case_kind, ()))
    return tuple(dict.fromkeys(needed))


@dataclass(frozen=True)
class ChecklistItem:
    kind: str
    files: list[Attachment] = field(default_factory=list)
    from_tracking: bool = False  # ticked by the timeline supportdesk holds, not by a file

    @property
    def label(self) -> str:
        return str(EvidenceKind(self.kind).label)

    @property
    def present(self) -> bool:
        return bool(self.files) or self.from_tracking


def build_checklist(
    required: Iterable[str], *, files: Iterable[Attachment], has_tracking_events: bool,
) -> list[ChecklistItem]:
    """Tick each required kind off with the case's evidence files of that kind (no queries)."""
    by_kind: dict[str, list[Attachment]] = {}
    for attachment in files:
        by_kind.setdefault(attachment.evidence_kind, []).append(attachment)
    return [
        ChecklistItem(kind=kind, files=by_kind.get(kind, []), from_tracking=kind in SYSTEM_EVIDENCE and has_tracking_events)
        for kind in required
    ]


def claim_checklist(claim: Claim) -> list[ChecklistItem]:
    """The claim's evidence checklist as the case stands now (two queries)."""
    ticket = claim.ticket
    required = claim_required_evidence(kind=claim.kind, liable_party=claim.liable_party, case_kind=ticket.kind)
    if not required:
        return []
    return build_checklist(required, files=claim_evidence_files(ticket), has_tracking_events=case_has_tracking_events(ticket))


def missing_evidence(checklist: Iterable[ChecklistItem]) -> list[str]:
    return [item.label for item in checklist if not item.present]


def _event(ticket: Ticket, kind: str, actor: User | None, old: object = "", new: object = "") -> None:
    TicketEvent.objects.create(ticket=ticket, kind=kind, actor=actor, old_value=str(old)[:200], new_value=str(new)[:200])


@transaction.atomic
def claim_create(
    *, ticket: Ticket, kind: str, amount: Decimal, currency: str, acting_user: User,
    liable_party: str = Claim.LiableParty.CARRIER, insured: bool = False, note: str = "",
) -> Claim:
    """File a draft claim on a case. Raises ValidationError (field by field) for a bad kind, amount or currency."""
    claim = Claim(
        ticket=ticket, kind=kind, amount=amount, currency=currency.upper(), liable_party=liable_party, insured=insured,
        note=note.strip(), created_by=acting_user,
    )
    claim.full_clean()
    claim.save()
    _event(ticket, TicketEvent.Kind.CLAIM_CREATED, acting_user, new=f"{claim.pk}:{kind} {amount} {claim.currency}")
    record_claim_updated(claim=claim, old_status=None)
    return claim


def _refuse_unless_allowed(claim: Claim, status: str, acting_user: User) -> None:
    if not claim.can_transition_to(status):
        raise ValidationError(
            _("A claim cannot go from %(old)s to %(new)s.") % {"old": claim.status, "new": status}
        )
    if claim.needs_supervisor_for(status) and not acting_user.has_perm("tickets.approve_claim"):
        raise ValidationError(
            _("Claims above %(threshold)s %(currency)s need a supervisor to approve or pay them; this one is %(amount)s %(currency)s.")
            % {"threshold": claim.ticket.shop.claim_approval_threshold, "currency": claim.currency, "amount": claim.amount}
        )


def _submission_changes(claim: Claim, override_reason: str) -> dict[str, object]:
    missing = missing_evidence(claim_checklist(claim))
    if missing and not override_reason:
        raise ValidationError(
            _("This claim cannot be submitted yet; evidence is missing: %(missing)s. Add it to the case, or give a reason to submit without it.")
            % {"missing": ", ".join(missing)}
        )
    return {"evidence_override_reason": override_reason if missing else ""}


@transaction.atomic
def claim_change_status(
    *, claim: Claim, status: str, acting_user: User, external_reference: str = "", resolution_note: str = "",
    override_reason: str = "",
) -> Claim:
    """Move a claim along draft → submitted → under_review → approved | rejected → paid.

    Approving or paying a claim above its shop's claim_approval_threshold needs tickets.approve_claim
    (supervisors); at or below it any agent may. Submitting needs the evidence checklist complete, or an
    `override_reason` (stored on the claim) when it is not. `external_reference` (the liable party's claim
    number) and `resolution_note` are recorded with the move when given. Stamps submitted_at, decided_at and
    decided_by, paid_at. Raises ValidationError, writing nothing, for any other move, a missing permission,
    missing evidence, or a claim someone else moved meanwhile.
    """
    old = claim.status
    _refuse_unless_allowed(claim, status, acting_user)
    now = timezone.now()
    changes: dict[str, object] = {"status": status, "updated_at": now}
    if status == Status.SUBMITTED:
        changes.update(_submission_changes(claim, override_reason.strip()), submitted_at=now)
    elif status in (Status.APPROVED, Status.REJECTED):
        changes.update(decided_at=now, decided_by=acting_user)
    elif status == Status.PAID:
        changes["paid_at"] = now
    if external_reference.strip():
        changes["external_reference"] = external_reference.strip()[:100]
    if resolution_note.strip():
        changes["resolution_note"] = resolution_note.strip()
    if Claim.objects.filter(id=claim.id, status=old).update(**changes) != 1:
        claim.refresh_from_db()
        raise ValidationError(
            _("Someone else changed this claim meanwhile; it is now %(status)s. Nothing was changed.")
            % {"status": claim.get_status_display()}
        )
    _event(claim.ticket, TicketEvent.Kind.CLAIM_STATUS_CHANGED, acting_user, f"{claim.pk}:{old}", f"{claim.pk}:{status}")
    claim.refresh_from_db()
    record_claim_updated(claim=claim, old_status=old)
    return claim
