"""The agents' queue at /desk/: saved views and their counts, filters, search, sorting, pages, htmx partials."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from logistics.models import TrackingNumberChange
from logistics.statuses import ParcelStatus
from orders.models import ShopMembership
from tests.factories import (
    BuyerFactory,
    CarrierFactory,
    OrderFactory,
    ParcelFactory,
    ShopMembershipFactory,
    SlaPolicyFactory,
    TicketFactory,
    UserFactory,
)
from tickets.desk.queue_selectors import SavedView
from tickets.models import Ticket, TicketKind, TicketPriority, TicketStatus

QUEUE = "/desk/"
ROW = re.compile(r'data-case="([^"]+)"')


def case(shop, **fields) -> Ticket:
    """A case of `shop` with its own order and parcel."""
    order = OrderFactory(shop=shop, buyer=fields.pop("buyer", None) or BuyerFactory())
    parcel = ParcelFactory(order=order, **fields.pop("parcel", {}))
    return TicketFactory(order=order, parcel=parcel, **fields)


def listed(client, query: str = "", **headers) -> list[str]:
    response = client.get(f"{QUEUE}?{query}", headers=headers)
    assert response.status_code == 200
    return ROW.findall(response.content.decode())


@pytest.fixture
def desk(client, desk_agent):
    client.force_login(desk_agent)
    return client


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def world(shop, other_shop, desk_agent, now):
    """One case per saved view (and some that belong to none), plus the other shop's case the agent must never see."""
    colleague = ShopMembershipFactory(shop=shop, user=UserFactory(username="colleague", is_staff=True)).user
    far = {"first_response_due": now + dt.timedelta(hours=20), "resolution_due": now + dt.timedelta(hours=70)}
    cases = {
        "mine": case(shop, assignee=desk_agent, kind=TicketKind.DAMAGED, status=TicketStatus.OPEN, **far),
        "colleague": case(shop, assignee=colleague, kind=TicketKind.LOST_PARCEL, status=TicketStatus.OPEN, **far),
        "unassigned": case(shop, kind=TicketKind.RETURN_EXCHANGE, **far),
        # past their targets' warning times (the SLA policy's "warn before"), not yet due
        "reply_soon": case(shop, assignee=colleague, kind=TicketKind.ADDRESS_CHANGE, first_response_due=now + dt.timedelta(hours=2),
                           first_response_warn_at=now - dt.timedelta(minutes=5), resolution_due=now + dt.timedelta(hours=50)),
        "resolve_soon": case(shop, assignee=colleague, kind=TicketKind.TRACKING_NUMBER, status=TicketStatus.OPEN,
                             first_responded_at=now - dt.timedelta(hours=1), first_response_due=now - dt.timedelta(hours=30),
                             resolution_due=now + dt.timedelta(hours=3), resolution_warn_at=now - dt.timedelta(hours=1)),
        # due in three hours, but its warning time (an hour before) has not come
        "not_yet": case(shop, assignee=colleague, kind=TicketKind.OTHER, status=TicketStatus.OPEN,
                        first_response_due=now + dt.timedelta(hours=3), first_response_warn_at=now + dt.timedelta(hours=2),
                        resolution_due=now + dt.timedelta(hours=40)),
        "carrier": case(shop, assignee=colleague, kind=TicketKind.DELIVERY_DELAY, status=TicketStatus.WAITING_ON_CARRIER, **far),
        # due in an hour, but its clock is paused while the buyer answers: not "breaching soon"
        "paused": case(shop, assignee=colleague, kind=TicketKind.PRODUCT_QUESTION, status=TicketStatus.WAITING_ON_BUYER,
                       first_responded_at=now - dt.timedelta(hours=2), first_response_due=now - dt.timedelta(hours=1),
                       resolution_due=now + dt.timedelta(hours=1), resolution_warn_at=now - dt.timedelta(minutes=10),
                       sla_paused_at=now - dt.timedelta(minutes=30)),
        "breached": case(shop, assignee=colleague, kind=TicketKind.OTHER, first_response_due=now - dt.timedelta(hours=1),
                         first_response_warn_at=now - dt.timedelta(hours=2), resolution_due=now + dt.timedelta(hours=40)),
        "closed": case(shop, assignee=desk_agent, kind=TicketKind.LOST_PARCEL, status=TicketStatus.CLOSED,
                       first_response_due=now + dt.timedelta(hours=1), resolution_due=now + dt.timedelta(hours=2)),
    }
    case(other_shop, kind=TicketKind.LOST_PARCEL, first_response_due=now + dt.timedelta(hours=1))  # never shown
    return {name: ticket.reference for name, ticket in cases.items()}


