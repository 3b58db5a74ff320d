from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import assert_problem, png_bytes
from tests.factories import MessageFactory
from tickets.models import Message, TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(case, agent):
    public = MessageFactory(ticket=case, body="Where is it?")
    note = MessageFactory(ticket=case, author=agent, body="Carrier says lost", visibility=Message.Visibility.INTERNAL)
    return public, note


def test_shop_token_sees_the_whole_thread(api, case, thread):
    body = api.get(f"/api/v1/cases/{case.id}/messages").json()
    assert [m["id"] for m in body["results"]] == [thread[0].id, thread[1].id]
    assert [m["author_role"] for m in body["results"]] == ["buyer", "staff"]


def test_buyer_token_sees_public_messages_only(buyer_api, case, thread):
    body = buyer_api.get(f"/api/v1/cases/{case.id}/messages").json()
    assert [m["id"] for m in body["results"]] == [thread[0].id]
    assert all(m["visibility"] == "public" for m in body["results"])


def test_messages_of_another_shops_case_are_404(api, other_case):
    assert_problem(api.get(f"/api/v1/cases/{other_case.id}/messages"), 404)


def test_shop_token_writes_an_internal_note_as_its_creator(api, case, shop_owner):
    response = api.post(f"/api/v1/cases/{case.id}/messages", {"body": "Checking", "visibility": "internal"})
    assert response.status_code == 201, response.content
    message = Message.objects.get(id=response.json()["id"])
    assert (message.author, message.visibility) == (shop_owner, "internal")


def test_buyer_token_replies_as_the_buyer_and_reopens_a_waiting_case(buyer_api, case):
    case.status = TicketStatus.WAITING_ON_BUYER
    case.save(update_fields=["status"])
    response = buyer_api.post(f"/api/v1/cases/{case.id}/messages", {"body": "Here is the photo"})
    assert response.json()["author_role"] == "buyer"
    case.refresh_from_db()
    assert case.status == TicketStatus.OPEN


def test_buyer_token_cannot_write_internal_notes(buyer_api, case):
    assert "visibility" in assert_problem(buyer_api.post(f"/api/v1/cases/{case.id}/messages", {"body": "x", "visibility": "internal"}), 400)["errors"]
    assert not case.messages.exists()


def test_reply_with_files(api, case):
    data = {"body": "Label attached", "files": [SimpleUploadedFile("label.png", png_bytes())], "evidence_kind": "shipping_document"}
    response = api.multipart(f"/api/v1/cases/{case.id}/messages", data)
    assert response.status_code == 201, response.content
    assert [(a["original_name"], a["evidence_kind"]) for a in response.json()["attachments"]] == [("label.png", "shipping_document")]


def test_reply_with_a_disguised_file_is_refused(api, case):
    data = {"body": "x", "files": [SimpleUploadedFile("a.png", b"<html></html>")]}
    assert "files" in assert_problem(api.multipart(f"/api/v1/cases/{case.id}/messages", data), 400)["errors"]
    assert not case.messages.exists()


def test_empty_reply_is_refused(api, case):
    assert_problem(api.post(f"/api/v1/cases/{case.id}/messages", {"body": "   "}), 400)
