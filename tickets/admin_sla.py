"""Admin for SLA policies, shop calendars, assignment rules and agent availability.

Imported at the bottom of tickets/admin.py, so admin autodiscovery registers it. Like macros, a policy
for every shop (no shop) is seen by all staff and written only by superusers; the rest is scoped to
the user's shops. Agent availability is saved through tickets.assignment.agent_set_away.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms import BaseModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.admin import SupportdeskAdmin, member_shop_filter
from orders.models import ShopMembership
from orders.selectors import shop_ids_for_user
from tickets.assignment import agent_set_away
from tickets.models import AgentStatus, AssignmentRule, ShopCalendar, SlaPolicy, SpecialDay, WorkingHours

User = get_user_model()


def _shared_editable(request: HttpRequest, obj: Any) -> bool:
    return obj is None or obj.shop_id is not None or getattr(request.user, "is_superuser", False)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(SupportdeskAdmin):
    list_display = ("name", "shop", "kind", "priority", "first_response_minutes", "resolution_minutes", "warn_before_minutes",
                    "escalate_priority", "is_active")
    list_filter = ("is_active", member_shop_filter("shop_id"), ("shop", admin.EmptyFieldListFilter), "kind", "priority")
    list_select_related = ("shop",)
    search_fields = ("name",)
    readonly_fields = ("created_at",)

    def limit_queryset(self, queryset: QuerySet[Any], user: AbstractBaseUser | AnonymousUser) -> QuerySet[Any]:
        if getattr(user, "is_superuser", False):
            return queryset
        return queryset.filter(Q(shop__isnull=True) | Q(shop_id__in=shop_ids_for_user(user)))

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        shop = form.base_fields.get("shop")
        if shop is not None and not getattr(request.user, "is_superuser", False):
            shop.required = True  # a policy for every shop: superusers only
        return form

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _shared_editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _shared_editable(request, obj) and super().has_delete_permission(request, obj)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0
    max_num = 7


class SpecialDayInline(admin.TabularInline):
    model = SpecialDay
    extra = 1
    ordering = ("-date",)


@admin.register(ShopCalendar)
class ShopCalendarAdmin(SupportdeskAdmin):
    list_display = ("shop", "holiday_country")
    list_select_related = ("shop",)
    list_filter = ("holiday_country",)
    inlines = (WorkingHoursInline, SpecialDayInline)


class AssignmentRuleForm(forms.ModelForm):
    class Meta:
        model = AssignmentRule
        fields = ("shop", "kind", "strategy", "agents", "is_active")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        shop, agents = data.get("shop"), data.get("agents")
        if shop is not None and agents:
            serving = set(ShopMembership.objects.filter(shop=shop).values_list("user_id", flat=True))
            strangers = [str(agent) for agent in agents if agent.pk not in serving]
            if strangers:
                raise ValidationError({"agents": gettext("These users do not serve %(shop)s: %(users)s.")
                                       % {"shop": shop, "users": ", ".join(strangers)}})
        return data


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(SupportdeskAdmin):
    form = AssignmentRuleForm
    list_display = ("shop", "kind", "strategy", "pool", "last_assigned", "is_active")
    list_filter = ("is_active", "strategy", member_shop_filter("shop_id"), "kind")
    list_select_related = ("shop", "last_assigned")
    filter_horizontal = ("agents",)
    readonly_fields = ("last_assigned",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("agents")

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "agents":
            staff = User.objects.filter(is_staff=True, is_active=True).order_by("username")
            if not getattr(request.user, "is_superuser", False):
                staff = staff.filter(pk__in=ShopMembership.objects.filter(shop_id__in=shop_ids_for_user(request.user)).values("user_id"))
            kwargs["queryset"] = staff
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("pool"))
    def pool(self, rule: AssignmentRule) -> str:
        return ", ".join(str(agent) for agent in rule.agents.all()) or "—"


class AgentStatusForm(forms.ModelForm):
    class Meta:
        model = AgentStatus
        fields = ("user", "is_away", "away_until")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        until = data.get("away_until")
        if data.get("is_away") and until is not None and until <= timezone.now():
            raise ValidationError({"away_until": gettext("Choose a time in the future.")})
        return data


@admin.register(AgentStatus)
class AgentStatusAdmin(SupportdeskAdmin):
    form = AgentStatusForm
    shop_lookup = "user__shop_memberships__shop_id"
    list_display = ("user", "is_away", "away_until", "updated_at")
    list_filter = ("is_away",)
    list_select_related = ("user",)
    search_fields = ("=user__username", "user__first_name", "user__last_name")
    fields = ("user", "is_away", "away_until", "updated_at")
    readonly_fields = ("updated_at",)
    raw_id_fields = ("user",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).distinct()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("user", "updated_at") if obj is not None else ("updated_at",)

    def save_model(self, request: HttpRequest, obj: Any, form: BaseModelForm[Any], change: bool) -> None:
        saved = agent_set_away(user=obj.user, is_away=obj.is_away, away_until=obj.away_until)  # the form checked the time
        obj.pk, obj.updated_at = saved.pk, saved.updated_at
        obj._state.adding = False
