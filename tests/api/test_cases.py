from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import assert_problem, png_bytes
from tests.factories import TicketFactory
from tickets.models import Attachment, Ticket, TicketChannel, TicketEvent, TicketStatus

pytestmark = pytest.mark.django_db


def _case(**changes):
    body = {"kind": "delivery_delay", "subject": "Late parcel", "body": "It has not moved for a week."}
    body.update(changes)
    return body


def test_create_from_json_on_a_parcel(api, parcel, shop_owner):
    response = api.post("/api/v1/cases", _case(parcel=parcel.id))
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(id=response.json()["id"])
    assert (ticket.order, ticket.parcel, ticket.channel) == (parcel.order, parcel, TicketChannel.API)
    assert ticket.buyer == parcel.order.buyer
    assert TicketEvent.objects.get(ticket=ticket, kind="created").actor == shop_owner


def test_create_multipart_with_evidence_stores_the_files(api, order):
    data = _case(order=order.id, kind="damaged")
    data["package_photo"] = [SimpleUploadedFile("box.png", png_bytes("red")), SimpleUploadedFile("box2.png", png_bytes("blue"))]
    data["item_photo"] = SimpleUploadedFile("item.png", png_bytes("green"))
    response = api.multipart("/api/v1/cases", data)
    assert response.status_code == 201, response.content
    kinds = sorted(Attachment.objects.filter(ticket_id=response.json()["id"]).values_list("evidence_kind", flat=True))
    assert kinds == ["item_photo", "package_photo", "package_photo"]


def test_html_named_png_is_refused_and_nothing_is_created(api, order):
    data = _case(order=order.id)
    data["screenshot"] = SimpleUploadedFile("shot.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    problem = assert_problem(api.multipart("/api/v1/cases", data), 400)
    assert "shot.png" in problem["errors"]["screenshot"][0]
    assert not Ticket.objects.exists()


def test_too_many_files_is_refused(api, order, settings):
    settings.EVIDENCE_MAX_FILES_PER_MESSAGE = 1
    data = _case(order=order.id, screenshot=SimpleUploadedFile("a.png", png_bytes()), other=SimpleUploadedFile("b.png", png_bytes()))
    assert_problem(api.multipart("/api/v1/cases", data), 400)
    assert not Ticket.objects.exists()


def test_files_in_a_json_body_are_unknown(api, order):
    assert assert_problem(api.post("/api/v1/cases", _case(order=order.id, screenshot="x")), 400)["errors"] == {"screenshot": ["Unknown field."]}


def test_create_needs_an_order_or_parcel(api):
    assert "order" in assert_problem(api.post("/api/v1/cases", _case()), 400)["errors"]


def test_create_on_another_shops_order_is_refused(api, other_order):
    assert assert_problem(api.post("/api/v1/cases", _case(order=other_order.id)), 400)["errors"] == {"order": ["Not found."]}


def test_create_refuses_read_only_status(api, order):
    assert assert_problem(api.post("/api/v1/cases", _case(order=order.id, status="closed")), 400)["errors"] == {
        "status": ["This field is read-only."]
    }


def test_buyer_token_opens_the_case_as_the_buyer(buyer_api, order):
    response = buyer_api.post("/api/v1/cases", _case(order=order.id, priority="urgent"))
    ticket = Ticket.objects.get(id=response.json()["id"])
    assert TicketEvent.objects.get(ticket=ticket, kind="created").actor == order.buyer
    assert ticket.priority == "normal"  # buyers do not set priority


def test_list_retrieve_and_scope(api, case, other_case):
    assert [r["id"] for r in api.get("/api/v1/cases").json()["results"]] == [case.id]
    assert api.get(f"/api/v1/cases/{case.id}").json()["reference"] == case.reference
    assert_problem(api.get(f"/api/v1/cases/{other_case.id}"), 404)


def test_list_pages_cost_two_queries_at_any_depth_and_show_what_the_case_shows(api, order, django_assert_num_queries):
    TicketFactory.create_batch(5, order=order)
    api.get("/api/v1/cases")  # records last_used_at (at most once a minute)
    with django_assert_num_queries(2):  # the token (with shop, creator and their standing), the page with buyers
        first = api.get("/api/v1/cases", {"page_size": 2}).json()
    with django_assert_num_queries(2):  # only the columns shown are loaded, yet no row loads one more
        second = api.get(first["next"]).json()
    for row in first["results"] + second["results"]:
        assert row == api.get(f"/api/v1/cases/{row['id']}").json()
    for ordering in ("updated_at", "-created_at"):
        with django_assert_num_queries(2):
            assert len(api.get("/api/v1/cases", {"ordering": ordering, "page_size": 3}).json()["results"]) == 3


def test_list_filters(api, order, other_case):
    open_case = TicketFactory(order=order, status=TicketStatus.OPEN)
    TicketFactory(order=order, kind="damaged")
    assert [r["id"] for r in api.get("/api/v1/cases", {"status": "open"}).json()["results"]] == [open_case.id]
    assert len(api.get("/api/v1/cases", {"kind": "damaged"}).json()["results"]) == 1
    assert api.get("/api/v1/cases", {"order": other_case.order_id}).json()["results"] == []  # filters stay in the shop
    assert api.get("/api/v1/cases", {"reference": other_case.reference}).json()["results"] == []


def test_change_status_follows_the_workflow(api, case):
    response = api.post(f"/api/v1/cases/{case.id}/status", {"status": "open"})
    assert response.status_code == 200 and response.json()["status"] == "open"
    assert TicketEvent.objects.filter(ticket=case, kind="status_changed").count() == 1
    api.post(f"/api/v1/cases/{case.id}/status", {"status": "resolved"})
    problem = assert_problem(api.post(f"/api/v1/cases/{case.id}/status", {"status": "waiting_on_buyer"}), 400)
    assert "cannot go from" in problem["detail"]


def test_buyer_token_cannot_change_status(buyer_api, case):
    assert_problem(buyer_api.post(f"/api/v1/cases/{case.id}/status", {"status": "closed"}), 403)


def test_change_status_of_another_shops_case_is_404(api, other_case):
    assert_problem(api.post(f"/api/v1/cases/{other_case.id}/status", {"status": "open"}), 404)
