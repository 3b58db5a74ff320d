"""The case admin: changelist, search, actions, change and add forms, scoping, claims."""

from __future__ import annotations

from decimal import Decimal
from operator import attrgetter

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import ShopMembership
from tests.factories import ClaimFactory, OrderFactory, ParcelFactory, ShopMembershipFactory, TicketFactory, UserFactory
from tickets.models import Claim, Message, Ticket, TicketEvent, TicketStatus

CHANGELIST = "admin:tickets_ticket_changelist"
Kind = TicketEvent.Kind


def make_case(shop=None, **kwargs):
    order = OrderFactory(shop=shop) if shop is not None else OrderFactory()
    return TicketFactory(order=order, parcel=ParcelFactory(order=order), **kwargs)


def login(client, user) -> None:
    client.force_login(user)


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def ticket_form(ticket, **changes) -> dict[str, object]:
    """The change form as the browser posts it: the case's fields and empty inline formsets."""
    data: dict[str, object] = {
        "subject": ticket.subject, "kind": ticket.kind, "channel": ticket.channel, "status": ticket.status,
        "priority": ticket.priority, "assignee": ticket.assignee_id or "",
    }
    for prefix in ("messages", "attachments", "events"):
        data |= {f"{prefix}-{name}": "0" for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")}
    return data | changes


def run_action(client, action: str, tickets, **extra):
    data = {"action": action, "_selected_action": [ticket.pk for ticket in tickets], **extra}
    return client.post(reverse(CHANGELIST), data)


@pytest.fixture
def supervisor(shop):
    user = UserFactory(username="supervisor", is_staff=True)
    ShopMembershipFactory(shop=shop, user=user, role=ShopMembership.Role.AGENT)
    user.groups.add(Group.objects.get(name="supervisors"))
    return user


def changelist_query_count(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_changelist_query_count_does_not_grow_with_rows(client, superuser, agent):
    login(client, superuser)
    for _ in range(3):
        make_case(assignee=agent)
    client.get(reverse(CHANGELIST))  # warm-up: session and content-type caches
    few = changelist_query_count(client)
    for _ in range(27):
        make_case(assignee=agent)
    many = changelist_query_count(client)

    assert many == few
    response = client.get(reverse(CHANGELIST))
    assert response.context["cl"].result_count == 30
    last = Ticket.objects.select_related("order", "parcel__carrier").latest("id")
    assert last.order.posting_number in response.text
    assert last.parcel.carrier.name in response.text


SEARCHABLE = ["reference", "order.order_number", "order.posting_number", "parcel.tracking_number", "buyer.email"]


@pytest.mark.parametrize("path", SEARCHABLE)
def test_changelist_search_finds_the_case(client, superuser, path):
    wanted, _other = make_case(), make_case()
    login(client, superuser)

    response = client.get(reverse(CHANGELIST), {"q": attrgetter(path)(wanted)})

    assert list(response.context["cl"].result_list) == [wanted]


def test_changelist_filters_by_parcel_status(client, superuser):
    delivered, _moving = make_case(), make_case()
    delivered.parcel.status = "delivered"
    delivered.parcel.save(update_fields=["status"])
    login(client, superuser)

    response = client.get(reverse(CHANGELIST), {"parcel__status__exact": "delivered"})

    assert list(response.context["cl"].result_list) == [delivered]


def test_assign_to_me_assigns_and_records_an_event(client, desk_agent, shop):
    ticket = make_case(shop=shop)
    login(client, desk_agent)

    response = run_action(client, "assign_to_me", [ticket])

    ticket.refresh_from_db()
    assert ticket.assignee == desk_agent
    assert TicketEvent.objects.filter(ticket=ticket, kind=Kind.ASSIGNED, actor=desk_agent, new_value=str(desk_agent.pk)).exists()
    assert "1 case assigned to you." in messages_of(response)


def test_assign_to_me_ignores_cases_of_other_shops(client, desk_agent, other_shop):
    theirs = make_case(shop=other_shop)
    login(client, desk_agent)

    run_action(client, "assign_to_me", [theirs])

    theirs.refresh_from_db()
    assert theirs.assignee is None
    assert not TicketEvent.objects.filter(ticket=theirs).exists()


def test_assign_to_me_does_not_take_a_colleagues_case_without_reassign_permission(client, desk_agent, supervisor, shop):
    ticket = make_case(shop=shop, assignee=supervisor)
    login(client, desk_agent)

    response = run_action(client, "assign_to_me", [ticket])

    ticket.refresh_from_db()
    assert ticket.assignee == supervisor
    assert any(ticket.reference in message and "supervisor" in message for message in messages_of(response))
    login(client, supervisor)
    other = make_case(shop=shop, assignee=desk_agent)
    run_action(client, "assign_to_me", [other])
    other.refresh_from_db()
    assert other.assignee == supervisor


def test_change_status_action_moves_cases_and_warns_per_refusal(client, superuser):
    movable = make_case()
    closed = make_case(status=TicketStatus.CLOSED)
    login(client, superuser)

    response = run_action(client, "change_status", [movable, closed], status=TicketStatus.WAITING_ON_BUYER)

    movable.refresh_from_db()
    closed.refresh_from_db()
    assert movable.status == TicketStatus.WAITING_ON_BUYER
    event = TicketEvent.objects.get(ticket=movable, kind=Kind.STATUS_CHANGED)
    assert (event.old_value, event.new_value, event.actor) == ("new", "waiting_on_buyer", superuser)
    assert closed.status == TicketStatus.CLOSED
    assert not TicketEvent.objects.filter(ticket=closed).exists()
    shown = messages_of(response)
    assert "1 case moved to Waiting on buyer." in shown
    assert any(message.startswith(closed.reference) for message in shown)
    warnings = [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert [closed.reference in str(m) for m in warnings] == [True]


def test_change_status_action_needs_a_status(client, superuser):
    ticket = make_case()
    login(client, superuser)

    response = run_action(client, "change_status", [ticket], status="")

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    assert "Pick the new status in the box next to the action." in messages_of(response)


def test_changelist_shows_the_status_box_in_the_action_bar(client, superuser):
    make_case()
    login(client, superuser)

    response = client.get(reverse(CHANGELIST))

    assert 'name="status"' in response.text
    assert "Assign to me" in response.text


def test_change_form_status_change_writes_an_event(client, superuser):
    ticket = make_case()
    login(client, superuser)

    response = client.post(change_url(ticket), ticket_form(ticket, status=TicketStatus.OPEN, subject="Parcel stuck in Kazan"))

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.subject) == (TicketStatus.OPEN, "Parcel stuck in Kazan")
    event = TicketEvent.objects.get(ticket=ticket, kind=Kind.STATUS_CHANGED)
    assert (event.old_value, event.new_value, event.actor) == ("new", "open", superuser)


def test_change_form_priority_and_assignee_go_through_services(client, superuser, agent, shop):
    ticket = make_case(shop=shop)
    login(client, superuser)

    client.post(change_url(ticket), ticket_form(ticket, priority="urgent", assignee=agent.pk))

    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee) == ("urgent", agent)
    kinds = set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == {Kind.PRIORITY_CHANGED, Kind.ASSIGNED}


def test_change_form_refused_transition_is_a_message_not_an_error(client, superuser):
    ticket = make_case(status=TicketStatus.CLOSED)
    login(client, superuser)

    response = client.post(change_url(ticket), ticket_form(ticket, status=TicketStatus.WAITING_ON_BUYER, subject="Still lost"))

    assert response.status_code == 302
    assert response.url == change_url(ticket)  # back on the case, not the list
    ticket.refresh_from_db()
    assert (ticket.status, ticket.subject) == (TicketStatus.CLOSED, "Still lost")
    assert not TicketEvent.objects.filter(ticket=ticket, kind=Kind.STATUS_CHANGED).exists()
    assert any("cannot go from Closed to Waiting on buyer" in message for message in messages_of(response))


def test_message_inline_goes_through_message_create(client, superuser):
    ticket = make_case()
    login(client, superuser)
    data = ticket_form(ticket) | {
        "messages-TOTAL_FORMS": "1", "messages-0-visibility": "public", "messages-0-body": "We asked the carrier.",
    }

    response = client.post(change_url(ticket), data)

    assert response.status_code == 302
    message = Message.objects.get(ticket=ticket)
    assert (message.author, message.body) == (superuser, "We asked the carrier.")
    assert TicketEvent.objects.filter(ticket=ticket, kind=Kind.REPLIED, actor=superuser).exists()
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None


def test_change_page_shows_thread_and_trail(client, superuser):
    ticket = make_case()
    Message.objects.create(ticket=ticket, author=ticket.buyer, body="Where is it?")
    TicketEvent.objects.create(ticket=ticket, kind=Kind.CREATED, new_value=ticket.kind)
    login(client, superuser)

    response = client.get(change_url(ticket))

    assert response.status_code == 200
    assert "Where is it?" in response.text
    assert ticket.parcel.tracking_number in response.text


def test_add_form_goes_through_ticket_create(client, desk_agent, shop):
    order = OrderFactory(shop=shop)
    login(client, desk_agent)
    data = {"order": order.pk, "kind": "lost_parcel", "priority": "high", "channel": "phone", "subject": "Lost"}
    data["body"] = "Called in."

    response = client.post(reverse("admin:tickets_ticket_add"), data)

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.shop, ticket.buyer, ticket.order, ticket.channel) == (shop, order.buyer, order, "phone")
    assert ticket.resolution_due is not None
    assert TicketEvent.objects.filter(ticket=ticket, kind=Kind.CREATED, actor=desk_agent).exists()
    assert ticket.messages.get().body == "Called in."


