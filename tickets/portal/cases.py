"""Buyer portal: the buyer's own cases. List them, open one per kind of problem, read and reply; once
settled, reopen (within the after-sales window) or rate them.

Every object comes through the access functions, and on top of that must be the signed-in user's
own as a buyer (an agent who also shops here sees only their purchases). Writes go through services.
"""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logistics.access import get_parcel_for_user
from logistics.models import Parcel
from orders.access import get_order_for_user
from orders.models import Order
from tickets.access import get_ticket_for_user
from tickets.evidence import evidence_attach
from tickets.models import Message, Ticket, TicketChannel, TicketKind
from tickets.portal.case_selectors import (
    buyer_cases,
    buyer_thread,
    evidence_checklist,
    open_case_for,
    rating_state,
    reopen_option,
    waiting_for,
)
from tickets.portal.forms_case_followup import RatingForm, ReopenForm
from tickets.portal.forms_cases import CASE_FORMS, KIND_HELP, CaseForm, ReplyForm
from tickets.services import ticket_buyer_reopen, ticket_buyer_reply, ticket_open, ticket_rate

PAGE_SIZE = 20


def _buyer(request: HttpRequest) -> User:
    return cast(User, request.user)  # every view here is behind login_required


def _id_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404(f"Bad {name}")
    return int(raw)


def _anchor(request: HttpRequest) -> tuple[Order, Parcel | None]:
    """The order and parcel of the query string, only if the user is their buyer and they belong together."""
    parcel_id, order_id = _id_param(request, "parcel"), _id_param(request, "order")
    parcel: Parcel | None = None
    if parcel_id is not None:
        parcel = get_parcel_for_user(request.user, parcel_id)
        if order_id is not None and order_id != parcel.order_id:
            raise Http404("No such order")
        # A visible parcel means a visible order (the same rule, on the parcel's order), and it came loaded with
        # its shop: fetching it again would cost a query on every form and every new case (benchmark P4).
        order = parcel.order
    elif order_id is not None:
        order = get_order_for_user(request.user, order_id)
    else:
        raise Http404("No order")
    if order.buyer_id != request.user.pk:
        raise Http404("No such order")  # agents may see the order, but only its buyer opens cases on it
    return order, parcel


def _own_case(request: HttpRequest, pk: int) -> Ticket:
    ticket = get_ticket_for_user(request.user, pk)
    if ticket.buyer_id != request.user.pk:
        raise Http404("No such case")
    return ticket


def _create_url(order: Order, parcel: Parcel | None, kind: str | None = None) -> str:
    params: dict[str, object] = {"order": order.id}
    if parcel is not None:
        params["parcel"] = parcel.id
    if kind:
        params["kind"] = kind
    return f"{reverse('portal:case-create')}?{urlencode(params)}"


@transaction.atomic
def _open_case(form: CaseForm, buyer: User) -> Ticket:
    """The case and its evidence as one unit: a file refused here rolls the case back too."""
    ticket, first_message = ticket_open(
        shop=form.order.shop, buyer=buyer, kind=form.kind, subject=form.cleaned_data["subject"], body=form.compose_body(),
        order=form.order, parcel=form.parcel, channel=TicketChannel.PORTAL, acting_user=buyer,
    )
    # The form has checked these files against the case budget already (a new case holds nothing yet).
    for evidence_kind, files in form.evidence():
        evidence_attach(message=first_message, files=files, evidence_kind=evidence_kind, acting_user=buyer)
    return ticket


@transaction.atomic
def _reply(ticket: Ticket, form: ReplyForm, buyer: User) -> Message:
    message = ticket_buyer_reply(ticket=ticket, body=form.cleaned_data["body"], acting_user=buyer)
    if form.cleaned_data["attachments"]:
        evidence_attach(
            message=message, files=form.cleaned_data["attachments"], evidence_kind=form.cleaned_data["evidence_kind"], acting_user=buyer
        )
    return message


