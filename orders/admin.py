"""Admin for shops, buyers and orders, and the base every supportdesk admin builds on.

The base scopes each admin to the shops the staff user is a member of (superusers see all), limits
foreign-key choices the same way, saves existing rows with update_fields, and turns a service's
ValidationError into a message on the form instead of a 500.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django.contrib import admin, messages
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseModelForm, ModelChoiceField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from orders.models import BuyerProfile, Order, OrderLine, Shop, ShopMembership
from orders.selectors import orders_visible_to, shop_ids_for_user, shops_for_user
from orders.services import ShippingAddress, order_create

_REFUSED = "_supportdesk_admin_refused"  # request attribute: a service refused part of this save


def limit_to_member_shops(queryset: QuerySet[Any], user: AbstractBaseUser | AnonymousUser, shop_lookup: str) -> QuerySet[Any]:
    """Only rows of the shops `user` is a member of; everything for superusers.

    The selectors also show users the rows where they are the buyer. The admin is a staff tool,
    so those go: an agent who once bought from shop B still cannot edit B's cases here.
    """
    if getattr(user, "is_superuser", False):
        return queryset
    return queryset.filter(**{f"{shop_lookup}__in": shop_ids_for_user(user)})


def staff_user(request: HttpRequest) -> User:
    """The acting user of an admin request: the admin site only lets active staff in."""
    return cast(User, request.user)


def adopt_saved(obj: models.Model, saved: models.Model) -> None:
    """Turn the admin's unsaved instance into the row a service created, for the admin's log and redirect."""
    obj.pk = saved.pk
    obj.refresh_from_db()
    obj._state.adding = False


def member_shop_filter(lookup: str) -> type[admin.SimpleListFilter]:
    """A "shop" filter listing only the user's shops (the stock one would list every shop's name)."""

    class MemberShopFilter(admin.SimpleListFilter):
        title = _("shop")
        parameter_name = "shop"

        def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
            return [(str(shop.pk), shop.name) for shop in shops_for_user(request.user).only("id", "name")]

        def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
            return queryset.filter(**{lookup: self.value()}) if self.value() else queryset

    return MemberShopFilter


class SupportdeskAdmin(admin.ModelAdmin):
    """Scoped to the user's shops through `shop_lookup`; None marks shared reference data (carriers)."""

    shop_lookup: ClassVar[str | None] = "shop_id"
    show_full_result_count = False  # one COUNT(*) per page is enough on million-row tables

    def base_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.model._default_manager.all()

    def limit_queryset(self, queryset: QuerySet[Any], user: AbstractBaseUser | AnonymousUser) -> QuerySet[Any]:
        return queryset if self.shop_lookup is None else limit_to_member_shops(queryset, user, self.shop_lookup)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Change, delete and history views load through here too: rows of other shops are "not found".
        queryset = self.limit_queryset(self.base_queryset(request), request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> ModelChoiceField | None:
        # Choices, and what a typed raw id may point to, come from the related admin's scoped queryset.
        related = self.admin_site._registry.get(db_field.related_model)
        if isinstance(related, SupportdeskAdmin) and "queryset" not in kwargs:
            kwargs["queryset"] = related.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: BaseModelForm[Any], change: bool) -> None:
        if change:
            self.save_changed_fields(obj, form)
        else:
            super().save_model(request, obj, form, change)

    def save_changed_fields(self, obj: models.Model, form: BaseModelForm[Any], *, skip: tuple[str, ...] = ()) -> None:
        """Write only what the form changed (STYLE rule 5), leaving `skip` to the services."""
        fields = [name for name in form.changed_data if name not in skip]
        if not fields:
            return
        if any(field.name == "updated_at" for field in obj._meta.concrete_fields):
            fields.append("updated_at")
        obj.save(update_fields=fields)

    def refuse(self, request: HttpRequest, what: str, error: ValidationError) -> None:
        messages.error(request, f"{capfirst(what)}: {' '.join(error.messages)}")
        setattr(request, _REFUSED, True)

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        if getattr(request, _REFUSED, False):
            # Stay on the form, so the user sees what was refused instead of a "changed successfully".
            messages.info(request, _("Your other changes were saved."))
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)