EXPECTED = {
    SavedView.OPEN: {"mine", "colleague", "unassigned", "reply_soon", "resolve_soon", "not_yet", "carrier", "breached", "paused"},
    SavedView.MINE: {"mine"},
    SavedView.UNASSIGNED: {"unassigned"},
    SavedView.BREACHING: {"reply_soon", "resolve_soon"},
    SavedView.WAITING_ON_CARRIER: {"carrier"},
    SavedView.LOST: {"colleague"},
    SavedView.DELAY: {"carrier"},
    SavedView.DAMAGE: {"mine"},
    SavedView.RETURN: {"unassigned"},
    SavedView.ADDRESS: {"reply_soon"},
    SavedView.TRACKING: {"resolve_soon"},
    SavedView.ALL: {"mine", "colleague", "unassigned", "reply_soon", "resolve_soon", "not_yet", "carrier", "breached", "closed", "paused"},
}


def test_every_saved_view_has_an_expectation():
    assert set(EXPECTED) == set(SavedView)


@pytest.mark.parametrize("view", list(SavedView))
def test_each_saved_view_lists_exactly_its_cases(desk, world, view):
    assert set(listed(desk, f"view={view.value}")) == {world[name] for name in EXPECTED[view]}


def test_the_default_view_is_all_open_cases(desk, world):
    assert set(listed(desk)) == {world[name] for name in EXPECTED[SavedView.OPEN]}


def test_the_saved_views_show_their_counts(desk, world):
    html = desk.get(QUEUE).content.decode()
    counts = dict(re.findall(r'data-view="(\w+)"[^>]*>\s*<span>[^<]*</span><span[^>]*data-count="(\d+)"', html))
    expected = {view.value: str(len(names)) for view, names in EXPECTED.items() if view != SavedView.ALL}
    assert counts == expected


def test_an_unknown_view_is_a_form_error_not_a_500(desk, world):
    response = desk.get(f"{QUEUE}?view=nonsense&sort=sideways&per_page=7")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="queue-errors"' in html
    assert html.count("Select a valid choice") == 3


# --- filters ---


@pytest.fixture
def varied(shop, other_shop, desk_agent, now):
    """Cases that differ in one filterable field each, all open, in two shops the agent serves."""
    ShopMembershipFactory(shop=other_shop, user=desk_agent)
    cdek, post = CarrierFactory(code="cdek", name="CDEK"), CarrierFactory(code="post", name="Russian Post")
    base = {"parcel": {"carrier": cdek, "status": ParcelStatus.IN_TRANSIT}}
    return {
        "plain": case(shop, **base),
        "other_shop": case(other_shop, **base),
        "lost": case(shop, kind=TicketKind.LOST_PARCEL, **base),
        "waiting": case(shop, status=TicketStatus.WAITING_ON_BUYER, **base),
        "urgent": case(shop, priority=TicketPriority.URGENT, **base),
        "post": case(shop, parcel={"carrier": post, "status": ParcelStatus.IN_TRANSIT}),
        "customs": case(shop, parcel={"carrier": cdek, "status": ParcelStatus.CUSTOMS}),
        "assigned": case(shop, assignee=desk_agent, **base),
        "old": case(shop, created_at=now - dt.timedelta(days=40), **base),
        "due_later": case(shop, first_response_due=now + dt.timedelta(days=9), resolution_due=now + dt.timedelta(days=10), **base),
    }


def _filters(varied, desk_agent, now):
    today, in_a_week = now.date(), (now + dt.timedelta(days=7)).date()
    return {
        "shop": (f"shop={varied['other_shop'].shop_id}", {"other_shop"}),
        "kind": ("kind=lost_parcel", {"lost"}),
        "status": ("status=waiting_on_buyer", {"waiting"}),
        "priority": ("priority=urgent", {"urgent"}),
        "carrier": (f"carrier={varied['post'].parcel.carrier_id}", {"post"}),
        "parcel_status": ("parcel_status=customs", {"customs"}),
        "assignee": (f"assignee={desk_agent.pk}", {"assigned"}),
        "unassigned": ("assignee=null", set(varied) - {"assigned"}),
        "created": (f"created_before={(now - dt.timedelta(days=30)).date()}", {"old"}),
        "created_range": (f"created_after={today}&created_before={today}", set(varied) - {"old"}),
        "sla_due": (f"sla_due_after={in_a_week}", {"due_later"}),
        "sla_due_range": (f"sla_due_after={today}&sla_due_before={in_a_week}", set(varied) - {"due_later"}),
    }