def _detail_page(
    request: HttpRequest, ticket: Ticket, *, form: ReplyForm | None = None,
    reopen_form: ReopenForm | None = None, rating_form: RatingForm | None = None,
) -> HttpResponse:
    """The case page; a form passed in (bound, with its errors) replaces the empty one."""
    thread = buyer_thread(_buyer(request), ticket)
    context = {
        "ticket": ticket, "waiting": waiting_for(ticket), "thread": thread, "form": form or ReplyForm(ticket=ticket),
        "checklist": evidence_checklist(ticket, thread),
    }
    if not ticket.is_open:  # settled: what the buyer may still do instead of replying
        current_rating = {"rating": ticket.rating, "comment": ticket.rating_comment}
        context.update(
            reopen=reopen_option(ticket), reopen_form=reopen_form or ReopenForm(),
            rating=rating_state(ticket), rating_form=rating_form or RatingForm(initial=current_rating),
        )
    return render(request, "portal/cases/detail.html", context)


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(buyer_cases(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(ticket, waiting_for(ticket)) for ticket in page]
    return render(request, "portal/cases/list.html", {"page": page, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def case_create(request: HttpRequest) -> HttpResponse:
    if "order" not in request.GET and "parcel" not in request.GET:
        return render(request, "portal/cases/start.html")
    order, parcel = _anchor(request)
    form_class = CASE_FORMS.get(request.GET.get("kind", ""))
    if form_class is None:
        kinds = [(kind, KIND_HELP[kind], _create_url(order, parcel, kind)) for kind in TicketKind]
        return render(request, "portal/cases/choose_kind.html", {"order": order, "parcel": parcel, "kinds": kinds})
    existing = open_case_for(buyer=_buyer(request), kind=form_class.kind, order=order, parcel=parcel)
    if existing is not None:  # on GET too: send the buyer to the case they already have
        messages.info(request, _("You already have an open case about this (%(ref)s); add to it here.") % {"ref": existing.reference})
        return redirect("portal:case-detail", existing.pk)
    is_post = request.method == "POST"
    form = form_class(request.POST if is_post else None, request.FILES if is_post else None, order=order, parcel=parcel)
    if is_post and form.is_valid():
        try:
            ticket = _open_case(form, _buyer(request))
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Your case %(ref)s is open. We reply within 24 hours.") % {"ref": ticket.reference})
            return redirect("portal:case-detail", ticket.pk)
    context = {"form": form, "order": order, "parcel": parcel, "change_kind_url": _create_url(order, parcel)}
    return render(request, "portal/cases/create.html", context)


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _own_case(request, pk)
    return _detail_page(request, ticket)


@login_required
@require_POST
def case_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _own_case(request, pk)
    if not ticket.is_open:
        messages.error(request, _("This case is settled, so it no longer takes replies. Open a new case if something is still wrong."))
        return redirect("portal:case-detail", ticket.pk)
    form = ReplyForm(request.POST, request.FILES, ticket=ticket)
    if form.is_valid():
        try:
            _reply(ticket, form, _buyer(request))
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Your reply was sent."))
            return redirect("portal:case-detail", ticket.pk)
    return _detail_page(request, ticket, form=form)


@login_required
@require_POST
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _own_case(request, pk)
    if ticket.is_open:
        messages.info(request, _("This case is already open; add to it with a reply."))
        return redirect("portal:case-detail", ticket.pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            ticket_buyer_reopen(ticket=ticket, reason=form.cleaned_data["reason"], acting_user=_buyer(request))
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Your case is open again. An agent will pick it up."))
            return redirect("portal:case-detail", ticket.pk)
    return _detail_page(request, ticket, reopen_form=form)


@login_required
@require_POST
def case_rate(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _own_case(request, pk)
    if ticket.is_open:
        messages.error(request, _("You can rate a case once it is resolved or closed."))
        return redirect("portal:case-detail", ticket.pk)
    form = RatingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ticket_rate(ticket=ticket, rating=data["rating"], comment=data["comment"], acting_user=_buyer(request))
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Thank you for rating how we handled your case."))
            return redirect("portal:case-detail", ticket.pk)
    return _detail_page(request, ticket, rating_form=form)
