"""Access functions: a buyer or shop person reaches only their own objects; everything else is 404."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.http import Http404

from logistics.access import get_parcel_for_user
from orders.access import get_order_for_user
from tests.factories import ClaimFactory, OrderFactory, ParcelFactory, TicketFactory
from tickets.access import get_attachment_for_user, get_claim_for_user, get_ticket_for_user
from tickets.models import Message
from tickets.selectors import messages_visible_to
from tickets.services import attachment_add, message_create


@pytest.fixture
def world(shop, other_shop, customer, other_customer):
    mine = TicketFactory(order=OrderFactory(shop=shop, buyer=customer))
    theirs = TicketFactory(order=OrderFactory(shop=other_shop, buyer=other_customer))
    return mine, theirs


@pytest.mark.django_db
def test_buyer_gets_404_on_another_buyers_order_parcel_and_ticket(world, customer):
    mine, theirs = world
    assert get_order_for_user(customer, mine.order_id) == mine.order
    assert get_ticket_for_user(customer, mine.id) == mine
    parcel = ParcelFactory(order=theirs.order)
    for load, pk in ((get_order_for_user, theirs.order_id), (get_ticket_for_user, theirs.id), (get_parcel_for_user, parcel.id)):
        with pytest.raises(Http404):
            load(customer, pk)


@pytest.mark.django_db
def test_missing_and_foreign_objects_look_the_same(world, customer):
    _mine, theirs = world
    with pytest.raises(Http404) as missing:
        get_ticket_for_user(customer, 999_999)
    with pytest.raises(Http404) as foreign:
        get_ticket_for_user(customer, theirs.id)
    assert str(missing.value) == str(foreign.value)


@pytest.mark.django_db
def test_agent_reaches_only_the_shops_they_serve(world, agent):
    mine, theirs = world
    assert get_ticket_for_user(agent, mine.id, write=True) == mine
    assert get_order_for_user(agent, mine.order_id) == mine.order
    with pytest.raises(Http404):
        get_ticket_for_user(agent, theirs.id)
    with pytest.raises(Http404):
        get_order_for_user(agent, theirs.order_id)


@pytest.mark.django_db
def test_buyer_never_gets_write_access_to_own_case(world, customer):
    mine, _theirs = world
    with pytest.raises(Http404):
        get_ticket_for_user(customer, mine.id, write=True)


@pytest.mark.django_db
def test_superuser_sees_everything(world, superuser):
    _mine, theirs = world
    assert get_ticket_for_user(superuser, theirs.id, write=True) == theirs


@pytest.mark.django_db
def test_anonymous_and_garbage_ids_get_404(world):
    mine, _theirs = world
    for pk in (mine.id, "abc", None):
        with pytest.raises(Http404):
            get_ticket_for_user(AnonymousUser(), pk)


@pytest.mark.django_db
def test_buyers_never_see_internal_notes_or_their_attachments(world, customer, agent):
    mine, _theirs = world
    note = message_create(ticket=mine, author=agent, body="carrier says it is lost", visibility=Message.Visibility.INTERNAL)
    attachment = attachment_add(
        message=note, upload=ContentFile(b"%PDF-1.4", name="x.pdf"), original_name="loss.pdf", content_type="application/pdf",
        acting_user=agent,
    )
    assert note not in messages_visible_to(customer, mine)
    assert note in messages_visible_to(agent, mine)
    with pytest.raises(Http404):
        get_attachment_for_user(customer, attachment.id)
    assert get_attachment_for_user(agent, attachment.id) == attachment


@pytest.mark.django_db
def test_claims_are_for_shop_people_only(world, customer, agent, other_agent):
    mine, _theirs = world
    claim = ClaimFactory(ticket=mine)
    assert get_claim_for_user(agent, claim.id) == claim
    for outsider in (customer, other_agent):
        with pytest.raises(Http404):
            get_claim_for_user(outsider, claim.id)
