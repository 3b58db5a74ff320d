"""Bulk actions on the queue's selected cases: assign, change status, apply a macro.

Each case goes through the same service as one at a time (tickets.services, tickets.macros), in its own
transaction, so every change writes its TicketEvent; a refusal of one case (a move the workflow forbids,
an agent who does not serve its shop) is reported for that case and does not undo the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.desk.filters import style_form
from tickets.desk.queue_selectors import desk_agents, desk_tickets
from tickets.macros import macro_apply, macros_available_to
from tickets.models import Macro, Ticket, TicketStatus
from tickets.services import ticket_assign, ticket_change_status

MAX_BULK = 100  # the largest queue page


def get_desk_tickets_for_user(user: User, raw_ids: Sequence[str]) -> list[Ticket]:
    """The selected cases, all of them the user's to work on. Raises Http404 if any id is malformed, unknown
    or of a shop the user does not serve, so a bulk request either names only the user's cases or does nothing."""
    try:
        ids = {int(raw) for raw in raw_ids}
    except (TypeError, ValueError):
        raise Http404("No such case") from None
    if len(ids) > MAX_BULK:
        raise Http404("Too many cases")
    tickets = list(desk_tickets(user).filter(id__in=ids).select_related("shop", "buyer", "order", "parcel", "assignee").order_by("id"))
    if len(tickets) != len(ids):
        raise Http404("No such case")
    return tickets


class BulkAction(models.TextChoices):
    ASSIGN = "assign", gettext_lazy("Assign")
    STATUS = "status", gettext_lazy("Change status")
    MACRO = "macro", gettext_lazy("Apply macro")


ME, NOBODY = "me", "none"


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=BulkAction.choices)
    assignee = forms.ChoiceField(required=False, label=gettext_lazy("Assign to"))
    status = forms.ChoiceField(choices=[("", "—"), *TicketStatus.choices], required=False, label=gettext_lazy("Status"))
    macro = forms.ModelChoiceField(queryset=Macro.objects.none(), required=False, label=gettext_lazy("Macro"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        agents = [(str(agent.pk), agent.get_full_name() or agent.get_username()) for agent in desk_agents(user)]
        choices = [("", "—"), (ME, _("Me")), (NOBODY, _("Nobody (unassign)")), *agents]
        self.fields["assignee"].choices = choices  # type: ignore[attr-defined]
        self.fields["macro"].queryset = macros_available_to(user)  # type: ignore[attr-defined]
        style_form(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        needs = {BulkAction.ASSIGN: "assignee", BulkAction.STATUS: "status", BulkAction.MACRO: "macro"}.get(data.get("action", ""))
        if needs and not data.get(needs):
            self.add_error(needs, _("Choose what to set for the selected cases."))
        return data

    def target_agent(self) -> User | None:
        choice = self.cleaned_data["assignee"]
        if choice == NOBODY:
            return None
        if choice == ME:
            return self.user
        return User.objects.get(pk=int(choice))  # one of desk_agents: the choices were built from them


@dataclass(frozen=True)
class BulkOutcome:
    ticket: Ticket
    error: str | None = None


def _assign(ticket: Ticket, form: BulkForm, user: User) -> None:
    agent = form.target_agent()
    others = ticket.assignee_id is not None and ticket.assignee_id not in (user.pk, agent.pk if agent else None)
    if others and not user.has_perm("tickets.reassign_ticket"):
        raise ValidationError(_("It is assigned to %(agent)s; only a supervisor can reassign it.") % {"agent": ticket.assignee})
    ticket_assign(ticket=ticket, agent=agent, acting_user=user)


def _status(ticket: Ticket, form: BulkForm, user: User) -> None:
    status = form.cleaned_data["status"]
    if ticket_change_status(ticket=ticket, status=status, acting_user=user).status != status:
        raise ValidationError(_("Someone else changed its status meanwhile."))


def _macro(ticket: Ticket, form: BulkForm, user: User) -> None:
    macro_apply(ticket=ticket, macro=form.cleaned_data["macro"], acting_user=user)


BULK_ACTIONS: dict[BulkAction, Callable[[Ticket, BulkForm, User], None]] = {
    BulkAction.ASSIGN: _assign,
    BulkAction.STATUS: _status,
    BulkAction.MACRO: _macro,
}


def bulk_apply(*, form: BulkForm, tickets: Sequence[Ticket], acting_user: User) -> list[BulkOutcome]:
    """Run the form's action on each case; a ValidationError becomes that case's outcome, the rest go on."""
    action = BULK_ACTIONS[BulkAction(form.cleaned_data["action"])]
    outcomes = []
    for ticket in tickets:
        try:
            action(ticket, form, acting_user)
        except ValidationError as error:
            outcomes.append(BulkOutcome(ticket, " ".join(error.messages)))
        else:
            outcomes.append(BulkOutcome(ticket))
    return outcomes
