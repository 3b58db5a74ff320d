"""Admin for macros: canned replies, one text per language (tickets/macros.py renders and applies them).

Imported at the bottom of tickets/admin.py, so admin autodiscovery registers it. Agents see their shops'
macros and the shared ones (no shop); only superusers write shared ones, since they reach every shop.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from orders.admin import SupportdeskAdmin, member_shop_filter
from orders.models import Language
from orders.selectors import shop_ids_for_user
from tickets.models import Macro, MacroText


def may_edit_macro(request: HttpRequest, macro: Macro | None) -> bool:
    return macro is None or macro.shop_id is not None or getattr(request.user, "is_superuser", False)


class MacroTextInline(admin.StackedInline):
    model = MacroText
    fields = ("language", "body")
    max_num = len(Language.choices)  # the unique constraint allows one text per language

    def get_extra(self, request: HttpRequest, obj: Macro | None = None, **kwargs: Any) -> int:
        return max(0, len(Language.choices) - (obj.texts.count() if obj is not None else 0))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit_macro(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit_macro(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit_macro(request, obj) and super().has_delete_permission(request, obj)


@admin.register(Macro)
class MacroAdmin(SupportdeskAdmin):
    list_display = ("name", "shop", "languages", "set_status", "set_priority", "assign_to_self", "is_active", "created_at")
    list_filter = (
        "is_active", member_shop_filter("shop_id"), ("shop", admin.EmptyFieldListFilter), "texts__language", "set_status",
        "set_priority", "assign_to_self",
    )
    list_select_related = ("shop",)
    search_fields = ("name", "texts__body")
    fields = ("name", "shop", "is_active", "set_status", "set_priority", "assign_to_self", "created_at")
    readonly_fields = ("created_at",)
    inlines = (MacroTextInline,)

    def limit_queryset(self, queryset: QuerySet[Any], user: AbstractBaseUser | AnonymousUser) -> QuerySet[Any]:
        if getattr(user, "is_superuser", False):
            return queryset
        return queryset.filter(Q(shop__isnull=True) | Q(shop_id__in=shop_ids_for_user(user)))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("texts")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        shop = form.base_fields.get("shop")
        if shop is not None and not getattr(request.user, "is_superuser", False):
            shop.required = True  # a shared macro reaches every shop: superusers only
        return form

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit_macro(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit_macro(request, obj) and super().has_delete_permission(request, obj)

    @admin.display(description=_("languages"))
    def languages(self, macro: Macro) -> str:
        return ", ".join(text.language for text in macro.texts.all()) or "—"
