"""The case page's evidence checklist counts the tracking timeline supportdesk holds (as the claim checklist does),
and its history shows the SLA clock's events (pause, resume, warning, breach, escalation) in words, not raw values."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from orders.models import BuyerProfile
from tests.tickets.desk.case_helpers import case_url, lost_parcel_case
from tickets.models import EvidenceKind, Message, TicketEvent, TicketEventKind, TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_buyer(customer):
    BuyerProfile.objects.filter(user=customer).update(language="en")  # the evidence request is in the buyer's language


def checklist_item(html: str, kind: str) -> str:
    start = html.index(f'data-kind="{kind}"')
    return html[start:html.index("</li>", start)]


def test_a_timeline_supportdesk_holds_ticks_the_checklist_and_the_buyer_is_not_asked_for_it(client, desk_agent, shop, customer):
    case = lost_parcel_case(shop, customer, events=2)
    client.force_login(desk_agent)
    html = client.get(case_url(case)).content.decode()
    assert 'data-present="yes"' in checklist_item(html, EvidenceKind.TRACKING_TIMELINE)
    assert 'data-present="no"' in checklist_item(html, EvidenceKind.PROOF_OF_VALUE)

    client.post(case_url(case, "desk:case-request-evidence"))
    body = Message.objects.get(ticket=case, author=desk_agent).body
    assert f"- {EvidenceKind.PROOF_OF_VALUE.label}" in body and str(EvidenceKind.TRACKING_TIMELINE.label) not in body


def test_without_any_scan_the_tracking_timeline_is_still_missing_and_asked_for(client, desk_agent, shop, customer):
    case = lost_parcel_case(shop, customer, events=0)
    client.force_login(desk_agent)
    assert 'data-present="no"' in checklist_item(client.get(case_url(case)).content.decode(), EvidenceKind.TRACKING_TIMELINE)

    client.post(case_url(case, "desk:case-request-evidence"))
    assert f"- {EvidenceKind.TRACKING_TIMELINE.label}" in Message.objects.get(ticket=case, author=desk_agent).body


def test_the_history_says_why_the_sla_clock_paused_and_how_long(client, desk_agent, shop, customer):
    case = lost_parcel_case(shop, customer)
    client.force_login(desk_agent)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(case_url(case, "desk:case-status"), {"status": TicketStatus.WAITING_ON_CARRIER})
    with time_machine.travel(start + dt.timedelta(hours=2, minutes=5), tick=False):
        client.post(case_url(case, "desk:case-status"), {"status": TicketStatus.OPEN})
        html = client.get(case_url(case)).content.decode()
    resumed = TicketEvent.objects.get(ticket=case, kind=TicketEventKind.SLA_RESUMED)
    assert resumed.old_value == str(2 * 3600 + 5 * 60)  # the stored value stays machine-readable

    assert "SLA clock paused: Waiting on carrier" in html and "paused: waiting_on_carrier" not in html
    assert "SLA clock resumed: paused 2 h 05 min, " in html and " of business time not counted" in html


def test_the_history_names_the_sla_target_of_a_warning_a_breach_and_an_escalation(client, desk_agent, shop, customer):
    case = lost_parcel_case(shop, customer)
    for kind, target in [(TicketEventKind.SLA_WARNING, "first_response"), (TicketEventKind.SLA_BREACHED, "resolution"),
                         (TicketEventKind.SLA_ESCALATED, "resolution")]:
        TicketEvent.objects.create(ticket=case, kind=kind, new_value=target)  # as tickets.sla.alerts writes them
    client.force_login(desk_agent)
    html = client.get(case_url(case)).content.decode()
    assert "SLA about to run out: first response" in html
    assert "SLA breached: resolution" in html and "SLA breach escalated: resolution" in html
    assert "first_response" not in html
