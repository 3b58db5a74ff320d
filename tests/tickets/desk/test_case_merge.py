"""Merging a duplicate case: the service (one transaction, everything moves, the duplicate closed with a link),
the desk form that picks the duplicate by reference, and the buyer's view of a merged case."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.factories import BuyerFactory, ClaimFactory, MessageFactory, OrderFactory, ShopFactory, TicketFactory
from tests.tickets.desk.case_helpers import case_url, lost_parcel_case
from tickets.merging import ticket_merge
from tickets.models import Attachment, Claim, EvidenceKind, Message, Notification, Ticket, TicketEvent, TicketStatus
from tickets.services import attachment_add

pytestmark = pytest.mark.django_db
Kind = TicketEvent.Kind


@pytest.fixture
def target(shop, customer):
    return lost_parcel_case(shop, customer)


@pytest.fixture
def duplicate(target):
    ticket = TicketFactory(order=target.order, kind=target.kind, subject="Where is it??")
    message = MessageFactory(ticket=ticket, body="Duplicate message")
    attachment_add(message=message, upload=ContentFile(b"%PDF-1.4 fake", name="x"), original_name="invoice.pdf",
                   content_type="application/pdf", evidence_kind=EvidenceKind.PROOF_OF_VALUE, acting_user=ticket.buyer)
    TicketEvent.objects.create(ticket=ticket, kind=Kind.CREATED, new_value=ticket.kind)
    ClaimFactory(ticket=ticket)
    return ticket


def test_merge_moves_messages_files_events_and_claims_and_closes_the_duplicate(target, duplicate, desk_agent):
    moved_events = set(TicketEvent.objects.filter(ticket=duplicate).values_list("id", flat=True))
    attachment = Attachment.objects.get(ticket=duplicate)
    result = ticket_merge(source=duplicate, target=target, acting_user=desk_agent)
    assert result.pk == target.pk
    assert not Message.objects.filter(ticket=duplicate).exists()
    assert Message.objects.filter(ticket=target, body="Duplicate message").exists()
    attachment.refresh_from_db()
    assert attachment.ticket_id == target.pk and attachment.message.ticket_id == target.pk
    assert attachment.file.read() == b"%PDF-1.4 fake"  # the file itself is untouched
    assert moved_events <= set(TicketEvent.objects.filter(ticket=target).values_list("id", flat=True))
    assert Claim.objects.get().ticket_id == target.pk
    duplicate.refresh_from_db()
    assert duplicate.status == TicketStatus.CLOSED and duplicate.merged_into_id == target.pk and duplicate.closed_at
    assert TicketEvent.objects.get(ticket=duplicate, kind=Kind.MERGED_INTO).new_value == target.reference
    assert TicketEvent.objects.get(ticket=target, kind=Kind.MERGED_FROM).new_value == duplicate.reference
    assert TicketEvent.objects.get(ticket=duplicate, kind=Kind.STATUS_CHANGED).new_value == TicketStatus.CLOSED
    assert Notification.objects.filter(user=duplicate.buyer, ticket=duplicate).exists()  # the buyer hears it was closed


def test_merge_refuses_another_buyer_or_shop_and_writes_nothing(target, desk_agent, shop):
    other_buyer = TicketFactory(order=OrderFactory(shop=shop, buyer=BuyerFactory()))
    other_shop = TicketFactory(order=OrderFactory(shop=ShopFactory(), buyer=target.buyer))
    for source in (other_buyer, other_shop):
        MessageFactory(ticket=source)
        with pytest.raises(ValidationError, match="same shop and the same buyer"):
            ticket_merge(source=source, target=target, acting_user=desk_agent)
        source.refresh_from_db()
        assert source.status == TicketStatus.NEW and source.merged_into_id is None and source.messages.count() == 1
    assert not TicketEvent.objects.filter(kind__in=[Kind.MERGED_INTO, Kind.MERGED_FROM]).exists()


def test_merge_refuses_itself_and_a_case_merged_already(target, duplicate, desk_agent):
    with pytest.raises(ValidationError, match="into itself"):
        ticket_merge(source=target, target=target, acting_user=desk_agent)
    ticket_merge(source=duplicate, target=target, acting_user=desk_agent)
    with pytest.raises(ValidationError, match="already merged"):
        ticket_merge(source=duplicate, target=target, acting_user=desk_agent)
    with pytest.raises(ValidationError, match="merge into that one instead"):
        ticket_merge(source=TicketFactory(order=target.order), target=duplicate, acting_user=desk_agent)


def test_merging_a_closed_duplicate_keeps_it_closed_without_a_new_status_event(target, duplicate, desk_agent):
    Ticket.objects.filter(pk=duplicate.pk).update(status=TicketStatus.CLOSED)
    duplicate.refresh_from_db()
    ticket_merge(source=duplicate, target=target, acting_user=desk_agent)
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == target.pk
    assert not TicketEvent.objects.filter(ticket=duplicate, kind=Kind.STATUS_CHANGED).exists()


def test_the_desk_merges_by_reference_and_links_both_ways(client, desk_agent, target, duplicate):
    client.force_login(desk_agent)
    response = client.post(case_url(target, "desk:case-merge"), {"reference": f" {duplicate.reference.lower()} "})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == target.pk
    html = client.get(case_url(target)).content.decode()
    assert 'id="merged-from"' in html and duplicate.reference in html and "Duplicate message" in html
    html = client.get(case_url(duplicate)).content.decode()
    assert 'id="merged-into"' in html and reverse("desk:case", args=[target.pk]) in html
    assert 'id="merged-readonly"' in html and 'id="reply-form"' not in html and 'id="case-controls"' not in html


def test_the_desk_says_when_the_reference_is_unknown_or_of_another_shop(client, desk_agent, target):
    foreign = TicketFactory(order=OrderFactory(shop=ShopFactory()))
    client.force_login(desk_agent)
    for reference in ("SD-NOPE", foreign.reference):
        response = client.post(case_url(target, "desk:case-merge"), {"reference": reference})
        assert [str(m) for m in get_messages(response.wsgi_request)][-1].startswith("No case of yours has the reference")
    foreign.refresh_from_db()
    assert foreign.merged_into_id is None


def test_the_buyers_portal_links_the_merged_case_to_the_one_that_continues(client, desk_agent, target, duplicate):
    ticket_merge(source=duplicate, target=target, acting_user=desk_agent)
    client.force_login(target.buyer)
    response = client.get(reverse("portal:case-detail", args=[duplicate.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="merged-into"' in html and reverse("portal:case-detail", args=[target.pk]) in html
    assert "Duplicate message" in client.get(reverse("portal:case-detail", args=[target.pk])).content.decode()


def test_a_reply_posted_to_a_merged_case_is_refused(client, desk_agent, target, duplicate):
    client.force_login(desk_agent)
    page = client.get(case_url(duplicate))
    initial = page.context["reply_form"].initial
    ticket_merge(source=duplicate, target=target, acting_user=desk_agent)
    data = {"visibility": "public", "body": "Late reply", "evidence_kind": "other", **initial}
    response = client.post(case_url(duplicate, "desk:case-reply"), data)
    assert response.status_code == 200 and "merged into another one" in response.content.decode()
    assert not Message.objects.filter(body="Late reply").exists()
