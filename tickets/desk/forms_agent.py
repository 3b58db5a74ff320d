from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AwayForm(forms.Form):
    """An agent's availability: away (optionally until a time, in the agent's time zone) or back."""

    away = forms.BooleanField(required=False, label=_("Away (take no new cases)"))
    until = forms.DateTimeField(
        required=False, label=_("Until"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
