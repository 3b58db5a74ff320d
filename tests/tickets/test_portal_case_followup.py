"""Buyer portal follow-ups on cases: reopening a settled case, rating it, and the hourly limit on new cases."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import OrderFactory, TicketFactory
from tickets.models import Message, Ticket, TicketChannel, TicketEvent, TicketKind, TicketStatus
from tickets.services import ticket_buyer_reopen, ticket_change_status, ticket_create, ticket_rate

NOW = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)
XSS = "<script>alert(1)</script>"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def buyer_client(client, customer):
    client.force_login(customer)
    return client


@pytest.fixture
def case(frozen, order, customer, agent):
    """A case the agent has resolved; the order was delivered three days ago (window: 14 days)."""
    order.status, order.delivered_at = "delivered", NOW - dt.timedelta(days=3)
    order.save(update_fields=["status", "delivered_at"])
    ticket = ticket_create(
        shop=order.shop, buyer=customer, kind=TicketKind.DELIVERY_DELAY, subject="Late parcel", body="Where is it?",
        order=order, acting_user=customer,
    )
    return ticket_change_status(ticket=ticket, status=TicketStatus.RESOLVED, acting_user=agent)


def close(ticket: Ticket, agent) -> Ticket:
    return ticket_change_status(ticket=ticket, status=TicketStatus.CLOSED, acting_user=agent)


def detail_url(ticket: Ticket) -> str:
    return reverse("portal:case-detail", args=[ticket.pk])


def reopen_url(ticket: Ticket) -> str:
    return reverse("portal:case-reopen", args=[ticket.pk])


def rate_url(ticket: Ticket) -> str:
    return reverse("portal:case-rate", args=[ticket.pk])


def rated_events(ticket: Ticket):
    return ticket.events.filter(kind=TicketEvent.Kind.RATED)


def reopened_events(ticket: Ticket):
    return ticket.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED, new_value=TicketStatus.OPEN)


# --- reopening --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reopen_from_resolved_writes_a_status_event_and_a_public_message(buyer_client, case, customer):
    page = buyer_client.get(detail_url(case)).content.decode()
    assert 'action="' + reopen_url(case) + '"' in page and "Reopen this case" in page
    response = buyer_client.post(reopen_url(case), {"reason": "It never arrived after all"})
    assert response.status_code == 302 and response["Location"] == detail_url(case)
    case.refresh_from_db()
    assert (case.status, case.resolved_at, case.closed_at) == (TicketStatus.OPEN, None, None)
    event = reopened_events(case).get()
    assert (event.actor, event.old_value) == (customer, TicketStatus.RESOLVED)
    message = case.messages.order_by("id").last()
    assert (message.author, message.body, message.visibility) == (customer, "It never arrived after all", Message.Visibility.PUBLIC)
    assert case.events.filter(kind=TicketEvent.Kind.REPLIED, new_value=str(message.pk)).exists()


@pytest.mark.django_db
def test_reopen_from_closed_within_the_window_works(buyer_client, case, agent, frozen):
    close(case, agent)
    frozen.shift(dt.timedelta(days=10))  # delivered 13 days ago: one day left
    page = buyer_client.get(detail_url(case)).content.decode()
    assert "You can reopen it until March 21, 2025" in page
    buyer_client.post(reopen_url(case), {"reason": "The replacement is broken too"})
    case.refresh_from_db()
    assert case.status == TicketStatus.OPEN
    assert reopened_events(case).get().old_value == TicketStatus.CLOSED
    assert case.messages.filter(body="The replacement is broken too").exists()


@pytest.mark.django_db
def test_reopen_from_closed_past_the_window_is_refused_and_changes_nothing(buyer_client, case, agent, frozen):
    close(case, agent)
    frozen.shift(dt.timedelta(days=12))  # delivered 15 days ago; the window ended on March 21
    page = buyer_client.get(detail_url(case)).content.decode()
    assert "The after-sales window for this order ended on March 21, 2025" in page
    assert 'action="' + reopen_url(case) not in page and "Reopen this case" not in page
    events, messages = case.events.count(), case.messages.count()
    response = buyer_client.post(reopen_url(case), {"reason": "Still broken"})
    assert response.status_code == 200
    assert "The after-sales window of this order has ended" in str(response.context["reopen_form"].non_field_errors())
    case.refresh_from_db()
    assert case.status == TicketStatus.CLOSED
    assert (case.events.count(), case.messages.count()) == (events, messages)


@pytest.mark.django_db
def test_reopen_explains_an_order_that_ended_without_delivery(buyer_client, case, agent):
    case.order.status, case.order.delivered_at = "cancelled", None
    case.order.save(update_fields=["status", "delivered_at"])
    close(case, agent)
    page = buyer_client.get(detail_url(case)).content.decode()
    assert "The after-sales window for this order has ended, so this case can no longer be reopened." in page
    assert 'action="' + reopen_url(case) not in page


@pytest.mark.django_db
def test_reopen_needs_a_reason_and_a_settled_case(buyer_client, case, customer):
    response = buyer_client.post(reopen_url(case), {"reason": "  "})
    assert response.status_code == 200 and "reason" in response.context["reopen_form"].errors
    assert not reopened_events(case).exists()
    ticket_buyer_reopen(ticket=case, reason="again", acting_user=customer)
    messages = case.messages.count()
    response = buyer_client.post(reopen_url(case), {"reason": "and again"}, follow=True)
    assert response.redirect_chain == [(detail_url(case), 302)]
    assert "already open" in response.content.decode()
    assert case.messages.count() == messages and reopened_events(case).count() == 1


@pytest.mark.django_db
def test_ticket_buyer_reopen_refuses_others_and_open_cases(case, agent, customer):
    with pytest.raises(ValidationError, match="Only the buyer"):
        ticket_buyer_reopen(ticket=case, reason="I am the agent", acting_user=agent)
    Ticket.objects.filter(id=case.id).update(status=TicketStatus.WAITING_ON_CARRIER)  # the object in hand says resolved
    with pytest.raises(ValidationError, match="still open"):
        ticket_buyer_reopen(ticket=case, reason="hello", acting_user=customer)
    assert case.messages.count() == 1 and not reopened_events(case).exists()


# --- rating -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rating_is_saved_with_a_rated_event_and_shown(buyer_client, case, customer):
    page = buyer_client.get(detail_url(case)).content.decode()
    for value in range(1, 6):  # real radio inputs, each with its own label
        assert f'type="radio" name="rating" value="{value}"' in page
        assert f'for="id_rating_{value - 1}"' in page and f'id="id_rating_{value - 1}"' in page
    assert "<legend" in page
    response = buyer_client.post(rate_url(case), {"rating": "4", "comment": f"Quick and kind {XSS}"})
    assert response.status_code == 302 and response["Location"] == detail_url(case)
    case.refresh_from_db()
    assert (case.rating, case.rating_comment, case.rated_at) == (4, f"Quick and kind {XSS}", NOW)
    event = rated_events(case).get()
    assert (event.actor, event.old_value, event.new_value) == (customer, "", "4")
    page = buyer_client.get(detail_url(case)).content.decode()
    assert "★★★★☆" in page and "Your rating: 4 of 5" in page and "Quick and kind &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert XSS not in page
    assert re.search(r'<input type="radio" name="rating" value="4"[^>]* checked>', page)


@pytest.mark.django_db
@pytest.mark.parametrize(("rating", "posted"), [(0, "0"), (6, "6"), (-1, ""), (True, "five")])
def test_ratings_outside_1_to_5_are_refused(buyer_client, case, customer, rating, posted):
    with pytest.raises(ValidationError, match="from 1 to 5"):
        ticket_rate(ticket=case, rating=rating, comment="", acting_user=customer)
    response = buyer_client.post(rate_url(case), {"rating": posted})
    assert response.status_code == 200 and "rating" in response.context["rating_form"].errors
    case.refresh_from_db()
    assert case.rating is None and not rated_events(case).exists()


@pytest.mark.django_db
def test_rating_an_open_case_is_refused(buyer_client, case, customer):
    ticket_buyer_reopen(ticket=case, reason="not fixed", acting_user=customer)
    with pytest.raises(ValidationError, match="once it is resolved or closed"):
        ticket_rate(ticket=case, rating=5, comment="", acting_user=customer)
    response = buyer_client.post(rate_url(case), {"rating": "5"}, follow=True)
    assert "You can rate a case once it is resolved or closed." in response.content.decode()
    assert 'action="' + rate_url(case) not in response.content.decode()
    case.refresh_from_db()
    assert case.rating is None and not rated_events(case).exists()


@pytest.mark.django_db
def test_rating_can_be_changed_within_7_days_and_not_after(buyer_client, case, customer, frozen):
    ticket_rate(ticket=case, rating=4, comment="Fine", acting_user=customer)
    frozen.shift(dt.timedelta(days=6, hours=23))
    buyer_client.post(rate_url(case), {"rating": "2", "comment": "It broke again"})
    case.refresh_from_db()
    assert (case.rating, case.rating_comment, case.rated_at) == (2, "It broke again", NOW)  # rated_at: the first rating
    changes = rated_events(case).values_list("old_value", "new_value")
    assert list(changes) == [("", "4"), ("4", "2")]
    frozen.shift(dt.timedelta(hours=2))
    with pytest.raises(ValidationError, match="can no longer be changed"):
        ticket_rate(ticket=case, rating=5, comment="", acting_user=customer)
    page = buyer_client.get(detail_url(case)).content.decode()
    assert "This rating can no longer be changed." in page and 'action="' + rate_url(case) not in page
    response = buyer_client.post(rate_url(case), {"rating": "5"})
    assert "can no longer be changed" in str(response.context["rating_form"].non_field_errors())
    case.refresh_from_db()
    assert case.rating == 2 and rated_events(case).count() == 2


@pytest.mark.django_db
def test_a_closed_case_can_be_rated_past_the_after_sales_window_and_a_resubmission_records_nothing(buyer_client, case, agent, frozen):
    close(case, agent)
    frozen.shift(dt.timedelta(days=30))
    buyer_client.post(rate_url(case), {"rating": "5", "comment": "ok "})
    buyer_client.post(rate_url(case), {"rating": "5", "comment": "ok"})
    case.refresh_from_db()
    assert (case.rating, case.rating_comment, rated_events(case).count()) == (5, "ok", 1)


# --- who may, and the HTTP edges ----------------------------------------------------------------------


@pytest.mark.django_db
def test_another_buyer_and_shop_staff_get_404(client, case, other_customer, agent):
    with pytest.raises(ValidationError, match="Only the buyer"):
        ticket_rate(ticket=case, rating=1, comment="", acting_user=agent)
    for user in (other_customer, agent):
        client.force_login(user)
        assert client.post(reopen_url(case), {"reason": "mine now"}).status_code == 404
        assert client.post(rate_url(case), {"rating": "1"}).status_code == 404
    case.refresh_from_db()
    assert (case.status, case.rating, case.messages.count()) == (TicketStatus.RESOLVED, None, 1)


@pytest.mark.django_db
def test_followups_are_post_only_csrf_protected_and_need_sign_in(client, case, customer):
    assert client.post(reopen_url(case), {"reason": "x"})["Location"].startswith(reverse("login"))
    assert client.post(rate_url(case), {"rating": "3"})["Location"].startswith(reverse("login"))
    client.force_login(customer)
    assert client.get(reopen_url(case)).status_code == 405 and client.get(rate_url(case)).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(customer)
    assert strict.post(reopen_url(case), {"reason": "x"}).status_code == 403
    assert strict.post(rate_url(case), {"rating": "3"}).status_code == 403
    case.refresh_from_db()
    assert (case.status, case.rating) == (TicketStatus.RESOLVED, None)


# --- the hourly limit on new cases ------------------------------------------------------------------


def create_url(order, kind: str) -> str:
    return f"{reverse('portal:case-create')}?{urlencode({'order': order.id, 'kind': kind})}"


def post_case(client, order, kind: str):
    return client.post(create_url(order, kind), {"subject": "Help", "body": "Please help"})


@pytest.mark.django_db
def test_new_cases_are_limited_per_hour(buyer_client, order, settings, frozen):
    settings.PORTAL_MAX_CASES_PER_HOUR = 2
    assert post_case(buyer_client, order, TicketKind.OTHER).status_code == 302
    frozen.shift(dt.timedelta(minutes=20))
    assert post_case(buyer_client, order, TicketKind.PRODUCT_QUESTION).status_code == 302

    refused = post_case(buyer_client, order, TicketKind.DELIVERY_DELAY)
    assert refused.status_code == 200
    errors = str(refused.context["form"].non_field_errors())
    assert "the most cases we accept in one hour" in errors and "try again in 40 minutes" in errors
    assert "the most cases we accept in one hour" in refused.content.decode()
    assert Ticket.objects.count() == 2

    duplicate = post_case(buyer_client, order, TicketKind.OTHER)  # the duplicate redirect still comes first
    assert duplicate["Location"] == detail_url(Ticket.objects.get(kind=TicketKind.OTHER))

    frozen.shift(dt.timedelta(minutes=40))  # the first case is exactly an hour old: still counted
    assert post_case(buyer_client, order, TicketKind.DELIVERY_DELAY).status_code == 200
    frozen.shift(dt.timedelta(seconds=1))
    assert post_case(buyer_client, order, TicketKind.DELIVERY_DELAY).status_code == 302
    assert Ticket.objects.count() == 3


@pytest.mark.django_db
def test_the_limit_defaults_to_5_and_counts_only_the_buyers_portal_cases(buyer_client, order, customer, shop, other_customer):
    TicketFactory.create_batch(3, order=order, channel=TicketChannel.EMAIL)  # written in by e-mail: not the portal
    TicketFactory.create_batch(5, order=OrderFactory(shop=shop, buyer=other_customer))  # someone else's
    TicketFactory.create_batch(4, order=order, kind=TicketKind.LOST_PARCEL, status=TicketStatus.CLOSED)
    assert post_case(buyer_client, order, TicketKind.OTHER).status_code == 302  # the 5th portal case this hour
    refused = post_case(buyer_client, order, TicketKind.PRODUCT_QUESTION)
    assert refused.status_code == 200 and refused.context["form"].non_field_errors()
    assert Ticket.objects.filter(buyer=customer).count() == 3 + 4 + 1
