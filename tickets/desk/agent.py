"""The agent's own settings on the desk: marking oneself away, so automatic assignment skips one."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tickets.assignment import agent_set_away
from tickets.desk.access import desk_required
from tickets.desk.forms_agent import AwayForm
from tickets.models import AgentStatus


def _partial(request: HttpRequest, form: AwayForm, status: AgentStatus | None, code: int = 200) -> HttpResponse:
    return render(request, "desk/_away_toggle.html", {"away_form": form, "agent_status": status}, status=code)


@desk_required
@require_POST
def away(request: HttpRequest) -> HttpResponse:
    """POST away=on [until=YYYY-MM-DDTHH:MM] marks the agent away; without `away`, back. htmx gets the toggle
    back; a plain form post goes back to `next` (a path on this site) or the desk. Bad input: 400 with the errors."""
    user: User = request.user  # type: ignore[assignment]
    form = AwayForm(request.POST)
    status = AgentStatus.objects.filter(user_id=user.pk).first()
    if not form.is_valid():
        return _partial(request, form, status, 400)
    try:
        status = agent_set_away(user=user, is_away=form.cleaned_data["away"], away_until=form.cleaned_data["until"])
    except ValidationError as error:
        form.add_error("until", error.messages)
        return _partial(request, form, status, 400)
    if getattr(request, "htmx", False):
        return _partial(request, AwayForm(initial={"away": status.is_away, "until": status.away_until}), status)
    target = request.POST.get("next", "")
    local = target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return redirect(target if local else "/desk/")
