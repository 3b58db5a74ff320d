"""What the buyer's case form and a new case cost in SQL (benchmark P4: every statement is CPU on the web tier and
on the database, and 20 buyers at once queue behind each other), and that the cheaper paths keep the rules."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests.factories import OrderFactory, ParcelFactory
from tests.tickets.portal_cases import helpers
from tests.tickets.portal_cases.helpers import jpeg
from tickets.models import Attachment, Ticket, TicketKind

# Session, user, the parcel with its order and shop (one query: the order is not fetched again), the open case
# of the same kind, and the unread count of the navbar's bell.
FORM_QUERIES = 5
ROUTED_CASE_QUERIES = 18


def create_url(order, parcel=None, kind: str = TicketKind.DAMAGED) -> str:
    return helpers.create_url(order, parcel, kind)


def damaged(client, order, parcel):
    data = {"subject": "Crushed", "body": "The box arrived crushed.", "package_photos": [jpeg("box.jpg")], "item_photos": [jpeg("mug.jpg")]}
    return client.post(create_url(order, parcel), data)


@pytest.mark.django_db
def test_the_case_form_costs_a_fixed_number_of_queries(buyer_client, order, parcel, django_assert_num_queries):
    with django_assert_num_queries(FORM_QUERIES):
        response = buyer_client.get(create_url(order, parcel))
    assert response.status_code == 200
    assert response.context["order"] == order and response.context["order"].shop == order.shop


@pytest.mark.django_db
def test_a_damaged_case_with_two_photos_costs_a_fixed_number_of_queries(buyer_client, order, parcel, django_assert_num_queries):
    # FORM_QUERIES less the bell, plus the hourly limit; the case, its event and first message (not read back: the
    # service hands it over); two attachments with an event each; the shop's SLA policies, calendar, assignment
    # rules and webhook subscriptions, which a shared cache memoises (below); and one SAVEPOINT/RELEASE: the view's
    # own transaction inside the test's (the services it calls take none, and a manual queue none either).
    with django_assert_num_queries(ROUTED_CASE_QUERIES):
        response = damaged(buyer_client, order, parcel)
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("portal:case-detail", args=[ticket.pk])
    assert sorted(ticket.attachments.values_list("original_name", "state")) == [
        ("box.jpg", Attachment.State.PENDING), ("mug.jpg", Attachment.State.PENDING),
    ]


@pytest.mark.django_db
def test_the_parcels_order_must_be_the_order_asked_for(buyer_client, order, shop, customer):
    my_other_order = OrderFactory(shop=shop, buyer=customer)
    parcel_of_the_other = ParcelFactory(order=my_other_order)
    assert buyer_client.get(create_url(order, parcel_of_the_other)).status_code == 404
    assert damaged(buyer_client, order, parcel_of_the_other).status_code == 404
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_parcel_alone_is_404_for_a_shop_agent_who_may_see_it(client, agent, parcel):
    client.force_login(agent)  # the parcel (and its order) are visible to the shop's agent, but the portal is the buyer's
    url = f"{reverse('portal:case-create')}?{urlencode({'parcel': parcel.id, 'kind': TicketKind.OTHER})}"
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_case_budget_still_holds_for_a_new_case(buyer_client, order, parcel, settings):
    settings.EVIDENCE_MAX_BYTES_PER_CASE = 1024  # below the two photos together
    response = damaged(buyer_client, order, parcel)
    assert response.status_code == 200 and "a case holds at most" in str(response.context["form"].non_field_errors())
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_the_evidence_help_text_follows_the_language_and_the_limits(settings):
    from django.utils import translation

    from tickets.evidence import EvidenceFilesField

    field = EvidenceFilesField()
    settings.EVIDENCE_MAX_FILES_PER_MESSAGE = 4
    english = str(field.help_text)
    with translation.override("ru"):
        assert str(field.help_text).startswith("JPEG, PNG, WebP или PDF; до 4 файлов")
    settings.EVIDENCE_MAX_FILES_PER_MESSAGE = 3
    assert "up to 4 files" in english and "up to 3 files" in str(field.help_text)


@pytest.mark.django_db
def test_an_open_case_found_on_the_form_costs_no_extra_query(buyer_client, order, parcel, customer, django_assert_num_queries):
    from tickets.services import ticket_create

    case = ticket_create(shop=order.shop, buyer=customer, kind=TicketKind.DAMAGED, subject="Broken", body="Broken",
                         order=order, parcel=parcel, acting_user=customer)
    with django_assert_num_queries(4):  # session, user, parcel, the open case (id and reference): then the redirect
        response = buyer_client.get(create_url(order, parcel))
    assert response["Location"] == reverse("portal:case-detail", args=[case.pk])
    assert f"You already have an open case about this ({case.reference})" in buyer_client.get(response["Location"]).content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("shared_cache")
def test_with_a_shared_cache_the_next_case_of_the_shop_reads_no_configuration(buyer_client, order, django_assert_num_queries):
    first, second = ParcelFactory.create_batch(2, order=order)
    damaged(buyer_client, order, first)  # loads the shop's policies, calendar, rules and subscriptions
    with django_assert_num_queries(ROUTED_CASE_QUERIES - 4):
        response = damaged(buyer_client, order, second)
    assert response.status_code == 302 and Ticket.objects.count() == 2
