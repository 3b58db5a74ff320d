"""The Russian and Chinese portal, as a browser shows it: no English left on the pages a buyer meets first."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from logistics.statuses import ParcelStatus
from tests.browser.conftest import DESKTOP, Session
from tests.factories import BuyerFactory, OrderFactory, ParcelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct-horse-battery-staple"
ENGLISH = ("Sign in", "My orders", "Password", "Open a case")


def english_left(page: Page) -> list[str]:
    # textContent, not innerText: hidden text (collapsed menus, visually-hidden labels, the title) is translated too.
    text = page.title() + "\n" + page.evaluate("document.body.textContent")
    return [phrase for phrase in ENGLISH if phrase in text]


@pytest.mark.parametrize("language", ["ru", "zh-hans"])
def test_it_leaves_no_english_on_sign_in_and_orders(open_session: Callable[..., Session], language: str) -> None:
    buyer = BuyerFactory(username=f"buyer-{language}", profile__language=language)
    buyer.set_password(PASSWORD)
    buyer.save(update_fields=["password"])
    order = OrderFactory(buyer=buyer)
    parcel = ParcelFactory(order=order, status=ParcelStatus.IN_TRANSIT)
    session = open_session(DESKTOP, f"language-{language}", cookies=[{"name": "django_language", "value": language}])
    page = session.page

    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    session.shot("sign-in")
    sign_in_left = english_left(page)
    page.locator("input[name=username]").fill(buyer.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("input[name=password]")).to_have_count(0)  # signed in, whatever the words

    page.goto("/orders/")
    expect(page.locator(f"a[href='/orders/{order.pk}/']")).to_be_visible()
    session.shot("orders")
    orders_left = english_left(page)
    page.goto(f"/orders/{order.pk}/")
    expect(page.locator(f"#parcel-{parcel.pk}")).to_be_visible()
    session.shot("order")
    order_left = english_left(page)

    assert (sign_in_left, orders_left, order_left) == ([], [], [])
    assert session.errors == []
