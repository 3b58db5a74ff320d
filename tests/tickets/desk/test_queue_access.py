"""Who reaches the queue: desk agents see only the shops they serve; buyers get 404; anonymous users sign in first."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group

from tests.factories import OrderFactory, ParcelFactory, ShopMembershipFactory, TicketFactory, UserFactory
from tickets.models import Ticket

ROW = re.compile(r'data-case="([^"]+)"')
URLS = ["/desk/", "/desk/?view=all&q=anything", "/desk/bulk/"]


def case(shop, tracking_number: str) -> Ticket:
    order = OrderFactory(shop=shop)
    return TicketFactory(order=order, parcel=ParcelFactory(order=order, tracking_number=tracking_number))


@pytest.fixture
def cases(shop, other_shop):
    return case(shop, "RA000000001RU"), case(other_shop, "RA000000002RU")


@pytest.mark.parametrize("url", URLS)
def test_anonymous_users_are_sent_to_sign_in(client, url):
    response = client.get(url) if "bulk" not in url else client.post(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", URLS)
def test_buyers_get_404_everywhere_on_the_desk(client, customer, cases, url):
    TicketFactory(order=OrderFactory(buyer=customer))  # even with cases of their own
    client.force_login(customer)
    response = client.get(url) if "bulk" not in url else client.post(url, {"ids": [cases[0].id], "action": "assign", "assignee": "me"})
    assert response.status_code == 404


def test_staff_outside_the_desk_groups_get_404(client, agent, cases):
    client.force_login(agent)  # a shop member and staff, but in neither the agents nor the supervisors group
    assert client.get("/desk/").status_code == 404


def test_an_agent_never_sees_another_shops_cases(client, desk_agent, cases):
    mine, theirs = cases
    client.force_login(desk_agent)
    assert ROW.findall(client.get("/desk/?view=all").content.decode()) == [mine.reference]
    for term in (theirs.reference, "RA000000002RU", theirs.order.posting_number, theirs.buyer.email):
        assert ROW.findall(client.get(f"/desk/?view=all&q={term}").content.decode()) == []
    assert client.post("/desk/bulk/", {"ids": [theirs.id], "action": "assign", "assignee": "me"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.assignee is None


def test_an_agent_who_also_shops_here_does_not_see_their_purchases_on_the_desk(client, desk_agent, other_shop):
    own_purchase = TicketFactory(order=OrderFactory(shop=other_shop, buyer=desk_agent))
    client.force_login(desk_agent)
    assert own_purchase.reference not in client.get("/desk/?view=all").content.decode()


def test_superusers_see_every_shop(client, superuser, cases):
    client.force_login(superuser)
    assert set(ROW.findall(client.get("/desk/?view=all").content.decode())) == {t.reference for t in cases}


def test_supervisors_see_the_shops_they_serve(client, other_shop, cases):
    supervisor = ShopMembershipFactory(shop=other_shop, user=UserFactory(username="boss", is_staff=True)).user
    supervisor.groups.add(Group.objects.get(name="supervisors"))
    client.force_login(supervisor)
    assert ROW.findall(client.get("/desk/?view=all").content.decode()) == [cases[1].reference]


def test_the_desk_navigation_renders_in_this_tree(client, desk_agent):
    client.force_login(desk_agent)
    html = client.get("/desk/").content.decode()
    assert 'href="/desk/"' in html and 'class="nav-link active" href="/desk/"' in html