def test_add_form_refuses_a_parcel_of_another_order(client, superuser):
    order, stray = OrderFactory(), ParcelFactory()
    login(client, superuser)
    data = {"order": order.pk, "parcel": stray.pk, "kind": "other", "priority": "normal", "channel": "email"}
    data |= {"subject": "?", "body": "?"}

    response = client.post(reverse("admin:tickets_ticket_add"), data)

    assert response.status_code == 200
    assert "This parcel belongs to another order." in response.text
    assert not Ticket.objects.exists()


def test_add_form_offers_only_own_shops_orders(client, desk_agent, other_shop):
    theirs = OrderFactory(shop=other_shop)
    login(client, desk_agent)
    data = {"order": theirs.pk, "kind": "other", "priority": "normal", "channel": "email", "subject": "?", "body": "?"}

    response = client.post(reverse("admin:tickets_ticket_add"), data)

    assert response.status_code == 200
    assert not Ticket.objects.exists()


def test_agent_sees_only_own_shop_cases(client, desk_agent, shop, other_shop):
    mine, _theirs = make_case(shop=shop), make_case(shop=other_shop)
    login(client, desk_agent)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    assert other_shop.name not in response.text  # not even in the shop filter


def test_agent_is_turned_away_from_another_shops_case_like_from_a_missing_one(client, desk_agent, other_shop):
    theirs = make_case(shop=other_shop)
    login(client, desk_agent)

    response = client.get(change_url(theirs))
    missing = client.get(reverse("admin:tickets_ticket_change", args=[theirs.pk + 1000]))

    # Django's admin answers an object outside get_queryset with a redirect to the index, as for a missing one.
    assert response.status_code == missing.status_code == 302
    assert response.url == missing.url == reverse("admin:index")
    assert client.post(change_url(theirs), ticket_form(theirs, status="open")).status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == TicketStatus.NEW


