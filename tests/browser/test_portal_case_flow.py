"""A buyer, in a real browser on a desktop and on a phone: sign in, open a damaged-goods case with two photos, reply."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from PIL import Image, ImageDraw
from playwright.sync_api import Locator, expect

from logistics.statuses import ParcelStatus
from orders.models import Order
from tests.browser.conftest import DESKTOP, PHONE, Device, Session
from tests.factories import BuyerFactory, OrderFactory, OrderLineFactory, ParcelFactory, ShopFactory, TrackingEventFactory
from tickets.models import Attachment, EvidenceKind, Message, Ticket, TicketKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct-horse-battery-staple"
SUBJECT = "Mug arrived in pieces"


def photo(path: Path, colour: str) -> Path:
    """A small real JPEG: a coloured box on a grey background, as a phone would send it."""
    image = Image.new("RGB", (640, 480), "#d0d0d0")
    ImageDraw.Draw(image).rectangle((160, 120, 480, 360), fill=colour, outline="black", width=6)
    image.save(path, "JPEG", quality=85)
    return path


def buyer_with_parcel() -> tuple[User, Order]:
    buyer = BuyerFactory(username="olga", first_name="Olga", profile__language="en")
    buyer.set_password(PASSWORD)
    buyer.save(update_fields=["password"])
    order = OrderFactory(buyer=buyer, shop=ShopFactory(name="Shenzhen Gadgets"))
    OrderLineFactory(order=order, name="Ceramic mug")
    parcel = ParcelFactory(order=order, status=ParcelStatus.DELIVERED)
    TrackingEventFactory(parcel=parcel, status=ParcelStatus.DELIVERED, location="Moscow", raw_description="Delivered")
    return buyer, order


def press(session: Session, target: Locator) -> None:
    """Tap on the phone, click on the desktop."""
    if session.device.is_mobile:
        target.tap()
    else:
        target.click()


def go_to(session: Session, link_name: str) -> None:
    """Follow a link of the top navigation; on a phone it sits behind the menu button."""
    page = session.page
    if session.device.is_mobile:
        press(session, page.get_by_role("button", name="Toggle navigation"))
        expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))  # Bootstrap's collapse animation is over
        session.shot("menu-open")
    press(session, page.locator("#main-nav").get_by_role("link", name=link_name, exact=True))


def sign_in(session: Session, username: str) -> None:
    page = session.page
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    session.shot("sign-in")
    press(session, page.locator("main").get_by_role("button", name="Sign in"))
    expect(page.get_by_role("heading", name="Hello, Olga")).to_be_visible()
    session.shot("signed-in")


def open_damaged_case(session: Session, order: Order, photos: tuple[Path, Path]) -> None:
    page = session.page
    go_to(session, "My orders")
    expect(page.get_by_role("heading", name="My orders")).to_be_visible()
    session.shot("orders")
    press(session, page.get_by_role("link", name=re.compile(re.escape(order.posting_number))))
    expect(page.get_by_role("heading", name=f"Posting {order.posting_number}")).to_be_visible()
    session.shot("order")
    parcel = order.parcels.get()
    press(session, page.locator(f"#parcel-{parcel.pk}").get_by_role("link", name="Open a case about this parcel"))
    expect(page.get_by_role("heading", name="What went wrong?")).to_be_visible()
    session.shot("choose-kind")
    press(session, page.locator("#case-kinds").get_by_role("link", name=re.compile(r"^Damaged goods")))
    expect(page.get_by_role("heading", name="Damaged goods")).to_be_visible()
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Your message").fill("The box was crushed and the mug is broken in three pieces.")
    page.locator("input[name=package_photos]").set_input_files(photos[0])
    page.locator("input[name=item_photos]").set_input_files(photos[1])
    session.shot("case-form")
    press(session, page.get_by_role("button", name="Open the case"))
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("is open")
    expect(page.locator("#evidence-checklist")).not_to_contain_text("missing")
    session.shot("case-opened")


def reply_from_my_cases(session: Session, ticket: Ticket, text: str) -> None:
    page = session.page
    go_to(session, "My cases")
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=ticket.reference)
    expect(row).to_contain_text(SUBJECT)
    expect(row).to_contain_text("Damaged goods")
    session.shot("my-cases")
    press(session, row.get_by_role("link", name=ticket.reference))
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    page.get_by_label("Your reply").fill(text)
    press(session, page.get_by_role("button", name="Send"))
    expect(page.get_by_role("alert")).to_contain_text("Your reply was sent.")
    last = page.locator("article").last
    expect(last).to_contain_text(text)
    expect(last).to_contain_text("You")
    session.shot("replied")


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=lambda device: device.name)
def test_it_opens_a_damaged_goods_case_with_photos_and_replies(
    open_session: Callable[..., Session], device: Device, tmp_path: Path
) -> None:
    buyer, order = buyer_with_parcel()
    photos = (photo(tmp_path / "package.jpg", "#a0522d"), photo(tmp_path / "item.jpg", "#4682b4"))
    session = open_session(device, f"case-flow-{device.name}")

    sign_in(session, buyer.username)
    open_damaged_case(session, order, photos)
    ticket = Ticket.objects.get(buyer=buyer)
    reply_from_my_cases(session, ticket, "Here is the order number from the box: it matches.")

    assert ticket.kind == TicketKind.DAMAGED and ticket.parcel == order.parcels.get()
    kinds = sorted(Attachment.objects.filter(ticket=ticket).values_list("evidence_kind", "original_name"))
    assert kinds == sorted([(EvidenceKind.PACKAGE_PHOTO, "package.jpg"), (EvidenceKind.ITEM_PHOTO, "item.jpg")])
    assert Message.objects.filter(ticket=ticket, author=buyer).count() == 2
    assert session.errors == []
