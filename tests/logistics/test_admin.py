"""The parcel admin: timeline inline, search, add through parcel_create, read-only tracking state, scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from logistics.models import Parcel, TrackingNumberChange
from orders.models import ShopMembership
from tests.factories import CarrierFactory, OrderFactory, ParcelFactory, ShopMembershipFactory, TrackingEventFactory, UserFactory

CHANGELIST = "admin:logistics_parcel_changelist"


def login(client, user) -> None:
    client.force_login(user)


def change_url(parcel: Parcel) -> str:
    return reverse("admin:logistics_parcel_change", args=[parcel.pk])


@pytest.fixture
def shop_staff(shop):
    user = UserFactory(username="seller", is_staff=True)
    ShopMembershipFactory(shop=shop, user=user, role=ShopMembership.Role.STAFF)
    user.groups.add(Group.objects.get(name="shop staff"))
    return user


def test_parcel_change_page_shows_events_newest_first(client, superuser):
    parcel = ParcelFactory()
    now = timezone.now()
    # Stored out of order on purpose: the inline must sort by the carrier's time, not by insertion.
    for days_ago, text in ((2, "Sorted in Kazan"), (0, "Handed to courier"), (5, "Accepted in Shenzhen")):
        TrackingEventFactory(parcel=parcel, occurred_at=now - dt.timedelta(days=days_ago), raw_description=text, location="X")
    login(client, superuser)

    response = client.get(change_url(parcel))

    assert response.status_code == 200
    page = response.text
    assert page.index("Handed to courier") < page.index("Sorted in Kazan") < page.index("Accepted in Shenzhen")


def test_parcel_change_page_lists_number_changes(client, superuser):
    parcel = ParcelFactory()
    TrackingNumberChange.objects.create(
        parcel=parcel, old_carrier=parcel.carrier, old_number="RA000000000RU", new_carrier=parcel.carrier,
        new_number=parcel.tracking_number, reason="Seller typed the wrong number",
    )
    login(client, superuser)

    response = client.get(change_url(parcel))

    assert "RA000000000RU" in response.text
    assert "Seller typed the wrong number" in response.text


@pytest.mark.parametrize("term", ["tracking", "posting", "former"])
def test_parcel_search(client, superuser, term):
    wanted, _other = ParcelFactory(), ParcelFactory()
    TrackingNumberChange.objects.create(
        parcel=wanted, old_carrier=wanted.carrier, old_number="OLD-NUMBER-1", new_carrier=wanted.carrier,
        new_number=wanted.tracking_number, reason="replaced",
    )
    query = {"tracking": wanted.tracking_number, "posting": wanted.order.posting_number, "former": "OLD-NUMBER-1"}[term]
    login(client, superuser)

    response = client.get(reverse(CHANGELIST), {"q": query})

    assert list(response.context["cl"].result_list) == [wanted]


def test_parcel_changelist_columns(client, superuser):
    parcel = ParcelFactory()
    login(client, superuser)

    response = client.get(reverse(CHANGELIST))

    assert parcel.order.posting_number in response.text
    assert parcel.carrier.name in response.text


def test_parcel_add_goes_through_parcel_create(client, shop_staff, shop):
    order = OrderFactory(shop=shop)
    carrier = CarrierFactory()
    login(client, shop_staff)
    data = {"order": order.pk, "carrier": carrier.pk, "tracking_number": " rb123456785gb ", "direction": "forward"}

    response = client.post(reverse("admin:logistics_parcel_add"), data)

    assert response.status_code == 302
    parcel = Parcel.objects.get()
    assert parcel.tracking_number == "RB123456785GB"  # normalised by the service
    assert parcel.next_poll_at is not None
    assert parcel.promised_date == order.promised_delivery_date


def test_parcel_add_refuses_another_shops_order(client, shop_staff, other_shop):
    theirs = OrderFactory(shop=other_shop)
    login(client, shop_staff)
    data = {"order": theirs.pk, "carrier": CarrierFactory().pk, "tracking_number": "RB123456785GB", "direction": "forward"}

    response = client.post(reverse("admin:logistics_parcel_add"), data)

    assert response.status_code == 200
    assert "order" in response.context["adminform"].form.errors
    assert not Parcel.objects.exists()


def test_parcel_tracking_state_is_read_only(client, superuser):
    parcel = ParcelFactory()
    login(client, superuser)

    form = client.get(change_url(parcel)).context["adminform"].form

    assert {"tracking_number", "carrier", "status", "order", "last_event_at"}.isdisjoint(form.fields)
    assert {"promised_date", "direction", "next_poll_at"} <= set(form.fields)


def test_parcel_change_saves_only_changed_fields(client, superuser):
    parcel = ParcelFactory()
    login(client, superuser)
    new_date = timezone.localdate() + dt.timedelta(days=9)
    data = {
        "direction": parcel.direction, "promised_date": new_date.isoformat(),
        "next_poll_at_0": "", "next_poll_at_1": "",
        "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0", "events-MIN_NUM_FORMS": "0", "events-MAX_NUM_FORMS": "0",
        "number_changes-TOTAL_FORMS": "0", "number_changes-INITIAL_FORMS": "0",
        "number_changes-MIN_NUM_FORMS": "0", "number_changes-MAX_NUM_FORMS": "0",
    }

    response = client.post(change_url(parcel), data)

    assert response.status_code == 302
    parcel.refresh_from_db()
    assert parcel.promised_date == new_date
    assert parcel.next_poll_at is None


def test_agent_sees_only_own_shop_parcels(client, desk_agent, shop, other_shop):
    mine = ParcelFactory(order=OrderFactory(shop=shop))
    theirs = ParcelFactory(order=OrderFactory(shop=other_shop))
    TrackingEventFactory(parcel=mine)
    TrackingEventFactory(parcel=theirs)
    login(client, desk_agent)

    parcels = client.get(reverse(CHANGELIST))
    events = client.get(reverse("admin:logistics_trackingevent_changelist"))

    assert list(parcels.context["cl"].result_list) == [mine]
    assert [event.parcel for event in events.context["cl"].result_list] == [mine]
    assert client.get(change_url(theirs)).url == reverse("admin:index")