def test_agent_sees_only_own_shop_events_and_claims(client, desk_agent, shop, other_shop):
    mine, theirs = make_case(shop=shop), make_case(shop=other_shop)
    for ticket in (mine, theirs):
        TicketEvent.objects.create(ticket=ticket, kind=Kind.CREATED)
        ClaimFactory(ticket=ticket)
    login(client, desk_agent)

    events = client.get(reverse("admin:tickets_ticketevent_changelist"))
    claims = client.get(reverse("admin:tickets_claim_changelist"))

    assert [event.ticket for event in events.context["cl"].result_list] == [mine]
    assert [claim.ticket for claim in claims.context["cl"].result_list] == [mine]


def claim_form(claim, **changes) -> dict[str, object]:
    data = {
        "kind": claim.kind, "amount": str(claim.amount), "currency": claim.currency, "liable_party": claim.liable_party,
        "status": claim.status,
    }
    return data | changes


def test_claim_status_change_goes_through_the_service(client, desk_agent, shop):
    claim = ClaimFactory(ticket=make_case(shop=shop))
    login(client, desk_agent)

    # no evidence on the case: the admin's submission states why it goes out without (tickets/claims.py)
    data = claim_form(claim, status="submitted", amount="2500.00", evidence_override_reason="Invoice follows")
    response = client.post(change_url(claim), data)

    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.amount) == ("submitted", Decimal("2500.00"))
    event = TicketEvent.objects.get(ticket=claim.ticket, kind=Kind.CLAIM_STATUS_CHANGED)
    assert (event.old_value, event.new_value, event.actor) == (f"{claim.pk}:draft", f"{claim.pk}:submitted", desk_agent)


