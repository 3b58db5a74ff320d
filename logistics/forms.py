"""Forms of the logistics desk pages; their cleaned_data goes straight into logistics.services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from logistics.models import Carrier, Parcel

# Where the service's error keys belong on this form; anything else is shown above the fields.
_SERVICE_FIELDS = {"tracking_number": "new_number", "carrier": "new_carrier", "reason": "reason"}


class TrackingNumberChangeForm(forms.Form):
    """What parcel_change_tracking_number takes. Number checks (format, check digit, taken) stay in the service."""

    new_number = forms.CharField(label=_("New tracking number"), max_length=64)
    new_carrier = forms.ModelChoiceField(
        label=_("New carrier"), queryset=Carrier.objects.none(), required=False,
        help_text=_("Leave empty to keep the current carrier."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The buyer sees this in the notification and in the conversation of open cases."),
    )

    def __init__(self, *args: Any, parcel: Parcel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        carrier_field = cast(forms.ModelChoiceField, self.fields["new_carrier"])
        carrier_field.queryset = Carrier.objects.filter(Q(is_active=True) | Q(pk=parcel.carrier_id))
        carrier_field.empty_label = _("Same carrier (%(carrier)s)") % {"carrier": parcel.carrier.name}

    def add_service_error(self, error: ValidationError) -> None:
        """Show a ValidationError raised by the service next to the field it concerns."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            self.add_error(_SERVICE_FIELDS.get(key), errors)  # NON_FIELD_ERRORS and unknown keys: above the fields
