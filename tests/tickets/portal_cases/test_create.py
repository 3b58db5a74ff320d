"""Buyer portal: opening a case, kind by kind, with evidence; duplicates and anchors."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import OrderFactory, ParcelFactory, TicketFactory
from tests.tickets.portal_cases.helpers import create_url, detail_url, jpeg, post_case
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

