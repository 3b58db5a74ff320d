"""Forms of the desk's claim pages: they validate and clean; their cleaned_data goes straight into tickets.claims."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import Shop
from tickets.models import Claim, Ticket


class ClaimCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Claim.Kind.choices)
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=12, decimal_places=2)
    currency = forms.RegexField(
        label=_("Currency"), regex=r"^[A-Za-z]{3}$", max_length=3,
        error_messages={"invalid": _("Use a three-letter ISO 4217 code, e.g. RUB or CNY.")},
    )
    liable_party = forms.ChoiceField(label=_("Liable party"), choices=Claim.LiableParty.choices)
    insured = forms.BooleanField(label=_("The parcel was insured"), required=False)
    note = forms.CharField(
        label=_("Note for the liable party"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Printed in the dossier: what happened and what is asked for."),
    )

    @staticmethod
    def initial_for(ticket: Ticket) -> dict[str, Any]:
        """Compensation for the order's declared value, to the carrier: what a lost parcel usually needs."""
        order = ticket.order
        initial: dict[str, Any] = {"kind": Claim.Kind.COMPENSATION, "liable_party": Claim.LiableParty.CARRIER, "currency": "RUB"}
        if order is not None:
            initial.update(amount=order.declared_value, currency=order.currency)
        return initial

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).upper()


class ClaimMoveForm(forms.Form):
    status = forms.ChoiceField(choices=Claim.Status.choices)
    external_reference = forms.CharField(label=_("Their claim number"), max_length=100, required=False)
    resolution_note = forms.CharField(label=_("Resolution note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        label=_("Submit without the missing evidence because…"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
    )


class ClaimFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any status")), *Claim.Status.choices], required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Any kind")), *Claim.Kind.choices], required=False)
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=Shop.objects.none(), required=False, empty_label=_("Any shop"))

    def __init__(self, *args: Any, shops: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops  # type: ignore[attr-defined]
