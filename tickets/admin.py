"""Admin for cases: the agents' everyday tool (DESIGN §6).

New cases, replies, status, assignee, priority and claim status all go through tickets.services,
so a change made here leaves the same TicketEvent rows as one made in the agent views.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import BaseModelForm, ModelChoiceField
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from orders.admin import ReadOnlyAdminMixin, ReadOnlyTabularInline, SupportdeskAdmin, adopt_saved, member_shop_filter, staff_user
from orders.models import ShopMembership
from orders.selectors import shop_ids_for_user
from tickets import services
from tickets.macros import macro_apply, macros_available_to
from tickets.models import Attachment, Claim, Macro, Message, Notification, Ticket, TicketAnomaly, TicketEvent, TicketStatus
from tickets.selectors import attachments_visible_to, claims_visible_to, tickets_visible_to

User = get_user_model()


def assignable_agents(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Any]:
    """Active staff who serve the user's shops; ticket_assign re-checks the case's own shop."""
    staff = User.objects.filter(is_staff=True, is_active=True).order_by("username")
    if getattr(user, "is_superuser", False):
        return staff
    return staff.filter(pk__in=ShopMembership.objects.filter(shop_id__in=shop_ids_for_user(user)).values("user_id"))


def check_may_reassign(ticket: Ticket, acting_user: Any) -> None:
    """Taking a case from another agent needs tickets.reassign_ticket (supervisors); raises ValidationError."""
    if ticket.assignee_id not in (None, acting_user.pk) and not acting_user.has_perm("tickets.reassign_ticket"):
        message = gettext("%(agent)s is working on this case; only a supervisor may reassign it.")
        raise ValidationError(message % {"agent": ticket.assignee})


def assign_checked(ticket: Ticket, agent: Any, acting_user: Any) -> Ticket:
    """ticket_assign, after check_may_reassign."""
    check_may_reassign(ticket, acting_user)
    return services.ticket_assign(ticket=ticket, agent=agent, acting_user=acting_user)


# Fields whose changes must leave a TicketEvent, in the order the admin applies them.
_TRACKED: dict[str, Callable[[Ticket, Any, Any], Ticket]] = {
    "priority": lambda ticket, value, user: services.ticket_change_priority(ticket=ticket, priority=value, acting_user=user),
    "assignee": assign_checked,
    "status": lambda ticket, value, user: services.ticket_change_status(ticket=ticket, status=value, acting_user=user),
}


def _act_on_each(request: HttpRequest, tickets: QuerySet[Ticket], act: Callable[[Ticket], object]) -> int:
    """Run `act` on every case; a refusal is reported for that case and does not stop the others."""
    done = 0
    for ticket in tickets:
        try:
            act(ticket)
        except ValidationError as error:
            messages.warning(request, f"{ticket.reference}: {' '.join(error.messages)}")
        else:
            done += 1
    return done


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        agents = [(str(agent.pk), str(agent)) for agent in assignable_agents(request.user)]
        return [("me", gettext("Me")), ("none", gettext("Unassigned")), *agents]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "me":
            return queryset.filter(assignee_id=request.user.pk)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=value) if value else queryset


class ParcelStatusFilter(admin.ChoicesFieldListFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = _("parcel status")  # the stock title, "status", reads as the case's own


class TicketActionForm(ActionForm):
    """Adds the target status and the macro to the changelist's action bar, for "Change status" and "Apply macro"."""

    status = forms.ChoiceField(label=_("New status:"), required=False, choices=[("", "---------"), *TicketStatus.choices])
    # Narrowed to the user's macros in changelist_view; the action re-checks through macros_available_to.
    macro = forms.ModelChoiceField(label=_("Macro:"), required=False, queryset=Macro.objects.filter(is_active=True))