@pytest.mark.parametrize(
    "name", ["shop", "kind", "status", "priority", "carrier", "parcel_status", "assignee", "unassigned", "created",
             "created_range", "sla_due", "sla_due_range"],
)
def test_each_filter_narrows_the_queue(desk, varied, desk_agent, now, name):
    query, expected = _filters(varied, desk_agent, now)[name]
    assert set(listed(desk, query)) == {varied[key].reference for key in expected}


@pytest.mark.parametrize(
    "query",
    ["kind=bogus", "status=sleeping", "priority=9", "parcel_status=teleported", "carrier=999999", "assignee=999999",
     "assignee=abc", "created_after=yesterday", "sla_due_before=2026-13-45", "shop=999999"],
)
def test_unknown_filter_values_are_form_errors_and_list_nothing(desk, varied, query):
    response = desk.get(f"{QUEUE}?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="queue-errors"' in html
    assert ROW.findall(html) == []


def test_the_shop_filter_offers_only_shops_the_agent_serves(desk, shop, other_shop, varied):
    third = OrderFactory().shop  # a shop the agent does not serve
    html = desk.get(QUEUE).content.decode()
    assert f'<option value="{shop.pk}"' in html and f'<option value="{other_shop.pk}"' in html
    assert f'<option value="{third.pk}"' not in html
    assert "Select a valid choice" in desk.get(f"{QUEUE}?shop={third.pk}").content.decode()


# --- search ---


@pytest.fixture
def findable(shop):
    buyer = BuyerFactory(email="Anna.Ivanova@example.ru")
    buyer.buyer_profile.phone = "+7 912 345-67-89"
    buyer.buyer_profile.save(update_fields=["phone"])
    target = case(shop, buyer=buyer, parcel={"tracking_number": "RB123456785GB"})
    target.order.order_number, target.order.posting_number = "57195475-0050", "57195475-0050-3"
    target.order.save(update_fields=["order_number", "posting_number"])
    TrackingNumberChange.objects.create(
        parcel=target.parcel, old_carrier=target.parcel.carrier, old_number="CD0000000001", new_carrier=target.parcel.carrier,
        new_number="RB123456785GB", reason="label reprinted",
    )
    decoy = case(shop)
    return target, decoy


@pytest.mark.parametrize(
    "term",
    ["reference", "57195475-0050", "57195475-0050-3", "RB123456785GB", "rb123456785gb", "CD0000000001",
     "anna.ivanova@example.ru", "+7 912 345-67-89"],
)
def test_search_finds_the_case_by_each_kind_of_number(desk, findable, term):
    target, _decoy = findable
    query = target.reference if term == "reference" else term
    assert listed(desk, f"view=all&q={query}".replace("+", "%2B")) == [target.reference]


def test_search_finds_a_case_whose_parcel_is_only_on_its_order(desk, shop):
    order = OrderFactory(shop=shop)
    ParcelFactory(order=order, tracking_number="CDEK12345678")
    ticket = TicketFactory(order=order, parcel=None)
    assert listed(desk, "q=CDEK12345678") == [ticket.reference]


def test_search_combines_with_the_view_and_filters(desk, findable):
    target, _decoy = findable
    assert listed(desk, f"q={target.reference}&kind=lost_parcel") == []
    assert listed(desk, f"q={target.reference}&view=mine") == []


def test_search_for_nothing_known_lists_nothing(desk, findable):
    assert listed(desk, "view=all&q=no-such-thing") == []


# --- sorting and pages ---


@pytest.fixture
def timeline(shop, now):
    """Three open cases whose SLA due, creation and priority orders all differ, and a settled one."""
    return {
        "a": case(shop, first_response_due=now + dt.timedelta(hours=5), resolution_due=now + dt.timedelta(hours=60),
                  created_at=now - dt.timedelta(hours=3), priority=TicketPriority.LOW),
        # answered already: only its resolution (in 2 h) is due, although its first-response time is the earliest
        "b": case(shop, first_response_due=now - dt.timedelta(hours=10), first_responded_at=now - dt.timedelta(hours=11),
                  resolution_due=now + dt.timedelta(hours=2), created_at=now - dt.timedelta(hours=1)),
        "c": case(shop, first_response_due=now + dt.timedelta(hours=30), resolution_due=now + dt.timedelta(hours=90),
                  created_at=now - dt.timedelta(hours=2), priority=TicketPriority.URGENT),
        "settled": case(shop, status=TicketStatus.RESOLVED, first_response_due=now - dt.timedelta(hours=50),
                        resolution_due=now - dt.timedelta(hours=40), created_at=now - dt.timedelta(hours=4)),
    }


def _order(timeline, listed_refs):
    names = {ticket.reference: name for name, ticket in timeline.items()}
    return [names[ref] for ref in listed_refs]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("sla", ["b", "a", "c"]), ("", ["b", "a", "c"]), ("-created", ["b", "c", "a"]), ("created", ["a", "c", "b"]),
     ("priority", ["c", "b", "a"])],
)
def test_the_queue_sorts(desk, timeline, sort, expected):
    assert _order(timeline, listed(desk, f"sort={sort}")) == expected


