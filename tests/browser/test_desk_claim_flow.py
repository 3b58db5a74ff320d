"""An agent, in a real browser: file a claim from a lost-parcel case, submit it, download its dossier."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import DESKTOP
from tests.factories import ShopFactory
from tests.tickets.claims_world import make_desk_agent, make_world
from tickets.models import Claim

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct-horse-battery-staple"


def desk_agent_with_password() -> User:
    agent = make_desk_agent(ShopFactory(name="Shenzhen Gadgets"), "lena")
    agent.set_password(PASSWORD)
    agent.save(update_fields=["password"])
    return agent


def test_agent_files_submits_and_downloads_the_dossier(open_session, tmp_path):
    agent = desk_agent_with_password()
    world = make_world(agent.shops.get(), agent)
    session = open_session(DESKTOP, "desk-claim")
    page = session.page

    page.goto(f"/desk/claims/new/{world.ticket.pk}/")
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="File a claim")).to_be_visible()
    expect(page.get_by_label("Amount")).to_have_value("4500.00")  # the order's declared value
    page.get_by_label("Note for the liable party").fill("Посылка утеряна, 包裹丢失")
    session.shot("new-claim")
    page.get_by_role("button", name="File the claim as a draft").click()

    expect(page.locator("#claim-checklist li[data-present='1']")).to_have_count(3)
    session.shot("draft")
    page.get_by_role("button", name="Submit to the liable party").click()
    expect(page.get_by_text("The claim is now Submitted.")).to_be_visible()
    expect(page.get_by_role("button", name="Mark under review")).to_be_visible()
    session.shot("submitted")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the dossier (ZIP)").click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)

    claim = Claim.objects.get()
    assert claim.status == Claim.Status.SUBMITTED and path.name == f"claim-{claim.pk}-{world.ticket.reference}-dossier.zip"
    with zipfile.ZipFile(path) as archive:
        assert {"summary.pdf", "timeline.csv"} <= set(archive.namelist())
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(archive.read("summary.pdf"))).pages)
    assert world.order.order_number in text and "Посылка утеряна, 包裹丢失" in text
    assert session.errors == []