class TicketAddForm(forms.ModelForm):
    """What ticket_create needs. Shop and buyer may be left out: they come from the order (or the parcel's)."""

    body = forms.CharField(label=_("First message"), widget=forms.Textarea)

    class Meta:
        model = Ticket
        fields = ("shop", "buyer", "order", "parcel", "kind", "priority", "channel", "subject")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shop"].required = False
        self.fields["buyer"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        order, parcel = data.get("order"), data.get("parcel")
        if order is None and parcel is not None:
            order = data["order"] = parcel.order
        if order is not None:
            data["shop"] = data.get("shop") or order.shop
            data["buyer"] = data.get("buyer") or order.buyer
        # ticket_create enforces these too; checking here puts the message next to the field.
        if parcel is not None and order is not None and parcel.order_id != order.pk:
            self.add_error("parcel", gettext("This parcel belongs to another order."))
        elif order is not None and (order.shop_id != data["shop"].pk or order.buyer_id != data["buyer"].pk):
            self.add_error("order", gettext("This order belongs to another shop or buyer."))
        for name in ("shop", "buyer"):
            if data.get(name) is None and name not in self.errors:
                self.add_error(name, gettext("Pick one, or pick an order."))
        return data


class MessageInline(admin.StackedInline):
    model = Message
    fields = ("visibility", "body", "author", "created_at")
    readonly_fields = ("author", "created_at")
    extra = 1
    can_delete = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a sent message is the record; new ones go through message_create

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("author")


class AttachmentInline(ReadOnlyTabularInline):
    # Uploads wait for the evidence form's content checks (DESIGN §9); no file link, files are served by access checks.
    model = Attachment
    fields = ("original_name", "evidence_kind", "state", "content_type", "size", "message", "uploaded_by", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("message", "uploaded_by")


class TicketEventInline(ReadOnlyTabularInline):
    model = TicketEvent
    fields = ("created_at", "kind", "actor", "old_value", "new_value")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("actor")


@admin.register(Ticket)
class TicketAdmin(SupportdeskAdmin):
    list_display = (
        "reference", "subject", "kind", "status", "priority", "assignee", "posting_number", "carrier_name", "parcel_status",
        "first_response_due", "resolution_due", "created_at",
    )
    list_filter = (
        "status", "kind", "priority", "channel", member_shop_filter("shop_id"), ("parcel__status", ParcelStatusFilter),
        AssigneeFilter,
    )
    list_select_related = ("order", "parcel", "parcel__carrier", "assignee")
    search_fields = ("=reference", "=order__order_number", "=order__posting_number", "=parcel__tracking_number", "=buyer__email")
    search_help_text = _("Exact reference, order or posting number, tracking number or buyer e-mail.")
    action_form = TicketActionForm
    actions = ("assign_to_me", "change_status", "apply_macro")
    raw_id_fields = ("buyer",)
    autocomplete_fields = ("order", "parcel")
    inlines = (MessageInline, AttachmentInline, TicketEventInline)
    fieldsets = (
        (None, {"fields": ("reference", "subject", "kind", "channel", "status", "priority", "assignee")}),
        (_("Anchor"), {"fields": ("shop", "buyer", "order", "parcel")}),
        (_("SLA"), {
            "fields": ("first_response_due", "resolution_due", "first_responded_at", "resolved_at", "closed_at", "created_at",
                       "sla_policy", "sla_paused_at", "sla_paused_seconds"),
        }),
    )
    add_fieldsets = (
        (None, {"fields": ("order", "parcel", "shop", "buyer")}),
        (_("Case"), {"fields": ("kind", "priority", "channel", "subject", "body")}),
    )
    # Re-anchoring a case has no service yet; SLA times are the service's to set.
    readonly_fields = (
        "reference", "shop", "buyer", "order", "parcel", "first_response_due", "resolution_due", "first_responded_at",
        "resolved_at", "closed_at", "created_at", "sla_policy", "sla_paused_at", "sla_paused_seconds",
    )

    def base_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return tickets_visible_to(request.user)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.readonly_fields if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = TicketAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        assignee = form.base_fields.get("assignee")
        if isinstance(assignee, ModelChoiceField):
            # A short list of who can take the case, not every user; keep the current one selectable.
            agents = assignable_agents(request.user)
            if obj is not None and obj.assignee_id is not None:
                agents = agents | User.objects.filter(pk=obj.assignee_id)
            assignee.queryset = agents
        return form

    def save_model(self, request: HttpRequest, obj: Ticket, form: BaseModelForm[Any], change: bool) -> None:
        if not change:
            data = form.cleaned_data
            ticket = services.ticket_create(
                shop=data["shop"], buyer=data["buyer"], order=data["order"], parcel=data["parcel"], kind=data["kind"],
                subject=data["subject"], body=data["body"], channel=data["channel"], priority=data["priority"],
                acting_user=staff_user(request),
            )
            adopt_saved(obj, ticket)
            return
        self.save_changed_fields(obj, form, skip=tuple(_TRACKED))
        stored = Ticket.objects.select_related("shop", "order__shop", "assignee").get(pk=obj.pk)
        for name, apply in _TRACKED.items():
            if name in form.changed_data:
                try:
                    apply(stored, form.cleaned_data[name], staff_user(request))
                except ValidationError as error:
                    self.refuse(request, str(form.fields[name].label or name), error)
        obj.refresh_from_db()

    def save_formset(
        self, request: HttpRequest, form: BaseModelForm[Any], formset: BaseInlineFormSet[Any, Any, Any], change: bool
    ) -> None:
        if formset.model is not Message:
            super().save_formset(request, form, formset, change)
            return
        written, author = [], staff_user(request)
        for draft in formset.save(commit=False):
            try:
                written.append(
                    services.message_create(ticket=form.instance, author=author, body=draft.body, visibility=draft.visibility)
                )
            except ValidationError as error:
                self.refuse(request, gettext("message"), error)
        formset.new_objects = written  # so the history entry lists what was really written

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        me = staff_user(request)
        assigned = _act_on_each(request, queryset, lambda ticket: assign_checked(ticket, me, me))
        if assigned:
            done = ngettext("%(count)d case assigned to you.", "%(count)d cases assigned to you.", assigned)
            messages.success(request, done % {"count": assigned})

    @admin.action(description=_("Change status"), permissions=["change"])
    def change_status(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        status = request.POST.get("status", "")
        if status not in TicketStatus.values:
            messages.error(request, gettext("Pick the new status in the box next to the action."))
            return

        me = staff_user(request)

        def move(ticket: Ticket) -> None:
            if services.ticket_change_status(ticket=ticket, status=status, acting_user=me).status != status:
                raise ValidationError(gettext("Someone else changed the status meanwhile."))

        moved = _act_on_each(request, queryset, move)
        if moved:
            done = ngettext("%(count)d case moved to %(status)s.", "%(count)d cases moved to %(status)s.", moved)
            messages.success(request, done % {"count": moved, "status": TicketStatus(status).label})

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        context = response.context_data if isinstance(response, TemplateResponse) else None
        action_form = (context or {}).get("action_form")
        if action_form is not None:  # the action form is built without the request: scope its macro list here
            action_form.fields["macro"].queryset = macros_available_to(request.user)
        return response

    @admin.action(description=_("Apply macro"), permissions=["change"])
    def apply_macro(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        chosen = request.POST.get("macro", "")
        macro = macros_available_to(request.user).filter(pk=chosen).first() if chosen.isdigit() else None
        if macro is None:
            messages.error(request, gettext("Pick the macro in the box next to the action."))
            return
        me = staff_user(request)

        def apply(ticket: Ticket) -> None:
            if macro.assign_to_self:  # the same rule as "Assign to me": a colleague's case needs a supervisor
                check_may_reassign(ticket, me)
            macro_apply(ticket=ticket, macro=macro, acting_user=me)

        applied = _act_on_each(request, queryset.select_related("shop", "order", "parcel__carrier", "buyer", "assignee"), apply)
        if applied:
            done = ngettext("Macro “%(macro)s” applied to %(count)d case.", "Macro “%(macro)s” applied to %(count)d cases.", applied)
            messages.success(request, done % {"macro": macro, "count": applied})

    @admin.display(description=_("posting"), ordering="order__posting_number")
    def posting_number(self, ticket: Ticket) -> str | None:
        return ticket.order.posting_number if ticket.order is not None else None

    @admin.display(description=_("carrier"), ordering="parcel__carrier__name")
    def carrier_name(self, ticket: Ticket) -> str | None:
        return ticket.parcel.carrier.name if ticket.parcel is not None else None

    @admin.display(description=_("parcel status"), ordering="parcel__status")
    def parcel_status(self, ticket: Ticket) -> str | None:
        return ticket.parcel.get_status_display() if ticket.parcel is not None else None


@admin.register(Message)
class MessageAdmin(SupportdeskAdmin):
    shop_lookup = "ticket__shop_id"
    list_display = ("ticket", "visibility", "author", "created_at")
    list_filter = ("visibility",)
    list_select_related = ("ticket", "author")
    search_fields = ("=ticket__reference",)
    autocomplete_fields = ("ticket",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("ticket", "visibility", "body") if obj is None else ("ticket", "visibility", "body", "author", "created_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a sent message is the record

    def save_model(self, request: HttpRequest, obj: Message, form: BaseModelForm[Any], change: bool) -> None:
        data = form.cleaned_data
        message = services.message_create(
            ticket=data["ticket"], author=staff_user(request), body=data["body"], visibility=data["visibility"]
        )
        adopt_saved(obj, message)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdminMixin, SupportdeskAdmin):
    shop_lookup = "ticket__shop_id"
    fields = ("ticket", "message", "original_name", "state", "content_type", "size", "evidence_kind", "uploaded_by", "created_at")
    list_display = ("original_name", "ticket", "evidence_kind", "content_type", "size", "uploaded_by", "created_at")
    list_filter = ("evidence_kind",)
    list_select_related = ("ticket", "uploaded_by")
    search_fields = ("=ticket__reference",)

    def base_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return attachments_visible_to(request.user)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdminMixin, SupportdeskAdmin):
    shop_lookup = "ticket__shop_id"
    list_display = ("ticket", "kind", "actor", "old_value", "new_value", "created_at")
    list_filter = ("kind",)
    list_select_related = ("ticket", "actor")
    search_fields = ("=ticket__reference",)


@admin.register(Claim)
class ClaimAdmin(SupportdeskAdmin):
    shop_lookup = "ticket__shop_id"
    list_display = (
        "__str__", "ticket", "kind", "status", "amount", "currency", "liable_party", "insured", "created_by", "created_at",
    )
    list_filter = ("status", "kind", "liable_party", "insured", member_shop_filter("ticket__shop_id"))
    list_select_related = ("ticket", "created_by")
    search_fields = ("=ticket__reference", "=ticket__order__posting_number")
    autocomplete_fields = ("ticket",)
    # the claim's workflow fields are written only by claim_change_status, with the status move
    _WORKFLOW_FIELDS = ("status", "external_reference", "resolution_note", "evidence_override_reason")
    readonly_fields = (
        "ticket", "created_by", "created_at", "updated_at", "submitted_at", "decided_by", "decided_at", "paid_at",
    )

    def base_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return claims_visible_to(request.user)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = ("ticket", "kind", "amount", "currency", "liable_party", "insured", "note")
        return fields if obj is None else (*fields, *self._WORKFLOW_FIELDS, *self.readonly_fields[1:])

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.readonly_fields if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Claim, form: BaseModelForm[Any], change: bool) -> None:
        data = form.cleaned_data
        if not change:
            claim = services.claim_create(
                ticket=data["ticket"], kind=data["kind"], amount=data["amount"], currency=data["currency"],
                liable_party=data["liable_party"], insured=data["insured"], note=data.get("note", ""),
                acting_user=staff_user(request),
            )
            adopt_saved(obj, claim)
            return
        self.save_changed_fields(obj, form, skip=self._WORKFLOW_FIELDS)
        if "status" in form.changed_data:
            self._change_status(request, obj, data)
        obj.refresh_from_db()

    def _change_status(self, request: HttpRequest, obj: Claim, data: dict[str, Any]) -> None:
        try:  # who may approve or pay, and what evidence a submission needs, are the service's rules
            stored = Claim.objects.select_related("ticket", "ticket__shop").get(pk=obj.pk)
            services.claim_change_status(
                claim=stored, status=data["status"], acting_user=staff_user(request),
                external_reference=data.get("external_reference", ""), resolution_note=data.get("resolution_note", ""),
                override_reason=data.get("evidence_override_reason", ""),
            )
        except ValidationError as error:
            self.refuse(request, gettext("status"), error)


@admin.register(TicketAnomaly)
class TicketAnomalyAdmin(ReadOnlyAdminMixin, SupportdeskAdmin):
    """Which detected anomaly each system-opened (or linked) case handles."""

    shop_lookup = "ticket__shop_id"
    list_display = ("anomaly", "ticket", "linked_at", "resolution_noted_at")
    list_select_related = ("anomaly", "anomaly__parcel", "ticket")
    search_fields = ("=ticket__reference", "=anomaly__parcel__tracking_number")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, SupportdeskAdmin):
    """What buyers were told and whether the e-mail went out: for answering "I never got a message"."""

    shop_lookup = "ticket__shop_id"
    list_display = ("user", "kind", "title", "ticket", "created_at", "read_at", "emailed_at")
    list_filter = ("kind", ("emailed_at", admin.EmptyFieldListFilter), ("read_at", admin.EmptyFieldListFilter))
    list_select_related = ("user", "ticket")
    search_fields = ("=user__email", "=ticket__reference")


# Registers MacroAdmin and the SLA/assignment admins; kept apart for this module's size.
from tickets import admin_macros, admin_sla  # noqa: E402, F401