class ReadOnlyAdminMixin:
    """For rows only services or carriers write (audit trail, scans): shown, never edited here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyTabularInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False


class ShopMembershipInline(admin.TabularInline):
    model = ShopMembership
    raw_id_fields = ("user",)
    extra = 0


@admin.register(Shop)
class ShopAdmin(SupportdeskAdmin):
    shop_lookup = "id"
    list_display = ("name", "slug", "marketplace", "default_scheme", "time_zone", "default_language", "after_sales_days")
    list_filter = ("marketplace", "default_scheme", "default_language")
    search_fields = ("name", "slug", "=marketplace_seller_id")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (ShopMembershipInline,)


@admin.register(ShopMembership)
class ShopMembershipAdmin(SupportdeskAdmin):
    list_display = ("user", "shop", "role")
    list_filter = ("role", member_shop_filter("shop_id"))
    list_select_related = ("user", "shop")
    search_fields = ("=user__username", "=user__email", "shop__name")
    raw_id_fields = ("user",)


@admin.register(BuyerProfile)
class BuyerProfileAdmin(SupportdeskAdmin):
    list_display = ("user", "language", "phone")
    list_filter = ("language",)
    list_select_related = ("user",)
    search_fields = ("=user__username", "=user__email", "=phone")
    raw_id_fields = ("user",)

    def limit_queryset(self, queryset: QuerySet[Any], user: AbstractBaseUser | AnonymousUser) -> QuerySet[Any]:
        # Buyers belong to no shop: staff see the buyers who ordered from their shops.
        if getattr(user, "is_superuser", False):
            return queryset
        return queryset.filter(user_id__in=Order.objects.filter(shop_id__in=shop_ids_for_user(user)).values("buyer_id"))


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ("sku", "name", "quantity", "unit_price")
    extra = 0


# What order_create takes as the shipping address, by Order field name.
_ADDRESS_FIELDS = ("recipient_name", "city", "address_line", "country", "region", "postal_code", "recipient_phone")


@admin.register(Order)
class OrderAdmin(SupportdeskAdmin):
    list_display = (
        "posting_number", "order_number", "shop", "buyer", "status", "scheme", "declared_value", "currency", "placed_at",
        "promised_delivery_date",
    )
    list_filter = ("status", "scheme", member_shop_filter("shop_id"), "country")
    list_select_related = ("shop", "buyer")
    search_fields = ("^posting_number", "^order_number", "=buyer__email")
    raw_id_fields = ("buyer",)
    inlines = (OrderLineInline,)
    # Moving shop or buyer would cut the order from its cases; the lifecycle belongs to order_mark_*.
    readonly_fields = ("shop", "buyer", "status", "shipped_at", "delivered_at", "created_at", "updated_at")

    def base_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return orders_visible_to(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.readonly_fields if obj is not None else ()

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if obj is not None else ("status", "shipped_at", "delivered_at")

    def save_model(self, request: HttpRequest, obj: Order, form: BaseModelForm[Any], change: bool) -> None:
        if change:
            self.save_changed_fields(obj, form)
            return
        data = form.cleaned_data
        order = order_create(
            shop=data["shop"], buyer=data["buyer"], order_number=data["order_number"], posting_number=data["posting_number"],
            address=ShippingAddress(**{name: data[name] for name in _ADDRESS_FIELDS}), declared_value=data["declared_value"],
            currency=data["currency"], placed_at=data["placed_at"], lines=(), scheme=data["scheme"],
            promised_delivery_date=data["promised_delivery_date"],
        )
        adopt_saved(obj, order)  # the lines inline then saves against the new order


@admin.register(OrderLine)
class OrderLineAdmin(SupportdeskAdmin):
    shop_lookup = "order__shop_id"
    list_display = ("order", "sku", "name", "quantity", "unit_price")
    list_select_related = ("order",)
    search_fields = ("=order__posting_number", "=sku")
    autocomplete_fields = ("order",)