def test_claim_approval_above_the_shops_threshold_needs_a_supervisor(client, desk_agent, supervisor, shop):
    small = ClaimFactory(ticket=make_case(shop=shop), status=Claim.Status.UNDER_REVIEW, amount=Decimal("1999.00"))
    claim = ClaimFactory(ticket=make_case(shop=shop), status=Claim.Status.UNDER_REVIEW, amount=Decimal("9000.00"))
    login(client, desk_agent)

    client.post(change_url(small), claim_form(small, status="approved"))
    response = client.post(change_url(claim), claim_form(claim, status="approved"))

    small.refresh_from_db()
    claim.refresh_from_db()
    assert (small.status, claim.status) == (Claim.Status.APPROVED, Claim.Status.UNDER_REVIEW)
    assert any("need a supervisor" in message for message in messages_of(response))
    login(client, supervisor)
    client.post(change_url(claim), claim_form(claim, status="approved"))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED


def test_claim_forbidden_transition_is_a_message(client, superuser):
    claim = ClaimFactory(status=Claim.Status.PAID)
    login(client, superuser)

    response = client.post(change_url(claim), claim_form(claim, status="draft"))

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
    assert any("A claim cannot go from paid to draft" in message for message in messages_of(response))


def test_claim_add_goes_through_claim_create(client, desk_agent, shop):
    ticket = make_case(shop=shop)
    login(client, desk_agent)
    data = {"ticket": ticket.pk, "kind": "compensation", "amount": "1999.00", "currency": "RUB", "liable_party": "carrier"}

    response = client.post(reverse("admin:tickets_claim_add"), data)

    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.ticket, claim.created_by, claim.status) == (ticket, desk_agent, Claim.Status.DRAFT)
    assert TicketEvent.objects.filter(ticket=ticket, kind=Kind.CLAIM_CREATED, actor=desk_agent).exists()


def test_message_admin_add_goes_through_message_create(client, superuser):
    ticket = make_case()
    login(client, superuser)
    data = {"ticket": ticket.pk, "visibility": "internal", "body": "Call the depot."}

    response = client.post(reverse("admin:tickets_message_add"), data)

    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.author, message.visibility) == (superuser, "internal")
    assert TicketEvent.objects.filter(ticket=ticket, kind=Kind.NOTE_ADDED, actor=superuser).exists()


def test_assignee_choices_are_the_agents_colleagues_and_the_current_assignee(client, desk_agent, other_agent, shop):
    former = UserFactory(username="former", is_staff=True, is_active=False)
    ticket = make_case(shop=shop, assignee=former)
    login(client, desk_agent)

    form = client.get(change_url(ticket)).context["adminform"].form

    choices = set(form.fields["assignee"].queryset)
    assert desk_agent in choices and former in choices
    assert other_agent not in choices
    assert form.initial["assignee"] == former.pk


def test_agent_edits_own_shop_case_through_the_services(client, desk_agent, shop):
    ticket = make_case(shop=shop)
    login(client, desk_agent)

    response = client.post(change_url(ticket), ticket_form(ticket, status=TicketStatus.OPEN, assignee=desk_agent.pk))

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (TicketStatus.OPEN, desk_agent)
    assert set(TicketEvent.objects.filter(ticket=ticket, actor=desk_agent).values_list("kind", flat=True)) == {
        Kind.STATUS_CHANGED, Kind.ASSIGNED,
    }


def test_claim_submission_without_evidence_is_refused_in_the_admin_too(client, desk_agent, shop):
    claim = ClaimFactory(ticket=make_case(shop=shop, kind="lost_parcel"))
    login(client, desk_agent)

    response = client.post(change_url(claim), claim_form(claim, status="submitted"))

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DRAFT
    assert any("evidence is missing: Proof of value" in message for message in messages_of(response))
