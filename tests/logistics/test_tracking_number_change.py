"""Changing a parcel's tracking number from the desk (seed 002), and telling the buyer: notification and case message."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from logistics.models import Parcel, TrackingNumberChange
from logistics.services import parcel_change_tracking_number
from logistics.statuses import ParcelStatus
from logistics.tracking_numbers import make_s10
from tests.factories import CarrierFactory, OrderFactory, ParcelFactory, TicketFactory
from tickets.models import Message, Notification, NotificationKind, TicketEvent, TicketStatus
from tickets.notifications import _notify_tracking_change, tickets_notify_tracking_number_changes

OLD_NUMBER = make_s10("RA", "12345678", "CN")
NEW_NUMBER = make_s10("RB", "87654321", "CN")


@pytest.fixture
def s10_carrier(db):
    return CarrierFactory(code="china-post", name="China Post", number_formats=["s10"])


@pytest.fixture
def parcel(shop, customer, s10_carrier):
    customer.buyer_profile.language = "en"  # the texts below are asserted in English, whatever the translations say
    customer.buyer_profile.save(update_fields=["language"])
    parcel = ParcelFactory(order=OrderFactory(shop=shop, buyer=customer), carrier=s10_carrier, tracking_number=OLD_NUMBER)
    Parcel.objects.filter(id=parcel.id).update(status=ParcelStatus.IN_TRANSIT, next_poll_at=None)
    parcel.refresh_from_db()
    return parcel


def change_page(parcel: Parcel) -> str:
    return reverse("admin:logistics_parcel_change_tracking_number", args=[parcel.pk])


def parcel_page(parcel: Parcel) -> str:
    return reverse("admin:logistics_parcel_change", args=[parcel.pk])


def test_parcel_page_links_to_the_change_page(client, desk_agent, parcel):
    client.force_login(desk_agent)

    response = client.get(parcel_page(parcel))

    assert response.status_code == 200
    assert f'href="{change_page(parcel)}"' in response.text


def test_change_page_shows_the_form_to_the_shops_agent(client, desk_agent, parcel):
    client.force_login(desk_agent)

    response = client.get(change_page(parcel))

    assert response.status_code == 200
    assert OLD_NUMBER in response.text
    assert {"new_number", "new_carrier", "reason"} <= set(response.context["form"].fields)


def test_valid_change_is_recorded_and_polling_restarts(client, desk_agent, parcel, s10_carrier):
    cdek = CarrierFactory(code="cdek-test", name="CDEK", number_formats=["cdek"])
    client.force_login(desk_agent)

    response = client.post(change_page(parcel), {"new_number": "12 3456 7890", "new_carrier": cdek.pk, "reason": "Reshipped with CDEK"})

    assert response.status_code == 302 and response["Location"] == parcel_page(parcel)
    change = TrackingNumberChange.objects.get(parcel=parcel)
    assert (change.old_number, change.old_carrier, change.new_number, change.new_carrier) == (OLD_NUMBER, s10_carrier, "1234567890", cdek)
    assert (change.reason, change.changed_by) == ("Reshipped with CDEK", desk_agent)
    parcel.refresh_from_db()
    assert (parcel.tracking_number, parcel.carrier, parcel.status) == ("1234567890", cdek, ParcelStatus.PENDING)
    assert parcel.next_poll_at is not None and parcel.next_poll_at <= timezone.now()
    assert any("Tracking number changed" in str(message) for message in get_messages(response.wsgi_request))


def test_carrier_defaults_to_the_current_one(client, desk_agent, parcel, s10_carrier):
    client.force_login(desk_agent)

    client.post(change_page(parcel), {"new_number": NEW_NUMBER.lower(), "new_carrier": "", "reason": "Relabelled at the hub"})

    change = TrackingNumberChange.objects.get(parcel=parcel)
    assert (change.new_number, change.new_carrier) == (NEW_NUMBER, s10_carrier)


def assert_nothing_changed(parcel: Parcel) -> None:
    assert not TrackingNumberChange.objects.exists()
    stored = Parcel.objects.get(pk=parcel.pk)
    assert (stored.tracking_number, stored.status, stored.next_poll_at) == (OLD_NUMBER, ParcelStatus.IN_TRANSIT, None)


def test_wrong_check_digit_is_a_form_error(client, desk_agent, parcel):
    wrong = NEW_NUMBER[:10] + str((int(NEW_NUMBER[10]) + 1) % 10) + NEW_NUMBER[11:]
    client.force_login(desk_agent)

    response = client.post(change_page(parcel), {"new_number": wrong, "reason": "Relabelled"})

    assert response.status_code == 200
    assert "the check digit should be" in " ".join(response.context["form"].errors["new_number"])
    assert_nothing_changed(parcel)


def test_same_number_is_a_form_error(client, desk_agent, parcel):
    client.force_login(desk_agent)

    response = client.post(change_page(parcel), {"new_number": OLD_NUMBER, "reason": "Relabelled"})

    assert response.status_code == 200
    assert "current tracking number" in " ".join(response.context["form"].errors["new_number"])
    assert_nothing_changed(parcel)


def test_number_taken_by_another_parcel_is_a_form_error(client, desk_agent, parcel, s10_carrier):
    ParcelFactory(carrier=s10_carrier, tracking_number=NEW_NUMBER)
    client.force_login(desk_agent)

    response = client.post(change_page(parcel), {"new_number": NEW_NUMBER, "reason": "Relabelled"})

    assert response.status_code == 200
    assert "already exists" in " ".join(response.context["form"].non_field_errors())
    assert response.context["original"].tracking_number == OLD_NUMBER  # the page shows the number still in force
    assert_nothing_changed(parcel)


def test_reason_is_required(client, desk_agent, parcel):
    client.force_login(desk_agent)

    response = client.post(change_page(parcel), {"new_number": NEW_NUMBER, "reason": "   "})

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert_nothing_changed(parcel)


def test_another_shops_agent_cannot_reach_the_page(client, other_agent, parcel):
    other_agent.groups.add(Group.objects.get(name="agents"))
    client.force_login(other_agent)

    assert client.get(change_page(parcel)).status_code == 404
    assert client.post(change_page(parcel), {"new_number": NEW_NUMBER, "reason": "Relabelled"}).status_code == 404
    assert_nothing_changed(parcel)


def test_page_needs_the_add_trackingnumberchange_permission(client, agent, parcel):
    agent.user_permissions.add(Permission.objects.get(content_type__app_label="logistics", codename="view_parcel"))
    client.force_login(agent)  # the shop's staff member who may look at parcels, but not change their numbers

    parcel_response = client.get(parcel_page(parcel))

    assert parcel_response.status_code == 200
    assert f'href="{change_page(parcel)}"' not in parcel_response.text
    assert client.get(change_page(parcel)).status_code == 403
    assert client.post(change_page(parcel), {"new_number": NEW_NUMBER, "reason": "Relabelled"}).status_code == 403
    assert_nothing_changed(parcel)


# --- the tickets-side scan: the buyer is told once, and every open case of the parcel gets one message ---


def test_scan_posts_one_public_message_per_open_case_once(parcel, desk_agent, customer, django_capture_on_commit_callbacks):
    order = parcel.order
    open_cases = [TicketFactory(order=order, parcel=parcel, status=status) for status in (TicketStatus.NEW, TicketStatus.WAITING_ON_CARRIER)]
    closed = TicketFactory(order=order, parcel=parcel, status=TicketStatus.CLOSED)
    unrelated = TicketFactory(order=order, parcel=None)
    change = parcel_change_tracking_number(parcel=parcel, new_number=NEW_NUMBER, reason="Relabelled at the hub", acting_user=desk_agent)

    with django_capture_on_commit_callbacks(execute=True):
        assert tickets_notify_tracking_number_changes() == 1
        assert tickets_notify_tracking_number_changes() == 0

    for case in open_cases:
        message = Message.objects.get(ticket=case)
        assert (message.author, message.visibility) == (None, Message.Visibility.PUBLIC)
        assert f"from {OLD_NUMBER} (China Post) to {NEW_NUMBER} (China Post): Relabelled at the hub." in message.body
        assert f"Track it here: https://track.example/{NEW_NUMBER}" in message.body
        assert TicketEvent.objects.filter(ticket=case, kind=TicketEvent.Kind.REPLIED, actor=None, new_value=str(message.pk)).exists()
        case.refresh_from_db()
        assert case.first_responded_at is None  # supportdesk's own message is not support's first reply
    assert not Message.objects.filter(ticket__in=[closed, unrelated]).exists()
    notification = Notification.objects.get()
    assert (notification.user, notification.kind, notification.tracking_change) == (customer, NotificationKind.TRACKING_NUMBER_CHANGED, change)


def test_scan_links_the_portal_when_the_carrier_has_no_tracking_page(parcel, desk_agent, settings):
    settings.SITE_URL = "https://desk.example"
    manual = CarrierFactory(code="manual-test", name="Manual", tracking_url_template="")
    case = TicketFactory(order=parcel.order, parcel=parcel)
    parcel_change_tracking_number(parcel=parcel, new_number="XY-123456", new_carrier=manual, reason="Own courier", acting_user=desk_agent)

    tickets_notify_tracking_number_changes()

    portal = "https://desk.example" + reverse("portal:order-detail", args=[parcel.order.pk])
    assert Message.objects.get(ticket=case).body.endswith(f"Track it here: {portal}")


def test_change_already_announced_adds_no_message(parcel, desk_agent):
    case = TicketFactory(order=parcel.order, parcel=parcel)
    change = parcel_change_tracking_number(parcel=parcel, new_number=NEW_NUMBER, reason="Relabelled", acting_user=desk_agent)
    # a concurrent scan got there first: its notification row exists, so this scan must not post again
    Notification.objects.create(
        user=parcel.order.buyer, kind=NotificationKind.TRACKING_NUMBER_CHANGED, title="t", body="b", tracking_change=change
    )
    assert _notify_tracking_change(change) is False
    assert not Message.objects.filter(ticket=case).exists()


def test_desk_change_reaches_the_case_conversation(client, desk_agent, parcel):
    case = TicketFactory(order=parcel.order, parcel=parcel, status=TicketStatus.OPEN)
    client.force_login(desk_agent)
    client.post(change_page(parcel), {"new_number": NEW_NUMBER, "reason": "Seller typed the wrong number"})

    tickets_notify_tracking_number_changes()

    assert "Seller typed the wrong number" in Message.objects.get(ticket=case).body
    assert Notification.objects.filter(user=parcel.order.buyer, tracking_change__parcel=parcel).count() == 1
