"""Admin for API tokens: create (the secret is shown once, in the confirmation message) and revoke."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseModelForm, ModelChoiceField
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from api.models import ApiToken
from api.services import token_create, token_revoke
from api.views.tokens import manageable_shops
from orders.admin import SupportdeskAdmin, adopt_saved, staff_user


@admin.register(ApiToken)
class ApiTokenAdmin(SupportdeskAdmin):
    list_display = ["name", "shop", "scope", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "shop__name"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["shop", "name", "scope"]
        return ["shop", "name", "scope", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["shop", "scope", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> ModelChoiceField | None:
        if db_field.name == "shop":
            kwargs["queryset"] = manageable_shops(staff_user(request))  # only shops whose tokens you may create
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: BaseModelForm[Any], change: bool) -> None:
        if change:
            self.save_changed_fields(obj, form)
            return
        token, secret = token_create(shop=obj.shop, name=obj.name, scope=obj.scope, acting_user=staff_user(request))
        adopt_saved(obj, token)
        messages.warning(request, _("Copy the new token now; it will not be shown again: %(secret)s") % {"secret": secret})

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        user = staff_user(request)
        allowed = queryset.filter(shop__in=manageable_shops(user), revoked_at__isnull=True)
        count = 0
        for token in allowed:
            token_revoke(token=token, acting_user=user)
            count += 1
        messages.success(request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count})
