"""The desk's case page: what it shows, who may open it, and how many queries it costs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from logistics.models import TrackingNumberChange
from tests.factories import MessageFactory, OrderFactory, ParcelFactory, ShopMembershipFactory, UserFactory
from tests.tickets.desk.case_helpers import add_messages, case_url, lost_parcel_case, make_macro
from tickets.models import Attachment, EvidenceKind, Message, Ticket, TicketEvent, TicketStatus
from tickets.presence import PRESENCE_TTL_SECONDS, presence_touch

# session, user, the user's desk groups (read once: the guard and the navigation share them); the case and two staff
# checks (access, thread); messages, their attachments; events; assignable agents; order lines; buyer profile; parcels,
# their events, their number changes; macros; merged duplicates; the unread-notification badge; the carriers of the
# tracking forms.
CASE_PAGE_QUERIES = 20  # includes the claims panel


def case_urls(ticket: Ticket) -> list[tuple[str, str]]:
    """Every URL of the case page, with the method it answers."""
    parcel = ticket.parcel.pk
    gets = ["desk:case", "desk:case-parcels", "desk:case-presence", "desk:case-macro-preview"]
    posts = ["desk:case-reply", "desk:case-assign", "desk:case-status", "desk:case-priority", "desk:case-request-evidence",
             "desk:case-macro-apply", "desk:case-merge"]
    return ([(case_url(ticket, name), "get") for name in gets] + [(case_url(ticket, name), "post") for name in posts]
            + [(case_url(ticket, "desk:case-tracking-number", parcel), "post")])

pytestmark = pytest.mark.django_db


def test_case_page_shows_conversation_buyer_order_parcels_and_history(client, desk_agent, shop, customer):
    ticket = lost_parcel_case(shop, customer)
    add_messages(ticket, 1, author=desk_agent, visibility=Message.Visibility.INTERNAL)
    client.force_login(desk_agent)
    response = client.get(case_url(ticket))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Parcel never arrived" in html and ticket.reference in html
    assert 'data-visibility="internal"' in html and "Internal note · agents only" in html
    assert 'data-visibility="public"' in html
    assert customer.email in html and "+7 900 000-00-00" in html and "Russian" in html
    assert ticket.order.posting_number in html and "Bluetooth speaker" in html and "Tverskaya 1" in html
    assert 'title="Carrier code: RC01 · Scan 1 of parcel 0"' in html
    assert html.index("Scan 1 of parcel 0") < html.index("Scan 0 of parcel 0")  # newest first
    assert 'id="audit-trail"' in html
    assert "Proof of value" in html and 'data-present="no"' in html


def test_xss_in_messages_subject_and_timeline_is_rendered_inert(client, desk_agent, shop, customer):
    ticket = lost_parcel_case(shop, customer, messages=0)
    Ticket.objects.filter(pk=ticket.pk).update(subject="<img src=x onerror=alert(2)>")
    MessageFactory(ticket=ticket, body="<script>alert(1)</script>")
    client.force_login(desk_agent)
    html = client.get(case_url(ticket)).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_anonymous_goes_to_sign_in_on_every_case_url(client, shop, customer):
    ticket = lost_parcel_case(shop, customer)
    for url, method in case_urls(ticket):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_a_buyer_gets_404_on_every_case_url_even_their_own_case(client, shop, customer):
    ticket = lost_parcel_case(shop, customer)
    client.force_login(customer)
    for url, method in case_urls(ticket):
        assert getattr(client, method)(url).status_code == 404, url


def test_an_agent_of_another_shop_gets_404_on_every_case_url(client, shop, customer, other_agent):
    other_agent.groups.add(Group.objects.get(name="agents"))
    ticket = lost_parcel_case(shop, customer)
    client.force_login(other_agent)
    for url, method in case_urls(ticket):
        assert getattr(client, method)(url).status_code == 404, url
    assert not Message.objects.filter(ticket=ticket, author=other_agent).exists()


def test_a_missing_case_is_404(client, desk_agent):
    client.force_login(desk_agent)
    assert client.get(reverse("desk:case", args=[999999])).status_code == 404


def test_posts_need_a_csrf_token(desk_agent, shop, customer):
    ticket = lost_parcel_case(shop, customer)
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk_agent)
    response = client.post(case_url(ticket, "desk:case-status"), {"status": "open"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_a_tracking_form_of_a_parcel_of_another_order_is_404(client, desk_agent, shop, customer):
    ticket = lost_parcel_case(shop, customer)
    stranger = ParcelFactory(order=OrderFactory(shop=shop, buyer=customer))
    client.force_login(desk_agent)
    url = case_url(ticket, "desk:case-tracking-number", stranger.pk)
    assert client.post(url, {f"p{stranger.pk}-new_number": "X1", f"p{stranger.pk}-reason": "r"}).status_code == 404


@pytest.mark.parametrize("size", [2, 20])
def test_case_page_query_count_does_not_grow_with_messages_events_or_parcels(client, desk_agent, shop, customer, size,
                                                                             django_assert_num_queries):
    ticket = lost_parcel_case(shop, customer, messages=size, parcels=size // 2, events=size)
    for n in range(size):
        TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.NOTE_ADDED, actor=desk_agent, new_value=str(n))
        if n % 2:
            add_messages(ticket, 1, author=desk_agent, visibility=Message.Visibility.INTERNAL)
    parcel = ticket.parcel
    TrackingNumberChange.objects.create(parcel=parcel, old_carrier=parcel.carrier, new_carrier=parcel.carrier, old_number="A", new_number="B", reason="typo")
    Attachment.objects.create(ticket=ticket, message=ticket.messages.first(), file="evidence/x", original_name="x.pdf",
                              content_type="application/pdf", size=10, evidence_kind=EvidenceKind.PROOF_OF_VALUE)
    make_macro(shop=shop)
    client.force_login(desk_agent)
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        response = client.get(case_url(ticket))
    assert response.status_code == 200
    assert response.content.decode().count('class="card mb-2') == ticket.messages.count()


def test_the_parcels_panel_alone_is_what_htmx_refreshes(client, desk_agent, shop, customer):
    ticket = lost_parcel_case(shop, customer, parcels=2)
    client.force_login(desk_agent)
    response = client.get(case_url(ticket, "desk:case-parcels"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and html.count('class="mb-3 parcel-panel"') == 2
    assert 'hx-trigger="every 60s"' in client.get(case_url(ticket)).content.decode()


def test_presence_shows_who_else_is_viewing_and_new_messages(client, desk_agent, shop, customer):
    ticket = lost_parcel_case(shop, customer)
    colleague = ShopMembershipFactory(shop=shop, user=UserFactory(username="li", first_name="Li", last_name="Wei", is_staff=True)).user
    colleague.groups.add(Group.objects.get(name="agents"))
    client.force_login(colleague)
    client.get(case_url(ticket))  # Li opens the case
    client.force_login(desk_agent)
    page = client.get(case_url(ticket))
    assert "Li Wei is also viewing this case." in page.content.decode()
    last = page.context["page"].last_message_id
    add_messages(ticket, 2)
    poll = client.get(case_url(ticket, "desk:case-presence") + f"?since={last}")
    html = poll.content.decode()
    assert "Li Wei is also viewing" in html and "2 new messages since you loaded the page." in html
    assert 'hx-trigger="every 15s"' in page.content.decode()


def test_presence_forgets_a_viewer_after_a_minute(desk_agent, shop, customer):
    colleague = UserFactory(username="li")
    presence_touch(ticket_id=1, user=colleague, now=1000.0)
    assert presence_touch(ticket_id=1, user=desk_agent, now=1030.0) == ["li"]
    assert presence_touch(ticket_id=1, user=desk_agent, now=1000.0 + PRESENCE_TTL_SECONDS + 1) == []
