"""Buyer portal cases: list, per-kind forms with evidence, the thread, replies, and who may see what."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from PIL import Image

from tests.factories import OrderFactory, ParcelFactory, TicketFactory
from tickets.models import (
    Attachment,
    EvidenceKind,
    Message,
    Ticket,
    TicketChannel,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from tickets.services import attachment_add, message_create, ticket_buyer_reply, ticket_create

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def jpeg(name: str = "photo.jpg", color: str = "red") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), color).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def create_url(order, parcel=None, kind: str | None = None) -> str:
    params = {"order": order.id}
    if parcel is not None:
        params["parcel"] = parcel.id
    if kind:
        params["kind"] = kind
    return f"{reverse('portal:case-create')}?{urlencode(params)}"


def detail_url(ticket: Ticket) -> str:
    return reverse("portal:case-detail", args=[ticket.pk])


def reply_url(ticket: Ticket) -> str:
    return reverse("portal:case-reply", args=[ticket.pk])


@pytest.fixture
def parcel(order):
    return ParcelFactory(order=order)


@pytest.fixture
def buyer_client(client, customer):
    client.force_login(customer)
    return client


@pytest.fixture
def case(order, parcel, customer):
    return ticket_create(
        shop=order.shop, buyer=customer, kind=TicketKind.DAMAGED, subject="Broken mug", body="It arrived in pieces",
        order=order, parcel=parcel, acting_user=customer,
    )


def post_case(client, order, parcel, kind: str, **data):
    payload = {"subject": "Help", "body": "Please help", **data}
    return client.post(create_url(order, parcel, kind), payload)


# --- creating cases, kind by kind -------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_every_kind_with_an_explanation_before_the_form(buyer_client, order, parcel):
    response = buyer_client.get(create_url(order, parcel))
    assert response.status_code == 200
    kinds = response.context["kinds"]
    assert [kind for kind, _help, _url in kinds] == list(TicketKind)
    assert all(str(help_text) for _kind, help_text, _url in kinds)
    assert create_url(order, parcel, TicketKind.DAMAGED).replace("&", "&amp;") in response.content.decode()


@pytest.mark.django_db
def test_it_prefills_the_subject_and_explains_why(buyer_client, order, parcel):
    response = buyer_client.get(create_url(order, parcel, TicketKind.DAMAGED))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.fields["subject"].initial == f"Damaged goods — {order.posting_number}"
    assert "photos" in str(form.why)
    assert all(field.label for field in form.fields.values())
    assert 'enctype="multipart/form-data"' in response.content.decode()


@pytest.mark.django_db
def test_damaged_without_item_photo_is_refused(buyer_client, order, parcel):
    response = post_case(buyer_client, order, parcel, TicketKind.DAMAGED, package_photos=[jpeg()])
    assert response.status_code == 200
    assert "item_photos" in response.context["form"].errors
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


@pytest.mark.django_db
def test_damaged_with_both_photos_opens_the_case_with_typed_evidence(buyer_client, order, parcel, customer):
    response = post_case(
        buyer_client, order, parcel, TicketKind.DAMAGED, package_photos=[jpeg("box.jpg")], item_photos=[jpeg("mug.jpg", "blue")]
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(ticket)
    assert (ticket.kind, ticket.buyer, ticket.order, ticket.parcel, ticket.shop) == (TicketKind.DAMAGED, customer, order, parcel, order.shop)
    assert ticket.channel == TicketChannel.PORTAL
    first = ticket.messages.get()
    kinds = {a.original_name: a.evidence_kind for a in Attachment.objects.filter(message=first)}
    assert kinds == {"box.jpg": EvidenceKind.PACKAGE_PHOTO, "mug.jpg": EvidenceKind.ITEM_PHOTO}
    assert ticket.events.filter(kind=TicketEvent.Kind.CREATED, actor=customer).exists()


@pytest.mark.django_db
def test_address_change_requires_accepting_the_fee(buyer_client, order, parcel):
    address = {"recipient_name": "Anna", "postal_code": "190000", "city": "Saint Petersburg", "address_line": "Nevsky 10, flat 5"}
    refused = post_case(buyer_client, order, parcel, TicketKind.ADDRESS_CHANGE, **address)
    assert "accept_fee" in refused.context["form"].errors
    assert not Ticket.objects.exists()

    accepted = post_case(buyer_client, order, parcel, TicketKind.ADDRESS_CHANGE, accept_fee="on", **address)
    assert accepted.status_code == 302
    body = Ticket.objects.get().messages.get().body
    assert "New delivery address:\nAnna\n190000, Saint Petersburg\nNevsky 10, flat 5" in body
    assert order.address_line in body and "accepted by the buyer" in body


@pytest.mark.django_db
def test_return_requires_reason_and_item_photos(buyer_client, order, parcel):
    refused = post_case(buyer_client, order, parcel, TicketKind.RETURN_EXCHANGE, outcome="refund")
    assert {"reason", "item_photos"} <= set(refused.context["form"].errors)
    assert not Ticket.objects.exists()

    post_case(buyer_client, order, parcel, TicketKind.RETURN_EXCHANGE, reason="doesnt_fit", outcome="exchange", item_photos=[jpeg()])
    ticket = Ticket.objects.get()
    assert "Reason: It doesn't fit" in ticket.messages.get().body and "Wanted: Exchange it" in ticket.messages.get().body
    assert list(ticket.attachments.values_list("evidence_kind", flat=True)) == [EvidenceKind.ITEM_PHOTO]


@pytest.mark.django_db
def test_product_question_needs_only_the_message(buyer_client, order):
    missing = post_case(buyer_client, order, None, TicketKind.PRODUCT_QUESTION, body="")
    assert "body" in missing.context["form"].errors and not Ticket.objects.exists()

    response = post_case(buyer_client, order, None, TicketKind.PRODUCT_QUESTION, body="Does it fit an iPhone 15?")
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert (ticket.parcel, ticket.messages.get().body) == (None, "Does it fit an iPhone 15?")
    assert not ticket.attachments.exists()


@pytest.mark.django_db
def test_lost_parcel_asks_the_expected_date_and_stores_proof_of_value(buyer_client, order, parcel):
    missing = post_case(buyer_client, order, parcel, TicketKind.LOST_PARCEL)
    assert "expected_on" in missing.context["form"].errors

    post_case(buyer_client, order, parcel, TicketKind.LOST_PARCEL, expected_on="2026-03-01", proof_of_value=[jpeg("receipt.jpg")])
    ticket = Ticket.objects.get()
    assert "Expected delivery: 2026-03-01" in ticket.messages.get().body
    assert list(ticket.attachments.values_list("evidence_kind", flat=True)) == [EvidenceKind.PROOF_OF_VALUE]


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1_500_000, 3_200_000])  # kept in memory; past FILE_UPLOAD_MAX_MEMORY_SIZE, a temporary file
def test_large_evidence_arrives_whole_through_the_1_mib_upload_handlers(buyer_client, order, parcel, size):
    from supportdesk.uploads import UPLOAD_CHUNK_BYTES

    assert size > UPLOAD_CHUNK_BYTES  # the body is read in more than one piece
    content = b"%PDF-1.4\n" + bytes(range(256)) * ((size - 16) // 256) + b"\n%%EOF\n"
    receipt = SimpleUploadedFile("receipt.pdf", content, content_type="application/pdf")
    response = post_case(buyer_client, order, parcel, TicketKind.LOST_PARCEL, expected_on="2026-03-01", proof_of_value=[receipt])
    assert response.status_code == 302
    attachment = Ticket.objects.get().attachments.get()
    with attachment.file.open("rb") as stored:
        assert stored.read() == content
    assert attachment.size == len(content)


@pytest.mark.django_db
def test_delivery_delay_takes_an_optional_screenshot(buyer_client, order, parcel):
    post_case(buyer_client, order, parcel, TicketKind.DELIVERY_DELAY, extra_files=[jpeg("screen.jpg")])
    assert list(Ticket.objects.get().attachments.values_list("evidence_kind", flat=True)) == [EvidenceKind.SCREENSHOT]


@pytest.mark.django_db
def test_tracking_number_asks_what_is_wrong(buyer_client, order, parcel):
    missing = post_case(buyer_client, order, parcel, TicketKind.TRACKING_NUMBER)
    assert "problem" in missing.context["form"].errors

    post_case(buyer_client, order, parcel, TicketKind.TRACKING_NUMBER, problem="The carrier does not know it", number_seen="RB1")
    body = Ticket.objects.get().messages.get().body
    assert "Problem with the tracking number: The carrier does not know it" in body and "Number the buyer has: RB1" in body


@pytest.mark.django_db
def test_html_named_png_is_refused_and_nothing_is_created(buyer_client, order, parcel):
    fake = SimpleUploadedFile("photo.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    response = post_case(buyer_client, order, parcel, TicketKind.DAMAGED, package_photos=[jpeg()], item_photos=[fake])
    assert response.status_code == 200
    assert "is not a JPEG, PNG, WebP or PDF file" in str(response.context["form"].errors["item_photos"])
    assert not Ticket.objects.exists() and not Message.objects.exists() and not Attachment.objects.exists()


@pytest.mark.django_db
def test_files_over_the_case_budget_are_refused(buyer_client, order, parcel, settings):
    settings.EVIDENCE_MAX_BYTES_PER_CASE = 1024
    response = post_case(buyer_client, order, parcel, TicketKind.DAMAGED, package_photos=[jpeg()], item_photos=[jpeg()])
    assert "a case holds at most" in str(response.context["form"].non_field_errors())
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_too_many_files_across_fields_are_refused(buyer_client, order, parcel, settings):
    settings.EVIDENCE_MAX_FILES_PER_MESSAGE = 2
    photos = {"package_photos": [jpeg(), jpeg()], "item_photos": [jpeg()]}
    response = post_case(buyer_client, order, parcel, TicketKind.DAMAGED, **photos)
    assert "at most 2 files in all" in str(response.context["form"].non_field_errors())
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_failure_while_storing_evidence_rolls_the_case_back(buyer_client, order, parcel, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError("Storage said no.")

    monkeypatch.setattr("tickets.portal.cases.evidence_attach", refuse)
    response = post_case(buyer_client, order, parcel, TicketKind.DAMAGED, package_photos=[jpeg()], item_photos=[jpeg()])
    assert response.status_code == 200 and "Storage said no." in response.content.decode()
    assert not Ticket.objects.exists() and not Message.objects.exists() and not TicketEvent.objects.exists()


# --- duplicates and anchors -------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_open_case_of_the_same_kind_is_reused_on_get_and_post(buyer_client, order, parcel, case):
    url = create_url(order, parcel, TicketKind.DAMAGED)
    assert buyer_client.get(url)["Location"] == detail_url(case)
    response = buyer_client.post(url, {"subject": "again", "body": "again"}, follow=True)
    assert response.redirect_chain == [(detail_url(case), 302)]
    assert f"You already have an open case about this ({case.reference})" in response.content.decode()
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_settled_cases_and_other_kinds_do_not_block_a_new_case(buyer_client, order, parcel, case):
    assert buyer_client.get(create_url(order, parcel, TicketKind.DELIVERY_DELAY)).status_code == 200
    Ticket.objects.filter(id=case.id).update(status=TicketStatus.RESOLVED)
    assert buyer_client.get(create_url(order, parcel, TicketKind.DAMAGED)).status_code == 200


@pytest.mark.django_db
def test_without_a_parcel_duplicates_are_found_by_order(buyer_client, order, customer):
    existing = TicketFactory(order=order, kind=TicketKind.PRODUCT_QUESTION)
    assert buyer_client.get(create_url(order, None, TicketKind.PRODUCT_QUESTION))["Location"] == detail_url(existing)


@pytest.mark.django_db
def test_someone_elses_order_or_parcel_is_404(buyer_client, order, parcel, shop, other_customer):
    theirs = OrderFactory(shop=shop, buyer=other_customer)
    their_parcel = ParcelFactory(order=theirs)
    my_other_parcel = ParcelFactory(order=OrderFactory(shop=shop, buyer=order.buyer))
    for url in (
        create_url(theirs), create_url(theirs, their_parcel, TicketKind.OTHER), create_url(order, their_parcel),
        create_url(order, my_other_parcel, TicketKind.OTHER), f"{reverse('portal:case-create')}?order=abc",
        f"{reverse('portal:case-create')}?order=999999",
    ):
        assert buyer_client.get(url).status_code == 404, url
    assert buyer_client.post(create_url(theirs, None, TicketKind.OTHER), {"subject": "x", "body": "y"}).status_code == 404
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_shop_agent_cannot_open_a_case_on_a_buyers_order(client, agent, order, parcel):
    client.force_login(agent)  # the agent may see the order, but the portal is for its buyer
    assert client.get(create_url(order, parcel, TicketKind.OTHER)).status_code == 404


@pytest.mark.django_db
def test_a_parcel_alone_finds_its_order(buyer_client, parcel):
    response = buyer_client.get(f"{reverse('portal:case-create')}?parcel={parcel.id}&kind=other")
    assert response.status_code == 200 and response.context["order"] == parcel.order


@pytest.mark.django_db
def test_without_an_order_it_explains_where_to_start(buyer_client):
    assert buyer_client.get(reverse("portal:case-create")).status_code == 200


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
