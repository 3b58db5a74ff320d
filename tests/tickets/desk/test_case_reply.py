"""Replying from the desk: public replies vs internal notes, evidence, and no reply lost or silently duplicated."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.tickets.desk.case_helpers import add_messages, case_url, lost_parcel_case, reply_data
from tickets.models import Attachment, EvidenceKind, Message, Notification, TicketEvent

pytestmark = pytest.mark.django_db


def jpeg(name: str = "invoice.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def case(shop, customer):
    return lost_parcel_case(shop, customer)


def test_public_reply_reaches_the_buyer_and_stops_the_first_response_clock(client, desk_agent, case):
    client.force_login(desk_agent)
    page = client.get(case_url(case))
    response = client.post(case_url(case, "desk:case-reply"), reply_data(page, body="We asked the carrier."))
    message = Message.objects.get(ticket=case, author=desk_agent)
    assert response.status_code == 302 and response["Location"].endswith(f"#message-{message.pk}")
    assert message.visibility == Message.Visibility.PUBLIC
    case.refresh_from_db()
    assert case.first_responded_at is not None
    assert Notification.objects.filter(user=case.buyer, ticket=case).exists()


def test_internal_note_never_reaches_the_buyer(client, desk_agent, case):
    client.force_login(desk_agent)
    page = client.get(case_url(case))
    client.post(case_url(case, "desk:case-reply"), reply_data(page, visibility="internal", body="Carrier is slow, chase Friday"))
    note = Message.objects.get(ticket=case, author=desk_agent)
    assert note.visibility == Message.Visibility.INTERNAL
    assert TicketEvent.objects.filter(ticket=case, kind=TicketEvent.Kind.NOTE_ADDED).exists()
    assert not Notification.objects.filter(user=case.buyer).exists()
    case.refresh_from_db()
    assert case.first_responded_at is None
    client.force_login(case.buyer)
    portal = client.get(reverse("portal:case-detail", args=[case.pk])).content.decode()
    assert "chase Friday" not in portal and "Message number 0" in portal


def test_reply_with_evidence_uses_the_portal_upload_rules_and_ticks_the_checklist(client, desk_agent, case):
    client.force_login(desk_agent)
    page = client.get(case_url(case))
    data = reply_data(page, evidence_kind=EvidenceKind.PROOF_OF_VALUE, attachments=[jpeg()])
    assert client.post(case_url(case, "desk:case-reply"), data).status_code == 302
    attachment = Attachment.objects.get(ticket=case)
    assert attachment.evidence_kind == EvidenceKind.PROOF_OF_VALUE and attachment.content_type == "image/jpeg"
    html = client.get(case_url(case)).content.decode()
    assert 'data-kind="proof_of_value" data-present="yes"' in html


def test_a_file_that_is_not_an_image_or_pdf_is_refused_and_the_text_kept(client, desk_agent, case):
    client.force_login(desk_agent)
    page = client.get(case_url(case))
    fake = SimpleUploadedFile("virus.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    response = client.post(case_url(case, "desk:case-reply"), reply_data(page, body="Keep me", attachments=[fake]))
    assert response.status_code == 200
    assert "is not a JPEG, PNG, WebP or PDF file" in response.content.decode() and "Keep me" in response.content.decode()
    assert not Message.objects.filter(author=desk_agent).exists()


def test_an_empty_reply_is_a_form_error(client, desk_agent, case):
    client.force_login(desk_agent)
    page = client.get(case_url(case))
    response = client.post(case_url(case, "desk:case-reply"), reply_data(page, body="   "))
    assert response.status_code == 200 and response.context["reply_form"].errors
    assert not Message.objects.filter(author=desk_agent).exists()


def test_a_reply_after_new_messages_is_held_with_the_text_kept_and_the_new_messages_shown(client, desk_agent, case):
    client.force_login(desk_agent)
    page = client.get(case_url(case))
    add_messages(case, 1)  # the buyer writes while the agent types
    newest = case.messages.order_by("-id").first()
    newest.body = "Actually it arrived damaged!"
    newest.save(update_fields=["body"])
    response = client.post(case_url(case, "desk:case-reply"), reply_data(page, body="My draft answer"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not Message.objects.filter(author=desk_agent).exists()
    assert 'id="newer-messages"' in html and "Actually it arrived damaged!" in html
    assert "My draft answer" in html and 'name="send_anyway"' in html
    assert "New messages arrived while you were writing" in html
    form = response.context["reply_form"]
    assert str(form.data["last_seen_message_id"]) == str(newest.pk)


def test_send_anyway_posts_the_held_reply(client, desk_agent, case):
    client.force_login(desk_agent)
    page = client.get(case_url(case))
    add_messages(case, 1)
    data = reply_data(page, body="Sent regardless", send_anyway="on")
    assert client.post(case_url(case, "desk:case-reply"), data).status_code == 302
    assert Message.objects.filter(author=desk_agent, body="Sent regardless").count() == 1


def test_resending_after_the_warning_goes_through_once_the_new_messages_were_seen(client, desk_agent, case):
    client.force_login(desk_agent)
    page = client.get(case_url(case))
    add_messages(case, 1)
    held = client.post(case_url(case, "desk:case-reply"), reply_data(page, body="Second try"))
    data = {**reply_data(page, body="Second try"), "last_seen_message_id": held.context["reply_form"].data["last_seen_message_id"]}
    assert client.post(case_url(case, "desk:case-reply"), data).status_code == 302
    assert Message.objects.filter(author=desk_agent, body="Second try").count() == 1


def test_a_double_submit_of_the_same_form_makes_one_message(client, desk_agent, case):
    client.force_login(desk_agent)
    page = client.get(case_url(case))
    data = reply_data(page, body="Only once please")
    first = client.post(case_url(case, "desk:case-reply"), data)
    second = client.post(case_url(case, "desk:case-reply"), data)  # same client token, now "behind" its own message
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert Message.objects.filter(author=desk_agent, body="Only once please").count() == 1
    assert TicketEvent.objects.filter(ticket=case, kind=TicketEvent.Kind.REPLIED, actor=desk_agent).count() == 1


def test_two_page_loads_carry_different_tokens(client, desk_agent, case):
    client.force_login(desk_agent)
    first, second = (reply_data(client.get(case_url(case)))["client_token"] for _ in range(2))
    assert first and second and first != second


def test_desk_reply_returns_the_first_message_when_an_identical_submit_wins_the_race(desk_agent, case):
    """Two identical submits both pass the token check; the unique constraint lets only one message exist."""
    from unittest import mock

    from tickets.desk import case_services

    real_since = case_services.messages_since

    def competitor_commits_first(ticket, last_seen):
        result = list(real_since(ticket, last_seen))
        Message.objects.create(ticket=ticket, author=desk_agent, body="Same text", client_token="tok-1")
        return result

    last = case.messages.order_by("-id").first().pk
    with mock.patch.object(case_services, "messages_since", competitor_commits_first):
        message, created = case_services.desk_reply(
            ticket=case, author=desk_agent, body="Same text", visibility="public", client_token="tok-1", last_seen_message_id=last,
        )
    assert created is False and message.client_token == "tok-1"
    assert Message.objects.filter(ticket=case, body="Same text").count() == 1
    assert not TicketEvent.objects.filter(ticket=case, kind=TicketEvent.Kind.REPLIED).exists()  # the loser's event rolled back