def test_settled_cases_sort_after_every_open_one_by_sla(desk, timeline):
    assert _order(timeline, listed(desk, "view=all&sort=sla")) == ["b", "a", "c", "settled"]


def test_recently_updated_first(desk, timeline):
    Ticket.objects.filter(id=timeline["a"].id).update(updated_at=timezone.now() + dt.timedelta(minutes=5))
    assert _order(timeline, listed(desk, "sort=-updated"))[0] == "a"


def test_pages_of_25_50_and_100(desk, shop):
    for _ in range(60):
        case(shop)
    assert len(listed(desk)) == 50  # the default
    assert len(listed(desk, "per_page=25")) == 25
    assert len(listed(desk, "per_page=100")) == 60
    first, third = listed(desk, "per_page=25&page=1"), listed(desk, "per_page=25&page=3")
    assert len(third) == 10 and not set(first) & set(third)
    assert listed(desk, "per_page=25&page=999") == third  # past the end: the last page, not an error
    html = desk.get(f"{QUEUE}?per_page=25&page=2").content.decode()
    assert "2 of 3" in html and "page=3" in html and "page=1" in html


# --- htmx ---


def test_htmx_requests_get_only_the_queue_partial(desk, world):
    full = desk.get(f"{QUEUE}?view=mine")
    partial = desk.get(f"{QUEUE}?view=mine", headers={"HX-Request": "true"})
    assert "<html" in full.content.decode() and 'id="queue"' in full.content.decode()
    body = partial.content.decode()
    assert "<html" not in body and 'id="saved-views"' in body
    assert ROW.findall(body) == [world["mine"]]
    assert "HX-Request" in partial["Vary"]


