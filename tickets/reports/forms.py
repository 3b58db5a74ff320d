"""The reports' filters: a date range (default: the last 30 days), one of the user's shops, one carrier."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from logistics.models import Carrier
from orders.models import Shop
from orders.selectors import shops_for_user
from tickets.reports.selectors import ReportFilter

DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years: enough for a year-on-year look, small enough to stay quick
_DATE = {"type": "date", "class": "form-control form-control-sm"}
_SELECT = {"class": "form-select form-select-sm"}


class ReportFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs=_DATE))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs=_DATE))
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=Shop.objects.none(), required=False, empty_label=_("All my shops"),
                                  widget=forms.Select(attrs=_SELECT))
    carrier = forms.ModelChoiceField(label=_("Carrier"), queryset=Carrier.objects.all(), required=False, empty_label=_("All carriers"),
                                     widget=forms.Select(attrs=_SELECT))

    def __init__(self, data: QueryDict, *, user: AbstractBaseUser | AnonymousUser) -> None:
        if not data.get("start") and not data.get("end"):  # show the default range in the inputs too
            data = data.copy()
            today = timezone.localdate()
            data.update({"start": (today - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat(), "end": today.isoformat()})
        super().__init__(data)
        self.user = user
        self.fields["shop"].queryset = shops_for_user(user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        today = timezone.localdate()
        end: dt.date = cleaned.get("end") or today
        start: dt.date = cleaned.get("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The start date must be on or before the end date."))
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(_("Choose a range of at most %(days)d days."), params={"days": MAX_DAYS})
        cleaned.update(start=start, end=end)
        return cleaned

    def report_filter(self) -> ReportFilter:
        """The filter of a valid form: the chosen shop, or every shop the user serves."""
        data = self.cleaned_data
        shop = data.get("shop")
        shops = Shop.objects.filter(pk=shop.pk) if shop else shops_for_user(self.user)
        return ReportFilter(start=data["start"], end=data["end"], shops=shops, carrier=data.get("carrier"))
