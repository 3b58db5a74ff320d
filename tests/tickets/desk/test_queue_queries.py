"""The queue page costs the same number of queries for 25, 50 and 100 rows (DESIGN §8, P3)."""

from __future__ import annotations

import re

import pytest

from tests.factories import (
    BuyerFactory,
    CarrierFactory,
    OrderFactory,
    ParcelFactory,
    ShopMembershipFactory,
    TicketFactory,
    UserFactory,
)

# session, user, the user's desk groups (read once for the guard and the navigation); the choices of the shop, carrier
# and assignee filters; the page's ids, then its rows by id (with buyer, order, parcel, carrier joined), their shops
# and assignees; the saved views' counts in one aggregate (which is also the unfiltered view's total); the agents
# and macros of the bulk form; unread notifications
QUEUE_PAGE_QUERIES = 15
# A search or filter, and the "all cases" view (no tab count: it holds every settled case), count their own total.
COUNTED_PAGE_QUERIES = QUEUE_PAGE_QUERIES + 1
TOTAL = re.compile(r'id="queue-total">([^<]*)</span>')  # includes the agent's availability toggle


@pytest.fixture
def busy_queue(shop, other_shop, desk_agent):
    """110 open cases across two shops, each with its own buyer, order, parcel, one of three carriers and agents."""
    ShopMembershipFactory(shop=other_shop, user=desk_agent)
    carriers = [CarrierFactory(code=f"carrier-{n}") for n in range(3)]
    agents = [ShopMembershipFactory(shop=shop, user=UserFactory(username=f"agent-{n}", is_staff=True)).user for n in range(4)]
    tickets = []
    for n in range(110):
        order = OrderFactory(shop=(shop, other_shop)[n % 2], buyer=BuyerFactory())
        parcel = ParcelFactory(order=order, carrier=carriers[n % 3])
        tickets.append(TicketFactory(order=order, parcel=parcel, assignee=(agents + [None])[n % 5]))
    return tickets


@pytest.mark.parametrize("per_page", [25, 50, 100])
def test_the_queue_page_costs_the_same_queries_for_any_page_size(client, desk_agent, busy_queue, per_page, django_assert_num_queries):
    client.force_login(desk_agent)
    with django_assert_num_queries(QUEUE_PAGE_QUERIES):
        response = client.get(f"/desk/?per_page={per_page}")
    assert response.content.decode().count('name="ids"') == per_page


@pytest.mark.parametrize("view", ["mine", "unassigned", "breaching", "lost", "all"])
def test_saved_views_cost_no_more_than_the_default(client, desk_agent, busy_queue, view, django_assert_max_num_queries):
    client.force_login(desk_agent)
    with django_assert_max_num_queries(COUNTED_PAGE_QUERIES if view == "all" else QUEUE_PAGE_QUERIES):
        assert client.get(f"/desk/?view={view}&per_page=100").status_code == 200


def test_a_filter_counts_its_own_total(client, desk_agent, busy_queue, django_assert_num_queries):
    client.force_login(desk_agent)
    carrier = busy_queue[0].parcel.carrier_id
    with django_assert_num_queries(COUNTED_PAGE_QUERIES + 1):  # and the carrier filter's check of the chosen carrier
        response = client.get(f"/desk/?view=open&carrier={carrier}&per_page=100")
    html = response.content.decode()
    shown = html.count('name="ids"')
    assert shown == sum(1 for ticket in busy_queue if ticket.parcel.carrier_id == carrier)
    assert TOTAL.search(html).group(1) == f"1–{shown} of {shown}"  # the filtered total, not the tab's


def test_the_unfiltered_total_is_the_tab_count(client, desk_agent, busy_queue):
    client.force_login(desk_agent)
    html = client.get("/desk/?view=unassigned&per_page=25").content.decode()
    tab = re.search(r'data-view="unassigned"[^>]*>\s*<span>[^<]*</span><span [^>]*data-count="(\d+)"', html).group(1)
    assert TOTAL.search(html).group(1) == f"1–{min(int(tab), 25)} of {tab}"
    assert int(tab) == sum(1 for ticket in busy_queue if ticket.assignee_id is None)


def test_a_search_costs_one_count_more(client, desk_agent, busy_queue, django_assert_num_queries):
    client.force_login(desk_agent)
    found = busy_queue[0]  # assigned, so the assignee prefetch runs as on a full page
    with django_assert_num_queries(COUNTED_PAGE_QUERIES):
        response = client.get(f"/desk/?view=all&q={found.parcel.tracking_number}")
    assert f'data-case="{found.reference}"' in response.content.decode()
