"""Forms for what a buyer may still do on a settled case: reopen it with a reason, rate how it was handled.

Split from forms_cases.py (the per-kind forms for opening a case) to keep both modules small.
"""

from __future__ import annotations

from django import forms
from django.forms.boundfield import BoundWidget
from django.utils.translation import gettext_lazy as _

RATING_CHOICES = [
    (1, _("1 of 5: very poor")),
    (2, _("2 of 5: poor")),
    (3, _("3 of 5: okay")),
    (4, _("4 of 5: good")),
    (5, _("5 of 5: excellent")),
]


class ReopenForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label=_("What is still wrong?"),
        help_text=_("Your words are added to the conversation and the case goes back to an agent."),
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        label=_("How well did we handle your case?"),
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False, label=_("Comment (optional)"),
        help_text=_("What went well, or what we should do better."),
    )

    def star_choices(self) -> list[tuple[BoundWidget, str]]:
        """Each radio input with its stars (shown, hidden from screen readers, which read the label text)."""
        radios = list(self["rating"])
        return [(radio, "★" * value + "☆" * (5 - value)) for radio, (value, _label) in zip(radios, RATING_CHOICES, strict=True)]
