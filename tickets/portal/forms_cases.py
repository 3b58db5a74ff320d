"""Buyer case forms: one per kind of problem, each asking for what that kind needs and saying why.

The forms only validate; `cleaned_data` (through `compose_body` and `evidence`) goes straight into
the services. Evidence limits are checked here too, so a rejected file re-renders the form and
creates nothing.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from logistics.models import Parcel
from orders.models import Order
from tickets.evidence import CaseAttachmentsForm, CleanEvidence, EvidenceFilesField, evidence_check_case_budget
from tickets.models import EvidenceKind, TicketKind
from tickets.portal.case_selectors import new_case_wait

# One line per kind, shown where the buyer picks what went wrong (seeds 000-004: what each problem needs).
KIND_HELP: dict[str, Promise] = {
    TicketKind.LOST_PARCEL: _("The promised date has passed and the tracking has not moved for a long time."),
    TicketKind.DELIVERY_DELAY: _("The parcel is moving but later than promised, or its status looks stuck."),
    TicketKind.DAMAGED: _("The package or the item arrived broken. You will need photos of both."),
    TicketKind.RETURN_EXCHANGE: _("You want to send the item back for a refund or swap it for another one."),
    TicketKind.ADDRESS_CHANGE: _("The delivery address is wrong or you have moved; a fee or delay may apply."),
    TicketKind.TRACKING_NUMBER: _("The tracking number does not work, shows someone else's parcel or was replaced."),
    TicketKind.PRODUCT_QUESTION: _("A question about the item itself: size, use, compatibility, warranty."),
    TicketKind.OTHER: _("Anything else about this order."),
}


class CaseForm(forms.Form):
    """What every kind asks: a subject, the buyer's own words and optional screenshots."""

    kind: ClassVar[str] = TicketKind.OTHER
    why: ClassVar[Promise] = _("Tell us what happened in your own words; an agent replies within 24 hours.")
    # Field name → the evidence kind its files are stored as.
    evidence_fields: ClassVar[dict[str, str]] = {"extra_files": EvidenceKind.SCREENSHOT}

    subject = forms.CharField(
        max_length=200, label=_("Subject"), help_text=_("A short title for your case; we suggested one from the order.")
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), label=_("Your message"),
        help_text=_("What happened, and what you would like us to do."),
    )
    extra_files = EvidenceFilesField(required=False, label=_("Screenshots or other files (optional)"))

    def __init__(self, *args: Any, order: Order, parcel: Parcel | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order, self.parcel = order, parcel
        self.fields["subject"].initial = f"{TicketKind(self.kind).label} — {order.posting_number}"
        specific = [name for name in self.fields if name not in ("subject", "body", "extra_files")]
        self.order_fields(["subject", *specific, "body", "extra_files"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_case_quota()
        files = [file for _kind, group in self.evidence() for file in group]
        limit = int(settings.EVIDENCE_MAX_FILES_PER_MESSAGE)
        if len(files) > limit:  # each field checks its own count; together they all go on the first message
            raise ValidationError(_("Attach at most %(count)d files in all."), code="evidence_too_many_files", params={"count": limit})
        if files:
            evidence_check_case_budget(ticket=None, files=files)  # ValidationError → a form error, nothing stored
        return cleaned

    def _check_case_quota(self) -> None:
        wait = new_case_wait(self.order.buyer_id)  # the view only builds this form for the order's own buyer
        if wait is not None:
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            message = ngettext(
                "You have opened the most cases we accept in one hour. Please try again in %(minutes)d minute, "
                "or add to one of your open cases.",
                "You have opened the most cases we accept in one hour. Please try again in %(minutes)d minutes, "
                "or add to one of your open cases.",
                minutes,
            )
            raise ValidationError(message, code="case_quota", params={"minutes": minutes})

    def kind_label(self) -> str:
        return str(TicketKind(self.kind).label)

    def details(self) -> list[tuple[str, str]]:
        """Kind-specific answers as (label, text), written into the first message for the agent."""
        return []

    def compose_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        blocks = [f"{label}:\n{text}" if "\n" in text else f"{label}: {text}" for label, text in self.details()]
        return "\n\n".join([body, *blocks])

    def evidence(self) -> list[tuple[str, list[CleanEvidence]]]:
        """(evidence kind, files) for every file field the buyer filled in."""
        data = getattr(self, "cleaned_data", {})
        return [(kind, list(data[name])) for name, kind in self.evidence_fields.items() if data.get(name)]


class LostParcelForm(CaseForm):
    kind = TicketKind.LOST_PARCEL
    why = _(
        "To open an investigation with the carrier we need the date you were promised. To claim compensation we "
        "also need proof of what you paid (an invoice or payment receipt); we add the tracking history ourselves."
    )
    evidence_fields = {**CaseForm.evidence_fields, "proof_of_value": EvidenceKind.PROOF_OF_VALUE}

    expected_on = forms.DateField(
        label=_("When did you expect it?"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The delivery date you were promised; we filled in the one on your order."),
    )
    proof_of_value = EvidenceFilesField(required=False, label=_("Proof of value (optional)"))

    def __init__(self, *args: Any, order: Order, parcel: Parcel | None, **kwargs: Any) -> None:
        super().__init__(*args, order=order, parcel=parcel, **kwargs)
        promised = parcel.promised_date if parcel is not None else None
        self.fields["expected_on"].initial = promised or order.promised_delivery_date

    def details(self) -> list[tuple[str, str]]:
        return [(str(_("Expected delivery")), self.cleaned_data["expected_on"].isoformat())]


class DeliveryDelayForm(CaseForm):
    kind = TicketKind.DELIVERY_DELAY
    why = _("We compare the tracking with the promised date. A screenshot helps if the order page shows something else.")

    def __init__(self, *args: Any, order: Order, parcel: Parcel | None, **kwargs: Any) -> None:
        super().__init__(*args, order=order, parcel=parcel, **kwargs)
        self.fields["extra_files"].label = _("Screenshot of the order or tracking page (optional)")


class DamagedForm(CaseForm):
    kind = TicketKind.DAMAGED
    why = _(
        "Compensation or a re-shipment for damage is decided from photos: the package shows whether it was damaged "
        "on the way, the item shows what is broken. Please keep the packaging until the case is settled."
    )
    evidence_fields = {
        **CaseForm.evidence_fields, "package_photos": EvidenceKind.PACKAGE_PHOTO, "item_photos": EvidenceKind.ITEM_PHOTO,
    }

    package_photos = EvidenceFilesField(required=True, label=_("Photos of the package (with the label and the damage)"))
    item_photos = EvidenceFilesField(required=True, label=_("Photos of the damaged item"))


RETURN_REASONS: list[tuple[str, Promise]] = [
    ("doesnt_fit", _("It doesn't fit")),
    ("defective", _("It is defective")),
    ("wrong_item", _("I received the wrong item")),
    ("changed_mind", _("I changed my mind")),
    ("other", _("Other reason")),
]
RETURN_OUTCOMES: list[tuple[str, Promise]] = [("refund", _("Return it for a refund")), ("exchange", _("Exchange it"))]


class ReturnExchangeForm(CaseForm):
    kind = TicketKind.RETURN_EXCHANGE
    why = _(
        "The seller's return policy depends on the reason, and photos of the item show its condition before it is "
        "sent back. We will tell you how to send the return parcel."
    )
    evidence_fields = {**CaseForm.evidence_fields, "item_photos": EvidenceKind.ITEM_PHOTO}

    reason = forms.ChoiceField(
        choices=RETURN_REASONS, widget=forms.RadioSelect, label=_("Why are you returning it?"),
        help_text=_("Pick the closest reason."),
    )
    outcome = forms.ChoiceField(
        choices=RETURN_OUTCOMES, widget=forms.RadioSelect, initial="refund", label=_("What would you like?"),
        help_text=_("A refund, or the same item again / in another size."),
    )
    item_photos = EvidenceFilesField(required=True, label=_("Photos of the item"))

    def details(self) -> list[tuple[str, str]]:
        reason = dict(RETURN_REASONS)[self.cleaned_data["reason"]]
        outcome = dict(RETURN_OUTCOMES)[self.cleaned_data["outcome"]]
        return [(str(_("Reason")), str(reason)), (str(_("Wanted")), str(outcome))]


class AddressChangeForm(CaseForm):
    kind = TicketKind.ADDRESS_CHANGE
    why = _(
        "The carrier can usually redirect a parcel before or during delivery, but it may charge a fee or deliver "
        "later. Give the full new address so the courier does not have to call you."
    )

    recipient_name = forms.CharField(max_length=200, label=_("Recipient"), help_text=_("Who receives the parcel."))
    recipient_phone = forms.CharField(
        max_length=32, required=False, label=_("Phone (optional)"), help_text=_("For the courier to call on arrival.")
    )
    postal_code = forms.CharField(max_length=16, label=_("Postal code"), help_text=_("Six digits in Russia."))
    region = forms.CharField(max_length=120, required=False, label=_("Region (optional)"), help_text=_("Oblast, krai or republic."))
    city = forms.CharField(max_length=120, label=_("City or town"), help_text=_("Where the parcel should go now."))
    address_line = forms.CharField(
        max_length=300, label=_("Street, house, flat"), help_text=_("Add the entrance and floor if the courier needs them.")
    )
    accept_fee = forms.BooleanField(
        required=True, label=_("I accept that the change may cost a fee or delay the delivery"),
        help_text=_("The carrier sets the fee; we tell you before anything is charged."),
    )

    def __init__(self, *args: Any, order: Order, parcel: Parcel | None, **kwargs: Any) -> None:
        super().__init__(*args, order=order, parcel=parcel, **kwargs)
        self.fields["recipient_name"].initial = order.recipient_name
        self.fields["recipient_phone"].initial = order.recipient_phone

    def details(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        place = ", ".join(part for part in (data["postal_code"], data["region"], data["city"]) if part)
        lines = [data["recipient_name"], data["recipient_phone"], place, data["address_line"]]
        return [
            (str(_("Current address")), self.order.shipping_address),
            (str(_("New delivery address")), "\n".join(line for line in lines if line)),
            (str(_("Fee or delay")), str(_("accepted by the buyer"))),
        ]


class TrackingNumberForm(CaseForm):
    kind = TicketKind.TRACKING_NUMBER
    why = _("The seller checks the number with the carrier and sends you the right one if it was replaced.")

    problem = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=_("What is wrong with the number?"),
        help_text=_("For example: the carrier does not know it, it shows another city, it has not changed for days."),
    )
    number_seen = forms.CharField(
        max_length=64, required=False, label=_("The number you have (optional)"),
        help_text=_("As it appears in your order or the carrier's message."),
    )

    def details(self) -> list[tuple[str, str]]:
        details = [(str(_("Problem with the tracking number")), self.cleaned_data["problem"].strip())]
        if self.cleaned_data["number_seen"]:
            details.append((str(_("Number the buyer has")), self.cleaned_data["number_seen"].strip()))
        return details


class ProductQuestionForm(CaseForm):
    kind = TicketKind.PRODUCT_QUESTION
    why = _("Ask anything about the item; the seller answers through us.")


class OtherCaseForm(CaseForm):
    kind = TicketKind.OTHER


CASE_FORMS: dict[str, type[CaseForm]] = {
    form.kind: form
    for form in (
        LostParcelForm, DeliveryDelayForm, DamagedForm, ReturnExchangeForm, AddressChangeForm,
        TrackingNumberForm, ProductQuestionForm, OtherCaseForm,
    )
}

# What the buyer may say a reply's files show (agents' own kinds, like the carrier statement, are left out).
_REPLY_EVIDENCE = (
    EvidenceKind.PACKAGE_PHOTO, EvidenceKind.ITEM_PHOTO, EvidenceKind.PROOF_OF_VALUE,
    EvidenceKind.SHIPPING_DOCUMENT, EvidenceKind.SCREENSHOT, EvidenceKind.OTHER,
)


class ReplyForm(CaseAttachmentsForm):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("Your reply"))
    attachments = EvidenceFilesField(required=False, label=_("Files (optional)"))
    evidence_kind = forms.ChoiceField(
        choices=[(kind.value, kind.label) for kind in _REPLY_EVIDENCE], initial=EvidenceKind.OTHER,
        label=_("What do the files show?"), help_text=_("So we can tick it off the list of what your case needs."),
    )


