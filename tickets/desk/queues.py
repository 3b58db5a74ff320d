"""The agents' queues at /desk/: saved views with counts, filters, search, sorting, pages, bulk actions.

Server-rendered; with htmx a change of view, filter, sort or page swaps only `#queue` (the view answers
htmx requests with the partial), and without JavaScript the same links and forms load the full page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from tickets.desk.access import desk_required
from tickets.desk.bulk import BulkForm, bulk_apply, get_desk_tickets_for_user
from tickets.desk.filters import QueueFilterSet, QueueOptionsForm
from tickets.desk.forms_agent import AwayForm
from tickets.desk.queue_rows import queue_rows
from tickets.desk.queue_selectors import (
    SETTLED_TOO,
    SavedView,
    queue_page_tickets,
    queue_sorted,
    queue_tickets,
    saved_view_counts,
)
from tickets.models import AgentStatus

COUNT_CAP = 1_000  # beyond this the queue says "1000+" (20 pages of 50): an exact count of a huge view costs more than it tells


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows (a LIMITed count), so a page of a million-case view stays cheap; beyond
    the cap it pages through the first COUNT_CAP cases and says there are more. `known`: the count, when the
    caller has it already (the saved view's tab count), so no query."""

    def __init__(self, object_list: Any, per_page: int, *, known: int | None = None) -> None:
        super().__init__(object_list, per_page)
        if known is not None:
            self.__dict__["_counted"] = known  # what cached_property would store

    @cached_property
    def _counted(self) -> int:
        # Unordered: PostgreSQL may then count off the small covering index of open cases instead of walking
        # the SLA order through the table.
        return int(self.object_list.order_by()[: COUNT_CAP + 1].count())  # type: ignore[attr-defined]

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._counted > COUNT_CAP


@dataclass(frozen=True)
class Tab:
    value: str
    label: str
    count: int | None
    active: bool


def _tabs(counts: dict[str, int], current: SavedView) -> list[Tab]:
    return [
        Tab(view.value, str(view.label), None if view in SETTLED_TOO else counts.get(view.value, 0), view == current)
        for view in SavedView
    ]


@desk_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    options = QueueOptionsForm(request.GET)
    view, sort, per_page = options.options()
    filters = QueueFilterSet(request.GET, queue_tickets(request.user, view=view, now=now), user=request.user)
    ordered_ids = queue_sorted(filters.filtered, sort).values_list("id", flat=True)
    counts = saved_view_counts(request.user, now)
    # Unfiltered, the view holds exactly its tab's count (same cases, same `now`): no second count.
    known = counts.get(view.value) if not filters.active else None
    page = CappedPaginator(ordered_ids, per_page, known=known).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "desk_section": "queues", "view": view, "sort": sort, "page": page, "filters": filters.form, "options": options,
        "rows": queue_rows(queue_page_tickets(request.user, list(page)), now),
        "tabs": _tabs(counts, view), "bulk": BulkForm(user=cast(User, request.user)),
    }
    partial = bool(request.htmx) and not request.htmx.history_restore_request  # type: ignore[attr-defined]
    if not partial:  # the agent's availability toggle sits above the queue (tickets/desk/agent.py)
        status = AgentStatus.objects.filter(user=cast(User, request.user)).first()
        context.update(agent_status=status, away_form=AwayForm(initial={"away": bool(status and status.is_away)}))
    response = render(request, "desk/queue/_queue.html" if partial else "desk/queue/page.html", context)
    patch_vary_headers(response, ["HX-Request"])  # the partial and the page share a URL; caches must tell them apart
    return response


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/desk/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/desk/"


@desk_required
@require_POST
def queue_bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to the selected cases, each through its service; every refusal is reported per case.

    A case the user does not serve makes the whole request 404, before anything changes.
    """
    user = cast(User, request.user)
    form = BulkForm(request.POST, user=user)
    tickets = get_desk_tickets_for_user(user, request.POST.getlist("ids"))
    if not tickets:
        messages.error(request, _("Select at least one case."))
        return redirect(_back(request))
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(str(message) for message in error))
        return redirect(_back(request))
    outcomes = bulk_apply(form=form, tickets=tickets, acting_user=user)
    done = sum(1 for outcome in outcomes if outcome.error is None)
    if done:
        messages.success(request, ngettext("%(count)d case updated.", "%(count)d cases updated.", done) % {"count": done})
    for outcome in outcomes:
        if outcome.error is not None:
            messages.error(request, _("%(reference)s not changed: %(reason)s") % {"reference": outcome.ticket.reference, "reason": outcome.error})
    return redirect(_back(request))
