"""The desk's case page at /desk/cases/<id>/ and the actions it posts to.

Every view: desk_required (anonymous → sign in, buyers → 404), then get_ticket_for_user(write=True)
(another shop's case → 404), then one service. Side actions redirect back with a message; the reply
and tracking-number forms re-render the page with their errors so nothing typed is lost.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from logistics.access import get_parcel_for_user
from logistics.forms import TrackingNumberChangeForm
from logistics.models import Parcel
from tickets.access import get_ticket_for_user
from tickets.desk.access import desk_required
from tickets.desk.case_forms import (
    AssignForm,
    DeskReplyForm,
    MacroForm,
    MergeForm,
    PriorityForm,
    StatusForm,
    new_client_token,
    tracking_change_forms,
)
from tickets.desk.case_selectors import case_page, case_parcels, messages_since, ticket_id_by_reference
from tickets.desk.case_services import ReplyCollision, desk_reply, ticket_change_tracking_number, ticket_request_missing_evidence
from tickets.macros import macro_apply, macro_render, macro_text_for
from tickets.merging import ticket_merge
from tickets.models import Message, Ticket, TicketPriority
from tickets.presence import presence_touch
from tickets.services import ticket_assign, ticket_change_priority, ticket_change_status


def _agent(request: HttpRequest) -> User:
    return cast(User, request.user)  # every view here is behind desk_required


def _case(request: HttpRequest, pk: int) -> Ticket:
    return get_ticket_for_user(request.user, pk, write=True)


def _page(
    request: HttpRequest, ticket: Ticket, *, reply_form: DeskReplyForm | None = None, newer: list[Message] | None = None,
    tracking_forms: dict[int, TrackingNumberChangeForm] | None = None,
) -> HttpResponse:
    """The case page; forms passed in (bound, with errors) replace the empty ones."""
    page = case_page(_agent(request), ticket)
    context = {
        "page": page, "ticket": ticket, "newer": newer or [], "viewers": presence_touch(ticket_id=ticket.pk, user=_agent(request)),
        "reply_form": reply_form or DeskReplyForm(
            ticket=ticket, initial={"last_seen_message_id": page.last_message_id, "client_token": new_client_token()},
        ),
        "tracking_forms": tracking_change_forms(page.parcels, tracking_forms or {}),
        "priorities": TicketPriority.choices, "desk_section": "queues",
    }
    return render(request, "desk/case/page.html", context)


def _refused(request: HttpRequest, ticket: Ticket, error: ValidationError) -> HttpResponse:
    for text in error.messages:
        messages.error(request, text)
    return redirect("desk:case", ticket.pk)


def _form_refused(request: HttpRequest, ticket: Ticket, form: object) -> HttpResponse:
    errors = getattr(form, "errors", {})
    for field_errors in errors.values():
        for text in field_errors:
            messages.error(request, text)
    return redirect("desk:case", ticket.pk)


@desk_required
@require_GET
def case(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _case(request, pk))


@desk_required
@require_POST
def case_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _case(request, pk)
    form = DeskReplyForm(request.POST, request.FILES, ticket=ticket)
    if not form.is_valid():
        return _page(request, ticket, reply_form=form)
    data = form.cleaned_data
    try:
        message, created = desk_reply(
            ticket=ticket, author=_agent(request), body=data["body"], visibility=data["visibility"],
            client_token=data["client_token"], last_seen_message_id=data["last_seen_message_id"], send_anyway=data["send_anyway"],
            files=data["attachments"], evidence_kind=data["evidence_kind"],
        )
    except ReplyCollision as collision:
        return _page(request, ticket, reply_form=_collision_form(form, ticket, collision), newer=collision.newer)
    except ValidationError as error:
        form.add_error(None, error.messages)
        return _page(request, ticket, reply_form=form)
    note = message.visibility == Message.Visibility.INTERNAL
    if created:
        messages.success(request, _("Internal note added.") if note else _("Reply sent to the buyer."))
    return redirect(f"{reverse('desk:case', args=[ticket.pk])}#message-{message.pk}")


def _collision_form(form: DeskReplyForm, ticket: Ticket, collision: ReplyCollision) -> DeskReplyForm:
    """The agent's text kept as typed, now marked as having seen the newer messages (files must be chosen again)."""
    data = cast(QueryDict, form.data).copy()
    data["last_seen_message_id"] = str(collision.newer[-1].pk)
    kept = DeskReplyForm(data, ticket=ticket)
    kept.is_valid()
    kept.add_error(None, collision.messages)
    return kept


@desk_required
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _case(request, pk)
    form = AssignForm(request.POST, ticket=ticket, user=_agent(request))
    if not form.is_valid():
        return _form_refused(request, ticket, form)
    try:
        ticket_assign(ticket=ticket, agent=form.cleaned_data["assignee"], acting_user=_agent(request))
    except ValidationError as error:
        return _refused(request, ticket, error)
    return redirect("desk:case", ticket.pk)


