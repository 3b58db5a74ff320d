"""An agent in a real browser on the desk's case page: sign in, take a lost-parcel case, apply a macro, add a note."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from orders.models import ShopMembership
from tests.browser.conftest import DESKTOP, Session
from tests.factories import BuyerFactory, ShopFactory, ShopMembershipFactory, UserFactory
from tests.tickets.desk.case_helpers import lost_parcel_case, make_macro
from tickets.models import Message, Ticket, TicketStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct-horse-battery-staple"


def agent_and_case() -> tuple[object, Ticket]:
    shop = ShopFactory(name="Shenzhen Gadgets")
    agent = UserFactory(username="mei", first_name="Mei", last_name="Lin", is_staff=True)
    agent.set_password(PASSWORD)
    agent.save(update_fields=["password"])
    agent.groups.add(Group.objects.get(name="agents"))
    ShopMembershipFactory(shop=shop, user=agent, role=ShopMembership.Role.AGENT)
    buyer = BuyerFactory(username="olga", first_name="Olga", email="olga@example.com", profile__language="ru")
    ticket = lost_parcel_case(shop, buyer, messages=1, events=3)
    make_macro(
        shop=shop, name="Investigation opened", set_status=TicketStatus.WAITING_ON_CARRIER,
        texts={"en": "Hello {buyer_name}, we opened an investigation.", "ru": "Здравствуйте, {buyer_name}! Мы начали расследование по {tracking_number}."},
    )
    return agent, ticket


def test_an_agent_takes_a_lost_parcel_case_applies_a_macro_and_adds_a_note(open_session: Callable[..., Session]) -> None:
    agent, ticket = agent_and_case()
    session = open_session(DESKTOP, "desk-case")
    page = session.page

    page.goto(f"/desk/cases/{ticket.pk}/")  # anonymous: sent to sign in, then back here
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill("mei")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Parcel never arrived")).to_be_visible()
    expect(page.locator("#evidence-checklist")).to_contain_text("missing")
    expect(page.locator(f"#parcel-{ticket.parcel_id} .parcel-timeline li").first).to_have_attribute("title", "Carrier code: RC02 · Scan 2 of parcel 0")
    session.shot("opened")

    page.locator("#assign-to-me").click()
    expect(page.locator("#case-assignee")).to_have_text("mei")
    session.shot("assigned")

    page.locator("#macro-select").select_option(label="Investigation opened")
    expect(page.locator("#macro-preview-body")).to_contain_text("Мы начали расследование по")  # the buyer's language
    session.shot("macro-preview")
    page.locator("#macro-apply").click()
    expect(page.get_by_role("alert").filter(has_text="applied")).to_be_visible()
    expect(page.locator("#case-status")).to_have_text("Waiting on carrier")
    expect(page.locator("article.message-public").last).to_contain_text("Здравствуйте, Olga!")
    session.shot("macro-applied")

    page.get_by_role("radio", name="Internal note").check()
    page.locator("#reply-form").get_by_label("Message").fill("Asked CDEK for a loss certificate; chase on Friday.")
    page.locator("#reply-submit").click()
    expect(page.get_by_role("alert").filter(has_text="Internal note added.")).to_be_visible()
    note = page.locator("article.message-internal").last
    expect(note).to_contain_text("chase on Friday")
    expect(note).to_contain_text("Internal note · agents only")
    session.shot("note-added")

    ticket.refresh_from_db()
    assert ticket.assignee_id == agent.pk and ticket.status == TicketStatus.WAITING_ON_CARRIER
    assert Message.objects.filter(ticket=ticket, author=agent, visibility=Message.Visibility.INTERNAL).count() == 1
    assert Message.objects.filter(ticket=ticket, author=agent, visibility=Message.Visibility.PUBLIC).count() == 1
    assert session.errors == []
