"""Admin for webhooks out: subscriptions (secret shown once, test event, re-enable), the delivery log, the outbox.

Scoped to the user's shops like every supportdesk admin. Subscriptions are made and re-enabled
through webhooks.services, so the URL is vetted the same way as through the API; deliveries and
events are written only by the delivery machinery and are read-only here.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import BaseModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from orders.admin import (
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    SupportdeskAdmin,
    adopt_saved,
    limit_to_member_shops,
    member_shop_filter,
)
from webhooks import services, urlguard
from webhooks.models import EventType, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=EventType.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookSubscription
        fields = ("shop", "url", "description", "events")

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"])
        if self.instance.pk is None or url != self.instance.url:
            try:
                urlguard.vet(url)
            except urlguard.UnsafeURL as error:
                raise ValidationError(str(error)) from None
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(SupportdeskAdmin):
    form = SubscriptionForm
    list_display = ("url", "shop", "description", "event_list", "is_active", "consecutive_failures", "disabled_at", "created_at")
    list_filter = ("is_active", member_shop_filter("shop_id"))
    list_select_related = ("shop",)
    search_fields = ("url", "description")
    actions = ("send_test_event", "enable")
    readonly_fields = ("is_active", "consecutive_failures", "failing_since", "disabled_at", "disabled_reason", "created_at", "log")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = ("shop", "url", "description", "events")
        return fields if obj is None else (*fields, *self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if obj is None else ("shop", *self.readonly_fields)

    @admin.display(description=_("events"))
    def event_list(self, subscription: WebhookSubscription) -> str:
        return ", ".join(subscription.events)

    @admin.display(description=_("delivery log"))
    def log(self, subscription: WebhookSubscription) -> str:
        url = reverse("admin:webhooks_webhookdelivery_changelist")
        return format_html('<a href="{}?subscription={}">{}</a>', url, subscription.pk, gettext("Deliveries"))

    def save_model(self, request: HttpRequest, obj: WebhookSubscription, form: BaseModelForm[Any], change: bool) -> None:
        if change:
            self.save_changed_fields(obj, form)
            return
        data = form.cleaned_data
        subscription = services.subscription_create(
            shop=data["shop"], url=data["url"], events=data["events"], description=data["description"],
        )
        adopt_saved(obj, subscription)
        # The only time the secret is shown: receivers need it to verify signatures.
        messages.warning(request, gettext("Signing secret (copy it now, it is not shown again): %(secret)s") % {"secret": subscription.secret})

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        sent = 0
        for subscription in queryset:
            try:
                services.subscription_send_test(subscription=subscription)
            except ValidationError as error:
                messages.warning(request, f"{subscription}: {' '.join(error.messages)}")
            else:
                sent += 1
        if sent:
            messages.success(request, ngettext("Test event queued for %(count)d subscription; see the delivery log.",
                                               "Test events queued for %(count)d subscriptions; see the delivery log.", sent) % {"count": sent})

    @admin.action(description=_("Re-enable"), permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        enabled = 0
        for subscription in queryset.filter(is_active=False):
            try:
                services.subscription_enable(subscription=subscription)
            except ValidationError as error:
                messages.warning(request, f"{subscription}: {' '.join(error.messages)}")
            else:
                enabled += 1
        messages.info(request, ngettext("%(count)d subscription re-enabled.", "%(count)d subscriptions re-enabled.", enabled) % {"count": enabled})


class SubscriptionFilter(admin.SimpleListFilter):
    """The user's own subscriptions only (the stock filter would list every shop's URLs)."""

    title = _("subscription")
    parameter_name = "subscription"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        subscriptions = limit_to_member_shops(WebhookSubscription.objects.all(), request.user, "shop_id").only("id", "url", "description")
        return [(str(s.pk), str(s)) for s in subscriptions]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(subscription_id=self.value()) if self.value() else queryset


class WebhookAttemptInline(ReadOnlyTabularInline):
    model = WebhookAttempt
    fields = ("number", "attempted_at", "succeeded", "status_code", "duration_ms", "error", "response_excerpt")
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # part of the delivery: whoever may see the delivery (scoped by its admin) sees its attempts


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, SupportdeskAdmin):
    shop_lookup = "subscription__shop_id"
    list_display = ("event", "event_type", "subscription", "status", "attempts", "last_status_code", "last_error", "next_attempt_at",
                    "delivered_at", "duration_ms")  # fmt: skip
    list_filter = ("status", ("event__type", admin.ChoicesFieldListFilter), SubscriptionFilter)
    list_select_related = ("event", "subscription")
    search_fields = ("=event__id",)
    search_help_text = _("Exact webhook-id (msg_...).")
    inlines = (WebhookAttemptInline,)
    fields = ("event", "event_type", "subscription", "status", "attempts", "created_at", "last_attempt_at", "next_attempt_at",
              "delivered_at", "last_status_code", "duration_ms", "last_error", "response_excerpt")  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("event type"), ordering="event__type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.type


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, SupportdeskAdmin):
    list_display = ("id", "type", "shop", "created_at")
    list_filter = ("type", member_shop_filter("shop_id"))
    list_select_related = ("shop",)
    search_fields = ("=id",)
    fields = ("id", "type", "shop", "created_at", "body")
    readonly_fields = fields

    @admin.display(description=_("payload"))
    def body(self, event: WebhookEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, ensure_ascii=False))