def test_a_history_restore_gets_the_whole_page(desk, world):
    response = desk.get(QUEUE, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_links_and_the_filter_form_update_the_queue_in_place_and_work_without_javascript(desk, world):
    html = desk.get(f"{QUEUE}?view=lost").content.decode()
    assert 'href="?view=mine" hx-get="?view=mine" hx-target="#queue" hx-push-url="true"' in html
    assert re.search(r'<form method="get" action="/desk/" id="queue-filters"[^>]*hx-get="/desk/" hx-target="#queue" hx-push-url="true"', html)
    assert '<input type="hidden" name="view" value="lost">' in html


def test_rows_show_the_order_parcel_assignee_and_sla(desk, shop, desk_agent, now):
    desk_agent.first_name = "Anna"
    desk_agent.save(update_fields=["first_name"])
    ticket = case(shop, assignee=desk_agent, first_response_due=now + dt.timedelta(hours=1), first_response_warn_at=now,
                  parcel={"carrier": CarrierFactory(code="cdek", name="CDEK"), "status": ParcelStatus.CUSTOMS})
    html = desk.get(QUEUE).content.decode()
    row = html[html.index(f'data-case="{ticket.reference}"'):]
    row = row[: row.index("</tr>")]
    for text in (ticket.order.order_number, ticket.order.posting_number, "CDEK · At customs", ticket.parcel.tracking_number,
                 "Anna", shop.name, 'data-sla="due_soon"', f'href="/desk/cases/{ticket.id}/"', "Delivery delay", "New"):
        assert text in row
    assert ShopMembership.objects.filter(user=desk_agent).count() == 1


def test_rows_escape_what_buyers_and_carriers_wrote(desk, shop):
    buyer = BuyerFactory(first_name='<img src=x onerror="alert(1)">', last_name="")
    ticket = case(shop, buyer=buyer, subject="<script>alert('subject')</script>", parcel={"tracking_number": "<b>RA1</b>"})
    html = desk.get(QUEUE).content.decode()
    row = html[html.index(f'data-case="{ticket.reference}"'):]
    row = row[: row.index("</tr>")]
    assert "<script>" not in row and "<img" not in row and "<b>" not in row
    assert "&lt;script&gt;alert(&#x27;subject&#x27;)&lt;/script&gt;" in row
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in row and "&lt;b&gt;RA1&lt;/b&gt;" in row


def test_an_unassigned_row_and_a_case_without_a_parcel_say_so(desk, shop):
    ticket = TicketFactory(order=OrderFactory(shop=shop), parcel=None, assignee=None)
    html = desk.get(QUEUE).content.decode()
    row = html[html.index(f'data-case="{ticket.reference}"'):]
    row = row[: row.index("</tr>")]
    assert '<span class="text-body-secondary">Unassigned</span>' in row
    assert '<td class="text-nowrap">—</td>' in row


def test_the_filter_selects_keep_the_chosen_values(desk, varied, desk_agent):
    html = desk.get(f"{QUEUE}?kind=damaged&assignee={desk_agent.id}&sort=priority&per_page=25").content.decode()
    for name, value in (("kind", "damaged"), ("assignee", str(desk_agent.id)), ("sort", "priority"), ("per_page", "25")):
        select = html[html.index(f'<select name="{name}"'):]
        select = select[: select.index("</select>")]
        assert re.findall(r'<option value="([^"]*)" selected>', select) == [value]


def test_a_huge_view_pages_through_the_first_cases_and_says_there_are_more(desk, shop, monkeypatch):
    monkeypatch.setattr("tickets.desk.queues.COUNT_CAP", 30)
    for _ in range(35):
        case(shop)
    html = desk.get(f"{QUEUE}?per_page=25&page=9").content.decode()
    assert "26–30 of 30+" in html and "2 of 2" in html
    assert len(ROW.findall(html)) == 5
    exact = desk.get(f"{QUEUE}?per_page=25&kind=damaged").content.decode()
    assert "+" not in exact[exact.index('id="queue-total"'):exact.index("</span>", exact.index('id="queue-total"'))]


def test_the_queue_fits_narrow_screens_dates_shrink_and_the_table_scrolls_in_its_own_box(desk):
    # Two native date pickers side by side in a plain flex box would not shrink and pushed the page 6 px past a
    # 1280 px screen (tests/browser/test_desk_agent_day.py measures it); Bootstrap's input-group lets them shrink.
    html = desk.get(QUEUE).content.decode()
    for name in ("created", "sla_due"):
        assert re.search(rf'<div class="input-group input-group-sm flex-nowrap"><input type="date" name="{name}_after"', html), name
    assert re.search(r'<div class="table-responsive">\s*<table[^>]*id="queue-table"', html)


def test_breaching_soon_starts_when_the_policy_warns(desk, shop, desk_agent):
    """The queue's "due soon" is the SLA policy's warning time: the same moment the warning notification goes out."""
    import time_machine

    from tickets.services import ticket_create
    from tickets.tasks import tickets_warn_sla_task

    SlaPolicyFactory(shop=shop, first_response_minutes=120, resolution_minutes=2400, warn_before_minutes=30)
    order = OrderFactory(shop=shop)
    ticket = ticket_create(shop=shop, buyer=order.buyer, order=order, kind=TicketKind.LOST_PARCEL, subject="Where is it?", body="…")
    warn_at = ticket.first_response_warn_at
    assert warn_at is not None and warn_at < ticket.first_response_due
    with time_machine.travel(warn_at - dt.timedelta(minutes=1), tick=False):
        assert ticket.reference not in listed(desk, "view=breaching")
        assert tickets_warn_sla_task() == 0
    with time_machine.travel(warn_at + dt.timedelta(minutes=1), tick=False):
        assert listed(desk, "view=breaching") == [ticket.reference]
        html = desk.get(f"{QUEUE}?view=breaching").content.decode()
        assert 'data-sla="due_soon"' in html and 'data-view="breaching"' in html
        assert tickets_warn_sla_task() >= 1
    assert ticket.events.filter(kind="sla_warning").count() == 1
