"""Admin forms: an account whose API key is write-only, and the posting-report upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from marketplace.models import MarketplaceAccount
from orders.models import Shop


class MarketplaceAccountForm(forms.ModelForm):
    """The Api-Key is never rendered back; left empty on a change, the stored key stays."""

    api_key = forms.CharField(
        label=_("Api-Key"), required=False, strip=True, widget=forms.PasswordInput(render_value=False),
        help_text=_("From the Ozon seller back office (Settings → Seller API). Leave empty to keep the stored key."),
    )

    class Meta:
        model = MarketplaceAccount
        fields = ("shop", "client_id", "api_key", "is_active")

    def clean_api_key(self) -> str:
        key: str = self.cleaned_data.get("api_key", "")
        if key:
            return key
        if self.instance.pk:
            return self.instance.api_key
        raise forms.ValidationError(_("Enter the Api-Key."))


class PostingReportForm(forms.Form):
    shop = forms.ModelChoiceField(queryset=Shop.objects.none(), label=_("Shop"))
    file = forms.FileField(label=_("Posting report (CSV)"), help_text=_("The FBS “Отправления” report as exported: ‘;’-separated, UTF-8."))

    def __init__(self, *args: Any, shops: QuerySet[Shop], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.MARKETPLACE_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.MARKETPLACE_IMPORT_MAX_BYTES)}
            )
        return upload
