"""An agent's day on the desk, end to end in a real browser and through the UI only (issue 5's Playwright run):
sign in, open the lost-parcel queue, open the case from its row, take it, apply a macro (sent in the buyer's
Russian), file a claim, submit it without the missing evidence (with a reason), download the dossier ZIP.
The first half (queue → case → take) runs on a phone too: the queue must stay usable at 390 px."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from orders.models import ShopMembership
from tests.browser.conftest import DESKTOP, PHONE, Device, Session
from tests.factories import BuyerFactory, OrderFactory, ShopFactory, ShopMembershipFactory, TicketFactory, UserFactory
from tests.tickets.desk.case_helpers import lost_parcel_case, make_macro
from tickets.models import Claim, Message, Ticket, TicketKind, TicketStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct-horse-battery-staple"
RUSSIAN = "Здравствуйте, {buyer_name}! Мы начали розыск посылки {tracking_number} по заказу {order_number}."
CHINESE = "您好，{buyer_name}！我们已开始查找包裹 {tracking_number}。"
ENGLISH = "Hello {buyer_name}, we opened an investigation on {tracking_number}."
# The elements that reach past the screen's right edge, except inside a box that scrolls on its own (.table-responsive).
STICKING_OUT = """() => { const width = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.table-responsive > *') || el.getBoundingClientRect().right <= width + 0.5) continue;
    out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}`);
  }
  return out.slice(0, 10); }"""


@dataclass
class Day:
    agent: User
    lost: Ticket
    delay: Ticket


def agents_day() -> Day:
    """A shop with one agent, a Russian-speaking buyer with a lost parcel and a late one, and a trilingual macro."""
    shop = ShopFactory(name="Shenzhen Gadgets 深圳")
    agent = UserFactory(username="mei", first_name="Mei", last_name="Lin", is_staff=True)
    agent.set_password(PASSWORD)
    agent.save(update_fields=["password"])
    agent.groups.add(Group.objects.get(name="agents"))
    ShopMembershipFactory(shop=shop, user=agent, role=ShopMembership.Role.AGENT)
    buyer = BuyerFactory(username="olga", first_name="Ольга", email="olga@example.com", profile__language="ru")
    lost = lost_parcel_case(shop, buyer, messages=1, events=3)
    delay = TicketFactory(order=OrderFactory(shop=shop, buyer=buyer), kind=TicketKind.DELIVERY_DELAY, subject="Курьер опаздывает")
    make_macro(
        shop=shop, name="Розыск начат / investigation opened", set_status=TicketStatus.WAITING_ON_CARRIER,
        texts={"ru": RUSSIAN, "zh-hans": CHINESE, "en": ENGLISH},
    )
    return Day(agent=agent, lost=lost, delay=delay)


def nav_link(page: Page, name: str) -> None:
    """Click a link of the site's top bar, opening the collapsed menu first on a narrow screen."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    page.locator("#main-nav").get_by_role("link", name=name).click()


def assert_no_sideways_scroll(page: Page) -> None:
    """The page itself never scrolls sideways (wide tables scroll inside their own box)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen; sticking out: {page.evaluate(STICKING_OUT)}"


def queue_to_taken_case(session: Session, day: Day) -> None:
    """Sign in through the form, open the desk, the Lost view, the case from its row, and take it."""
    page = session.page
    page.goto("/")
    nav_link(page, "Sign in")
    page.get_by_label("Username").fill("mei")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    nav_link(page, "Agents' desk")
    expect(page.locator("#queue-table")).to_be_visible()
    session.shot("queue")

    page.locator("#saved-views a[data-view='lost']").click()
    expect(page.locator("#saved-views a[data-view='lost']")).to_have_attribute("aria-current", "page")
    expect(page).to_have_url(re.compile(r"[?&]view=lost\b"))
    row = page.locator(f"#queue-table tr[data-case='{day.lost.reference}']")
    expect(row).to_contain_text("Parcel never arrived")
    expect(page.locator(f"#queue-table tr[data-case='{day.delay.reference}']")).to_have_count(0)
    expect(page.locator("#queue-table tbody tr")).to_have_count(1)
    assert_no_sideways_scroll(page)
    session.shot("lost-view")

    row.get_by_role("link", name=day.lost.reference).click()
    expect(page.get_by_role("heading", name="Parcel never arrived")).to_be_visible()
    expect(page.locator("#case-assignee")).to_have_text("nobody")
    page.locator("#assign-to-me").click()
    expect(page.locator("#case-assignee")).to_have_text("mei")
    assert_no_sideways_scroll(page)
    session.shot("taken")


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=lambda device: device.name)
def test_an_agent_takes_a_case_from_the_lost_queue(open_session: Callable[..., Session], device: Device) -> None:
    day = agents_day()
    session = open_session(device, f"desk-day-{device.name}")
    queue_to_taken_case(session, day)

    day.lost.refresh_from_db()
    assert day.lost.assignee_id == day.agent.pk
    assert session.errors == []


def test_an_agents_day_from_the_lost_queue_to_the_claim_dossier(open_session: Callable[..., Session], tmp_path: Path) -> None:
    day = agents_day()
    session = open_session(DESKTOP, "desk-day-full")
    page = session.page
    queue_to_taken_case(session, day)

    page.locator("#macro-select").select_option(label="Розыск начат / investigation opened")
    expect(page.locator("#macro-preview-body")).to_contain_text("Мы начали розыск посылки")
    page.locator("#macro-apply").click()
    expect(page.get_by_role("alert").filter(has_text="applied")).to_be_visible()
    expect(page.locator("#case-status")).to_have_text("Waiting on carrier")
    order_number = day.lost.order.order_number
    sent = page.locator("article.message-public").last
    expect(sent).to_contain_text(f"Здравствуйте, Ольга! Мы начали розыск посылки {day.lost.parcel.tracking_number} по заказу {order_number}.")
    expect(page.locator("article.message-public").filter(has_text="我们已开始查找包裹")).to_have_count(0)
    session.shot("macro-applied")

    page.locator("#case-claims").get_by_role("link", name="File a claim").click()
    expect(page.get_by_role("heading", name="File a claim")).to_be_visible()
    page.get_by_label("Note for the liable party").fill("Посылка утеряна перевозчиком, 包裹丢失")
    session.shot("claim-form")
    page.get_by_role("button", name="File the claim as a draft").click()
    expect(page.get_by_text("Claim filed as a draft.")).to_be_visible()

    # The case holds the tracking timeline but no invoice or carrier statement: the agent says why it goes anyway.
    page.get_by_label("Submit without the missing evidence because…").fill("Покупатель прислал счёт по почте; акт перевозчик выдаст позже.")
    page.get_by_role("button", name="Submit to the liable party").click()
    expect(page.get_by_text("The claim is now Submitted.")).to_be_visible()
    session.shot("claim-submitted")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the dossier (ZIP)").click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)

    with zipfile.ZipFile(path) as archive:
        assert "summary.pdf" in archive.namelist()
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(archive.read("summary.pdf"))).pages)
    assert order_number in text and "Посылка утеряна перевозчиком" in text

    page.locator("#claim-case-link").click()  # back on the case, the claim is listed with its status
    expect(page.locator("#case-claims li")).to_have_count(1)
    expect(page.locator("#case-claims li")).to_contain_text("Submitted")
    session.shot("case-with-claim")

    claim = Claim.objects.get()
    assert claim.ticket_id == day.lost.pk and claim.status == Claim.Status.SUBMITTED
    assert claim.evidence_override_reason.startswith("Покупатель прислал счёт")
    assert Message.objects.filter(ticket=day.lost, author=day.agent, visibility=Message.Visibility.PUBLIC).count() == 1
    assert session.errors == []
