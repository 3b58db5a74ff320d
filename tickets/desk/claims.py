"""The desk's claim pages: the list, filing a claim from a case, a claim with its checklist and workflow, the dossier.

Objects come only through the access functions (404 for another shop's claim or case); writes only through
tickets.claims. Who may approve or pay above the shop's threshold is the service's rule; the page just
offers the moves the workflow allows and says in advance which of them need a supervisor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.selectors import shops_for_user
from tickets.access import get_claim_for_user, get_ticket_for_user
from tickets.claim_selectors import claims_for_desk
from tickets.claims import claim_change_status, claim_checklist, claim_create, missing_evidence
from tickets.desk.access import desk_required
from tickets.desk.forms_claims import ClaimCreateForm, ClaimFilterForm, ClaimMoveForm
from tickets.dossier import claim_dossier as build_dossier
from tickets.models import Claim

PAGE_SIZE = 50
MOVE_LABELS: dict[str, Promise] = {  # the button says what the agent does, not the status it leads to
    Claim.Status.SUBMITTED: gettext_lazy("Submit to the liable party"),
    Claim.Status.UNDER_REVIEW: gettext_lazy("Mark under review"),
    Claim.Status.APPROVED: gettext_lazy("Approve"),
    Claim.Status.REJECTED: gettext_lazy("Reject"),
    Claim.Status.PAID: gettext_lazy("Mark paid"),
}


@dataclass(frozen=True)
class Move:
    status: str
    label: str
    needs_supervisor: bool  # and the user is not one: shown, disabled, with the reason


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # behind desk_required


@desk_required
@require_GET
def claim_list(request: HttpRequest) -> HttpResponse:
    form = ClaimFilterForm(request.GET or None, shops=shops_for_user(request.user).order_by("name"))
    form.is_valid()  # a bad filter is reported on the form; the valid ones still apply
    chosen = getattr(form, "cleaned_data", {})
    shop = chosen.get("shop")
    claims = claims_for_desk(
        request.user, status=chosen.get("status", ""), kind=chosen.get("kind", ""), shop_id=shop.pk if shop else None,
    )
    page = Paginator(claims, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "desk_section": "claims"}
    return render(request, "desk/claims/list.html", context)


@desk_required
@require_http_methods(["GET", "POST"])
def claim_new(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = get_ticket_for_user(request.user, ticket_id, write=True)
    form = ClaimCreateForm(request.POST or None, initial=ClaimCreateForm.initial_for(ticket))
    if request.method == "POST" and form.is_valid():
        try:
            claim = claim_create(ticket=ticket, acting_user=_user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Claim filed as a draft. Check its evidence, then submit it."))
            return redirect("desk:claim", claim.pk)
    return render(request, "desk/claims/new.html", {"ticket": ticket, "form": form, "desk_section": "claims"})


def _moves(request: HttpRequest, claim: Claim) -> list[Move]:
    may_approve = request.user.has_perm("tickets.approve_claim")
    return [
        Move(status, str(MOVE_LABELS[status]), claim.needs_supervisor_for(status) and not may_approve)
        for status in claim.next_statuses()
    ]


@desk_required
@require_GET
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    checklist = claim_checklist(claim)
    context = {
        "claim": claim, "ticket": claim.ticket, "checklist": checklist, "missing": missing_evidence(checklist),
        "moves": _moves(request, claim), "form": ClaimMoveForm(), "desk_section": "claims",
    }
    return render(request, "desk/claims/detail.html", context)


@desk_required
@require_POST
def claim_move(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    form = ClaimMoveForm(request.POST)
    if not form.is_valid():
        errors = " ".join(str(error) for errors in form.errors.values() for error in errors)
        messages.error(request, _("Nothing was changed: %(errors)s") % {"errors": errors})
        return redirect("desk:claim", claim.pk)
    try:
        claim = claim_change_status(claim=claim, acting_user=_user(request), **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The claim is now %(status)s.") % {"status": claim.get_status_display()})
    return redirect("desk:claim", claim.pk)


@desk_required
@require_GET
def claim_dossier(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    name = f"claim-{claim.pk}-{claim.ticket.reference}-dossier.zip"
    response = FileResponse(build_dossier(claim=claim), as_attachment=True, filename=name, content_type="application/zip")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response  # type: ignore[return-value]  # a FileResponse streams; desk_required is typed for HttpResponse
