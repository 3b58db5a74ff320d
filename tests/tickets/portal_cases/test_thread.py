"""Buyer portal: the case list, the case page, replies, and the HTTP edges (who may see what)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from tests.factories import OrderFactory, TicketFactory
from tests.tickets.portal_cases.helpers import XSS, XSS_ESCAPED, create_url, detail_url, jpeg, post_case, reply_url
from tickets.models import (
    Attachment,
    EvidenceKind,
    Message,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from tickets.services import attachment_add, message_create, ticket_buyer_reply

# --- the list ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_case_list_shows_only_own_cases_with_what_we_wait_for(buyer_client, order, shop, other_customer):
    mine = TicketFactory(order=order, status=TicketStatus.WAITING_ON_BUYER, subject="My broken mug")
    TicketFactory(order=OrderFactory(shop=shop, buyer=other_customer), subject="Their secret")
    response = buyer_client.get(reverse("portal:case-list"))
    page = response.content.decode()
    assert [ticket for ticket, _waiting in response.context["rows"]] == [mine]
    assert "My broken mug" in page and "Their secret" not in page
    assert "We need something from you" in page and mine.reference in page and order.posting_number in page


@pytest.mark.django_db
def test_case_list_is_newest_first_paginated_and_constant_in_queries(buyer_client, order):
    TicketFactory.create_batch(2, order=order)
    with CaptureQueriesContext(connection) as few:
        buyer_client.get(reverse("portal:case-list"))
    TicketFactory.create_batch(19, order=order)
    with CaptureQueriesContext(connection) as many:
        response = buyer_client.get(reverse("portal:case-list"))
    assert len(many) == len(few)
    tickets = [ticket for ticket, _waiting in response.context["rows"]]
    assert len(tickets) == 20 and tickets == sorted(tickets, key=lambda t: (t.created_at, t.id), reverse=True)
    assert len(buyer_client.get(reverse("portal:case-list") + "?page=2").context["rows"]) == 1


@pytest.mark.django_db
def test_waiting_on_carrier_reads_plainly(buyer_client, order):
    TicketFactory(order=order, status=TicketStatus.WAITING_ON_CARRIER)
    assert "Waiting for the carrier" in buyer_client.get(reverse("portal:case-list")).content.decode()


# --- the case page ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_case_detail_is_404_for_another_buyer_and_for_shop_staff(client, case, other_customer, agent):
    for user in (other_customer, agent):
        client.force_login(user)
        assert client.get(detail_url(case)).status_code == 404
        assert client.post(reply_url(case), {"body": "hi"}).status_code == 404
    assert case.messages.count() == 1


@pytest.mark.django_db
def test_case_detail_never_shows_internal_notes(buyer_client, case, agent):
    message_create(ticket=case, author=agent, body="Buyer seems to lie, check CCTV", visibility=Message.Visibility.INTERNAL)
    page = buyer_client.get(detail_url(case)).content.decode()
    assert "It arrived in pieces" in page and "check CCTV" not in page


@pytest.mark.django_db
def test_case_detail_names_authors_for_the_buyer(buyer_client, case, agent, superuser):
    agent.first_name = "Lena"
    agent.save(update_fields=["first_name"])
    message_create(ticket=case, author=agent, body="Please send a photo")
    message_create(ticket=case, author=superuser, body="Escalated")
    message_create(ticket=case, author=None, body="The carrier confirmed the damage")
    thread = buyer_client.get(detail_url(case)).context["thread"]
    assert [entry.author_label for entry in thread] == ["You", "Lena", "Support", "supportdesk"]


@pytest.mark.django_db
def test_case_detail_shows_order_evidence_checklist_and_escaped_file_names(buyer_client, case, customer):
    attachment_add(
        message=case.messages.get(), upload=jpeg(), original_name="<b>box</b>.jpg", content_type="image/jpeg",
        evidence_kind=EvidenceKind.PACKAGE_PHOTO, acting_user=customer,
    )
    response = buyer_client.get(detail_url(case))
    page = response.content.decode()
    checklist = [(str(item.label), item.present) for item in response.context["checklist"]]
    assert checklist == [("Photo of the package", True), ("Photo of the item", False)]
    assert "&lt;b&gt;box&lt;/b&gt;.jpg" in page and "<b>box</b>" not in page
    assert case.order.posting_number in page and case.parcel.tracking_number in page
    try:
        assert reverse("portal:attachment", args=[case.attachments.get().id]) in page
    except NoReverseMatch:
        pass  # the download view is not wired yet; the name is still listed
    try:
        assert reverse("portal:order-detail", args=[case.order_id]) in page
    except NoReverseMatch:
        pass


@pytest.mark.django_db
def test_subject_and_message_are_escaped(buyer_client, order, parcel):
    post_case(buyer_client, order, parcel, TicketKind.OTHER, subject=XSS, body=f"{XSS}\nsecond line")
    ticket = Ticket.objects.get()
    for url in (detail_url(ticket), reverse("portal:case-list")):
        page = buyer_client.get(url).content.decode()
        assert XSS not in page and XSS_ESCAPED in page, url
    assert f"{XSS_ESCAPED}<br>second line" in buyer_client.get(detail_url(ticket)).content.decode()


# --- replies ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reply_adds_a_message_with_files(buyer_client, case, customer):
    response = buyer_client.post(reply_url(case), {"body": "Here is the mug", "evidence_kind": "item_photo", "attachments": [jpeg("mug.jpg")]})
    assert response.status_code == 302 and response["Location"] == detail_url(case)
    reply = case.messages.order_by("id").last()
    assert (reply.author, reply.body, reply.visibility) == (customer, "Here is the mug", Message.Visibility.PUBLIC)
    assert list(reply.attachments.values_list("original_name", "evidence_kind")) == [("mug.jpg", EvidenceKind.ITEM_PHOTO)]
    checklist = buyer_client.get(detail_url(case)).context["checklist"]
    assert [item.present for item in checklist] == [False, True]


@pytest.mark.django_db
def test_reply_with_a_bad_file_stores_nothing(buyer_client, case):
    fake = SimpleUploadedFile("x.png", b"<html></html>", content_type="image/png")
    response = buyer_client.post(reply_url(case), {"body": "see file", "evidence_kind": "other", "attachments": [fake]})
    assert response.status_code == 200 and response.context["form"].errors["attachments"]
    assert case.messages.count() == 1 and not Attachment.objects.exists()


@pytest.mark.django_db
def test_empty_reply_is_refused(buyer_client, case):
    response = buyer_client.post(reply_url(case), {"body": "", "evidence_kind": "other"})
    assert "body" in response.context["form"].errors and case.messages.count() == 1


@pytest.mark.django_db
def test_reply_to_a_closed_case_is_refused(buyer_client, case):
    Ticket.objects.filter(id=case.id).update(status=TicketStatus.CLOSED)
    response = buyer_client.post(reply_url(case), {"body": "Still broken", "evidence_kind": "other"}, follow=True)
    assert response.redirect_chain == [(detail_url(case), 302)]
    assert "Open a new case if something is still wrong." in response.content.decode()  # the flash, not the page notice
    assert 'action="' + reply_url(case) not in response.content.decode()
    assert case.messages.count() == 1


@pytest.mark.django_db
def test_reply_moves_a_case_waiting_on_the_buyer_back_to_open(buyer_client, case, customer):
    Ticket.objects.filter(id=case.id).update(status=TicketStatus.WAITING_ON_BUYER)
    buyer_client.post(reply_url(case), {"body": "Photo attached", "evidence_kind": "other"})
    case.refresh_from_db()
    assert case.status == TicketStatus.OPEN
    event = case.events.get(kind=TicketEvent.Kind.STATUS_CHANGED)
    assert (event.actor, event.old_value, event.new_value) == (customer, TicketStatus.WAITING_ON_BUYER, TicketStatus.OPEN)


@pytest.mark.django_db
def test_reply_leaves_other_statuses_alone(buyer_client, case):
    Ticket.objects.filter(id=case.id).update(status=TicketStatus.WAITING_ON_CARRIER)
    buyer_client.post(reply_url(case), {"body": "Any news?", "evidence_kind": "other"})
    case.refresh_from_db()
    assert case.status == TicketStatus.WAITING_ON_CARRIER
    assert not case.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED).exists()


@pytest.mark.django_db
def test_ticket_buyer_reply_refuses_others_and_settled_cases(case, agent):
    with pytest.raises(ValidationError):
        ticket_buyer_reply(ticket=case, body="I am not the buyer", acting_user=agent)
    Ticket.objects.filter(id=case.id).update(status=TicketStatus.RESOLVED)  # the object in hand still says "new"
    with pytest.raises(ValidationError):
        ticket_buyer_reply(ticket=case, body="too late", acting_user=case.buyer)
    assert case.messages.count() == 1


# --- the HTTP edges ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csrf_is_enforced(customer, order, parcel, case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    assert client.post(create_url(order, parcel, TicketKind.OTHER), {"subject": "x", "body": "y"}).status_code == 403
    assert client.post(reply_url(case), {"body": "y", "evidence_kind": "other"}).status_code == 403
    assert Ticket.objects.count() == 1 and case.messages.count() == 1


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client, order, case):
    for response in (
        client.get(reverse("portal:case-list")), client.get(create_url(order, None, TicketKind.OTHER)),
        client.get(detail_url(case)), client.post(reply_url(case), {"body": "x"}),
    ):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_reply_is_post_only(buyer_client, case):
    assert buyer_client.get(reply_url(case)).status_code == 405


@pytest.mark.django_db
def test_lost_parcel_checklist_counts_the_scans_supportdesk_holds_as_the_timeline(buyer_client, order, parcel, customer):
    from tests.factories import TrackingEventFactory

    lost = TicketFactory(order=order, parcel=parcel, buyer=customer, shop=order.shop, kind=TicketKind.LOST_PARCEL)

    def timeline_present() -> bool:
        checklist = buyer_client.get(detail_url(lost)).context["checklist"]
        return next(item.present for item in checklist if str(item.label) == "Tracking timeline")

    assert timeline_present() is False  # no scans yet: the buyer may send screenshots
    TrackingEventFactory(parcel=parcel)
    assert timeline_present() is True  # the carrier's scans are on file: nobody asks the buyer for them
