"""Forms of the desk's case page. They validate and clean; their cleaned_data goes straight into a service."""

from __future__ import annotations

import secrets
from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from logistics.forms import TrackingNumberChangeForm
from logistics.models import Carrier, Parcel
from tickets.desk.case_selectors import desk_agents_for
from tickets.evidence import CaseAttachmentsForm, EvidenceFilesField
from tickets.macros import macros_available_to
from tickets.models import EvidenceKind, Macro, Message, Ticket, TicketPriority, TicketStatus


def new_client_token() -> str:
    return secrets.token_urlsafe(16)


class DeskReplyForm(CaseAttachmentsForm):
    """A public reply or an internal note, with evidence; carries what the agent saw and a one-time token."""

    visibility = forms.ChoiceField(
        label=_("Send as"), choices=Message.Visibility.choices, initial=Message.Visibility.PUBLIC, widget=forms.RadioSelect,
    )
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = EvidenceFilesField(required=False, label=_("Evidence files (optional)"))
    evidence_kind = forms.ChoiceField(label=_("What do the files show?"), choices=EvidenceKind.choices, initial=EvidenceKind.OTHER)
    last_seen_message_id = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    client_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    send_anyway = forms.BooleanField(
        label=_("Send anyway: I have read the new messages"), required=False,
    )


class AssignForm(forms.Form):
    """Empty assignee: unassign. Taking a case from another agent needs the reassign permission (supervisors)."""

    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label=_("Nobody"))

    def __init__(self, *args: Any, ticket: Ticket, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ticket, self.user = ticket, user
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = desk_agents_for(ticket, user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        current = self.ticket.assignee_id
        if current not in (None, self.user.pk) and not self.user.has_perm("tickets.reassign_ticket"):
            raise ValidationError(_("This case belongs to another agent; only a supervisor can reassign it."))
        return cleaned


class StatusForm(forms.Form):
    # Every status is accepted here: the workflow service decides, and says clearly what it refuses.
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=TicketPriority.choices)


class MacroForm(forms.Form):
    macro = forms.ModelChoiceField(label=_("Macro"), queryset=Macro.objects.none())

    def __init__(self, *args: Any, ticket: Ticket, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["macro"]).queryset = macros_available_to(user)


class MergeForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference of the duplicate case"), max_length=16, help_text=_("e.g. SD-7K3M9QXA; it is closed and linked here."),
    )

    def clean_reference(self) -> str:
        return str(self.cleaned_data["reference"]).strip().upper()


def tracking_change_forms(
    parcels: list[Parcel], bound: dict[int, TrackingNumberChangeForm],
) -> list[tuple[Parcel, TrackingNumberChangeForm]]:
    """One tracking-number form per parcel (`bound` ones keep their errors), their carrier menus filled from one query."""
    carriers = list(Carrier.objects.filter(is_active=True).order_by("name")) if parcels else []
    pairs = []
    for parcel in parcels:
        form = bound.get(parcel.pk) or TrackingNumberChangeForm(parcel=parcel, prefix=f"p{parcel.pk}")
        field = cast(forms.ModelChoiceField, form.fields["new_carrier"])
        options = carriers if parcel.carrier.is_active else [*carriers, parcel.carrier]  # the form's own rule, without its query
        field.choices = [("", field.empty_label), *((carrier.pk, carrier.name) for carrier in options)]
        pairs.append((parcel, form))
    return pairs
