"""The evidence download view: only for people who may see the file, always as a download with nosniff."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from tests.factories import TicketFactory
from tickets.evidence import CleanEvidence, evidence_attach
from tickets.models import Attachment, EvidenceKind, Message
from tickets.services import message_create

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _attach(ticket, author, visibility: str = Message.Visibility.PUBLIC, name: str = "invoice.pdf") -> Attachment:
    message = message_create(ticket=ticket, author=author, body="see attached", visibility=visibility)
    files = [CleanEvidence(original_name=name, content=PDF, content_type="application/pdf")]
    return evidence_attach(message=message, files=files, evidence_kind=EvidenceKind.PROOF_OF_VALUE, acting_user=author)[0]


@pytest.fixture
def ticket(order):
    return TicketFactory(order=order)


def test_url_is_under_files():
    assert reverse("portal:attachment", args=[7]) == "/files/7/"


@pytest.mark.django_db
def test_owner_buyer_downloads_the_file_as_an_attachment(client, ticket, customer):
    attachment = _attach(ticket, customer)
    client.force_login(customer)

    response = client.get(reverse("portal:attachment", args=[attachment.id]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="invoice.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_non_ascii_and_quoted_names_are_encoded_safely(client, ticket, customer):
    attachment = _attach(ticket, customer, name='счёт "1".pdf')
    client.force_login(customer)
    response = client.get(reverse("portal:attachment", args=[attachment.id]))
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert "%D1%81%D1%87%D1%91%D1%82" in response["Content-Disposition"]


@pytest.mark.django_db
def test_other_buyer_gets_404(client, ticket, customer, other_customer):
    attachment = _attach(ticket, customer)
    client.force_login(other_customer)
    assert client.get(reverse("portal:attachment", args=[attachment.id])).status_code == 404


@pytest.mark.django_db
def test_missing_file_id_gets_404(client, customer):
    client.force_login(customer)
    assert client.get(reverse("portal:attachment", args=[999_999])).status_code == 404


@pytest.mark.django_db
def test_buyer_gets_404_on_an_internal_notes_attachment(client, ticket, customer, agent):
    attachment = _attach(ticket, agent, visibility=Message.Visibility.INTERNAL)
    client.force_login(customer)
    assert client.get(reverse("portal:attachment", args=[attachment.id])).status_code == 404


@pytest.mark.django_db
def test_agent_of_the_shop_downloads_buyer_and_internal_files(client, ticket, customer, agent):
    public = _attach(ticket, customer)
    internal = _attach(ticket, agent, visibility=Message.Visibility.INTERNAL)
    client.force_login(agent)
    for attachment in (public, internal):
        response = client.get(reverse("portal:attachment", args=[attachment.id]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF


@pytest.mark.django_db
def test_agent_of_another_shop_gets_404(client, ticket, customer, other_agent):
    attachment = _attach(ticket, customer)
    client.force_login(other_agent)
    assert client.get(reverse("portal:attachment", args=[attachment.id])).status_code == 404


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, ticket, customer):
    url = reverse("portal:attachment", args=[_attach(ticket, customer).id])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{resolve_url(settings.LOGIN_URL)}?next={url}"


@pytest.mark.django_db
def test_only_safe_methods_are_allowed(client, ticket, customer):
    attachment = _attach(ticket, customer)
    client.force_login(customer)
    assert client.post(reverse("portal:attachment", args=[attachment.id])).status_code == 405


@pytest.mark.django_db
def test_file_gone_from_storage_gets_404_not_500(client, ticket, customer):
    attachment = _attach(ticket, customer)
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(customer)
    assert client.get(reverse("portal:attachment", args=[attachment.id])).status_code == 404