@desk_required
@require_POST
def case_status(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _case(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, ticket, form)
    try:
        ticket_change_status(ticket=ticket, status=form.cleaned_data["status"], acting_user=_agent(request))
    except ValidationError as error:
        return _refused(request, ticket, error)
    return redirect("desk:case", ticket.pk)


@desk_required
@require_POST
def case_priority(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _case(request, pk)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, ticket, form)
    ticket_change_priority(ticket=ticket, priority=form.cleaned_data["priority"], acting_user=_agent(request))
    return redirect("desk:case", ticket.pk)


@desk_required
@require_POST
def case_request_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _case(request, pk)
    try:
        ticket_request_missing_evidence(ticket=ticket, acting_user=_agent(request))
    except ValidationError as error:
        return _refused(request, ticket, error)
    messages.success(request, _("The buyer was asked for the missing evidence; the case now waits on them."))
    return redirect("desk:case", ticket.pk)


@desk_required
@require_GET
def case_macro_preview(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _case(request, pk)
    form = MacroForm(request.GET, ticket=ticket, user=_agent(request))
    if not form.is_valid():
        return render(request, "desk/case/_macro_preview.html", {"ticket": ticket, "macro": None})
    macro = form.cleaned_data["macro"]
    text = macro_text_for(macro=macro, ticket=ticket)
    context = {"ticket": ticket, "macro": macro, "language": text.language if text else "", "body": macro_render(macro=macro, ticket=ticket)}
    return render(request, "desk/case/_macro_preview.html", context)


@desk_required
@require_POST
def case_macro_apply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _case(request, pk)
    form = MacroForm(request.POST, ticket=ticket, user=_agent(request))
    if not form.is_valid():
        return _form_refused(request, ticket, form)
    try:
        macro_apply(ticket=ticket, macro=form.cleaned_data["macro"], acting_user=_agent(request))
    except ValidationError as error:
        return _refused(request, ticket, error)
    messages.success(request, _("Macro “%(macro)s” applied.") % {"macro": form.cleaned_data["macro"]})
    return redirect("desk:case", ticket.pk)


@desk_required
@require_POST
def case_merge(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _case(request, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, ticket, form)
    source_id = ticket_id_by_reference(_agent(request), form.cleaned_data["reference"])
    if source_id is None:
        return _refused(request, ticket, ValidationError(_("No case of yours has the reference %(ref)s.") % {"ref": form.cleaned_data["reference"]}))
    try:
        ticket_merge(source=get_ticket_for_user(request.user, source_id, write=True), target=ticket, acting_user=_agent(request))
    except ValidationError as error:
        return _refused(request, ticket, error)
    messages.success(request, _("Case %(ref)s was merged into this one and closed.") % {"ref": form.cleaned_data["reference"]})
    return redirect("desk:case", ticket.pk)


@desk_required
@require_GET
def case_parcels_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The parcels panel alone, for the page's htmx refresh every 60 s."""
    ticket = _case(request, pk)
    return render(request, "desk/case/_parcels.html", {"ticket": ticket, "parcels": case_parcels(ticket)})


def _case_parcel(request: HttpRequest, ticket: Ticket, parcel_pk: int) -> Parcel:
    parcel = get_parcel_for_user(request.user, parcel_pk)
    if ticket.order_id is None or parcel.order_id != ticket.order_id:
        raise Http404("No such parcel on this case")
    return parcel


@desk_required
@require_POST
def case_tracking_number(request: HttpRequest, pk: int, parcel_pk: int) -> HttpResponse:
    ticket = _case(request, pk)
    parcel = _case_parcel(request, ticket, parcel_pk)
    form = TrackingNumberChangeForm(request.POST, parcel=parcel, prefix=f"p{parcel.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            change = ticket_change_tracking_number(
                ticket=ticket, parcel=parcel, new_number=data["new_number"], new_carrier=data["new_carrier"],
                reason=data["reason"], acting_user=_agent(request),
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Tracking number changed from %(old)s to %(new)s; the buyer was told.")
                             % {"old": change.old_number, "new": change.new_number})
            return redirect("desk:case", ticket.pk)
    return _page(request, ticket, tracking_forms={parcel.pk: form})


@desk_required
@require_GET
def case_presence(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled by the page: who else is viewing, and how many messages arrived since it was loaded."""
    ticket = _case(request, pk)
    since = request.GET.get("since", "")
    new_count = messages_since(ticket, int(since)).count() if since.isdigit() else 0
    context = {"ticket": ticket, "viewers": presence_touch(ticket_id=ticket.pk, user=_agent(request)), "new_count": new_count, "since": since}
    return render(request, "desk/case/_presence.html", context)
