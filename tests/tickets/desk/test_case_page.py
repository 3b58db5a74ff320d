"""The desk's case page: what it shows, who may open it, and how many queries it costs."""

from __future__ import annotations

import pytest

from tests.tickets.desk.case_helpers import add_messages, case_url, lost_parcel_case
from tickets.models import Message

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
