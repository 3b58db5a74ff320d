"""Admin for carriers, parcels and their tracking history.

Parcels are added through parcel_create (it normalises the number and schedules the first poll).
Status and tracking history come only from carriers and services, so they are read-only here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import BaseModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from logistics.forms import TrackingNumberChangeForm
from logistics.models import Carrier, CarrierThreshold, Parcel, ParcelAnomaly, TrackingEvent, TrackingNumberChange
from logistics.polling import parcels_poll_now
from logistics.selectors import parcels_visible_to
from logistics.services import parcel_change_tracking_number, parcel_create
from orders.admin import ReadOnlyAdminMixin, ReadOnlyTabularInline, SupportdeskAdmin, adopt_saved, member_shop_filter, staff_user


@admin.register(Carrier)
class CarrierAdmin(SupportdeskAdmin):
    shop_lookup = None  # shared by every shop
    list_display = ("name", "code", "adapter", "max_batch", "poll_interval_minutes", "stall_days", "lost_days", "is_active")
    list_filter = ("adapter", "is_active")
    search_fields = ("code", "name")


class TrackingEventInline(ReadOnlyTabularInline):
    model = TrackingEvent
    fields = ("occurred_at", "status", "raw_code", "raw_description", "location", "received_at")
    readonly_fields = fields
    ordering = ("-occurred_at", "-id")  # newest first, by the carrier's own time


class TrackingNumberChangeInline(ReadOnlyTabularInline):
    model = TrackingNumberChange
    fields = ("changed_at", "old_carrier", "old_number", "new_carrier", "new_number", "reason", "changed_by")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("old_carrier", "new_carrier", "changed_by")


_PARCEL_ADD_FIELDS = ("order", "carrier", "tracking_number", "direction", "promised_date")
_PARCEL_CHANGE_FIELDS = (
    "order", "carrier", "tracking_number", "direction", "status", "status_changed_at", "last_event_at", "last_polled_at",
    "next_poll_at", "polling_stopped_reason", "promised_date", "created_at", "updated_at",
)


@admin.register(Parcel)
class ParcelAdmin(SupportdeskAdmin):
    shop_lookup = "order__shop_id"
    list_display = (
        "tracking_number", "carrier", "status", "posting_number", "direction", "last_event_at", "next_poll_at", "promised_date",
    )
    list_filter = ("status", "direction", "carrier", member_shop_filter("order__shop_id"))
    list_select_related = ("carrier", "order")
    search_fields = ("^tracking_number", "^order__posting_number", "=number_changes__old_number")
    search_help_text = _("Tracking number (also a former one) or posting number.")
    autocomplete_fields = ("order",)
    inlines = (TrackingEventInline, TrackingNumberChangeInline)
    actions = ("poll_now",)
    # Status follows the newest carrier event; a number change goes through its own page (history row, new poll).
    readonly_fields = (
        "order", "carrier", "tracking_number", "status", "status_changed_at", "last_event_at", "last_polled_at",
        "polling_stopped_reason", "created_at", "updated_at",
    )

    def base_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return parcels_visible_to(request.user)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return _PARCEL_CHANGE_FIELDS if obj is not None else _PARCEL_ADD_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.readonly_fields if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Any) -> tuple[type[admin.options.InlineModelAdmin[Any, Any]], ...]:
        return self.inlines if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Parcel, form: BaseModelForm[Any], change: bool) -> None:
        if change:
            self.save_changed_fields(obj, form)
            return
        data = form.cleaned_data
        parcel = parcel_create(
            order=data["order"], carrier=data["carrier"], tracking_number=data["tracking_number"], direction=data["direction"],
            promised_date=data["promised_date"],
        )
        adopt_saved(obj, parcel)

    def get_urls(self) -> list[URLPattern]:
        change_number = self.admin_site.admin_view(self.change_tracking_number_view)
        own = [path("<path:object_id>/tracking-number/", change_number, name="logistics_parcel_change_tracking_number")]
        return own + super().get_urls()  # before the stock "<object_id>/" catch-all

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.user.has_perm("logistics.add_trackingnumberchange"):
            url = reverse("admin:logistics_parcel_change_tracking_number", args=[quote(object_id)], current_app=self.admin_site.name)
            extra_context = {**(extra_context or {}), "tracking_number_change_url": url}
        return super().change_view(request, object_id, form_url, extra_context)

    def change_tracking_number_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The desk's "change tracking number" page: parcel_change_tracking_number behind a form (seed 002)."""
        if not request.user.has_perm("logistics.add_trackingnumberchange"):
            raise PermissionDenied
        parcel = self.get_object(request, unquote(object_id))  # scoped: another shop's parcel is "not found"
        if parcel is None:
            raise Http404(gettext("No such parcel."))
        form = TrackingNumberChangeForm(request.POST if request.method == "POST" else None, parcel=parcel)
        if form.is_valid():
            data = form.cleaned_data
            try:
                change = parcel_change_tracking_number(
                    parcel=parcel, new_number=data["new_number"], new_carrier=data["new_carrier"], reason=data["reason"],
                    acting_user=staff_user(request),
                )
            except ValidationError as error:
                form.add_service_error(error)
                parcel.refresh_from_db()  # the service set the refused number on the instance before refusing it
            else:
                done = gettext("Tracking number changed from %(old)s to %(new)s; the buyer will be told.")
                self.message_user(request, done % {"old": change.old_number, "new": change.new_number}, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:logistics_parcel_change", args=[quote(parcel.pk)]))
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "original": parcel, "form": form,
            "title": gettext("Change tracking number of %(parcel)s") % {"parcel": parcel.tracking_number},
            "has_view_permission": self.has_view_permission(request, parcel),
        }
        return TemplateResponse(request, "admin/logistics/parcel/change_tracking_number.html", context)

    @admin.action(description=_("Ask the carrier now"))
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        sent = parcels_poll_now(parcel_ids=list(queryset.values_list("id", flat=True)))
        skipped = queryset.count() - sent
        self.message_user(request, _("%(sent)d parcel(s) sent to their carriers.") % {"sent": sent}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request, _("%(n)d parcel(s) skipped: finished, or already being polled.") % {"n": skipped}, messages.WARNING
            )

    @admin.display(description=_("posting"), ordering="order__posting_number")
    def posting_number(self, parcel: Parcel) -> str:
        return parcel.order.posting_number


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyAdminMixin, SupportdeskAdmin):
    shop_lookup = "parcel__order__shop_id"
    list_display = ("parcel", "status", "raw_code", "location", "occurred_at", "received_at")
    list_filter = ("status",)
    list_select_related = ("parcel",)
    search_fields = ("=parcel__tracking_number", "=raw_code")


@admin.register(TrackingNumberChange)
class TrackingNumberChangeAdmin(ReadOnlyAdminMixin, SupportdeskAdmin):
    shop_lookup = "parcel__order__shop_id"
    list_display = ("parcel", "old_carrier", "old_number", "new_carrier", "new_number", "changed_by", "changed_at")
    list_select_related = ("parcel", "old_carrier", "new_carrier", "changed_by")
    search_fields = ("=old_number", "=new_number", "=parcel__tracking_number")


@admin.register(CarrierThreshold)
class CarrierThresholdAdmin(SupportdeskAdmin):
    """A shop's own stall / suspected-loss thresholds for a carrier (supervisors edit these)."""

    list_display = ("shop", "carrier", "stall_days", "lost_days")
    list_filter = ("carrier", member_shop_filter("shop_id"))
    list_select_related = ("shop", "carrier")


@admin.register(ParcelAnomaly)
class ParcelAnomalyAdmin(ReadOnlyAdminMixin, SupportdeskAdmin):
    shop_lookup = "parcel__order__shop_id"
    list_display = ("parcel", "kind", "detected_at", "resolved_at")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("parcel",)
    search_fields = ("=parcel__tracking_number",)
    date_hierarchy = "detected_at"
