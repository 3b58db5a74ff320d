"""`manage.py seed_demo --small`: coverage of every status and kind, idempotence, logins, consistency.

The small world is built once per module inside a transaction that is rolled back at the end
(as Django's TestCase.setUpTestData does), so the other test modules never see it.
"""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from logistics.models import Parcel
from logistics.statuses import TERMINAL_STATUSES, ParcelStatus
from logistics.tracking_numbers import validate_tracking_number
from orders.models import ShopMembership
from tickets.demo.catalog import BUYER_PASSWORD, LOGINS, SHENZHEN
from tickets.models import Message, Ticket, TicketEvent, TicketKind, TicketStatus


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The printed output of one --small run; the rows it made live until the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", "--small", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_it_covers_every_parcel_status_case_kind_and_case_status(seeded, db):
    assert set(Parcel.objects.values_list("status", flat=True)) == set(ParcelStatus.values)
    assert set(Ticket.objects.values_list("kind", flat=True)) == set(TicketKind.values)
    assert set(Ticket.objects.values_list("status", flat=True)) == set(TicketStatus.values)


def test_it_adds_nothing_when_run_again(seeded, db):
    before = _row_counts()

    call_command("seed_demo", "--small", stdout=io.StringIO())

    assert _row_counts() == before


def test_it_creates_logins_that_authenticate_in_their_groups(seeded, db):
    for login in LOGINS:
        user = authenticate(username=login.username, password=login.password)
        assert user is not None, login.username
        assert user.is_staff
        assert list(user.groups.values_list("name", flat=True)) == ([login.group] if login.group else [])
    assert authenticate(username="admin", password="demo-admin-pass").is_superuser
    assert ShopMembership.objects.filter(user__username="agent", role="agent").count() == 3
    assert ShopMembership.objects.filter(user__username="supervisor").count() == 3
    assert list(ShopMembership.objects.filter(user__username="seller").values_list("shop__slug", "role")) == [(SHENZHEN, "staff")]


def test_buyers_log_in_with_the_demo_password_and_speak_russian_or_chinese(seeded, db):
    buyers = apps.get_model("orders", "BuyerProfile").objects.select_related("user")
    assert {profile.language for profile in buyers} == {"ru", "zh-hans"}
    profile = buyers.first()
    user = authenticate(username=profile.user.username, password=BUYER_PASSWORD)
    assert user is not None
    assert not user.is_staff
    assert profile.phone


def test_every_parcel_has_the_status_of_its_newest_event(seeded, db):
    for parcel in Parcel.objects.all():
        newest = parcel.events.order_by("-occurred_at", "-id").first()
        assert parcel.status == (newest.status if newest else ParcelStatus.PENDING), parcel.tracking_number
        assert newest is None or newest.occurred_at <= timezone.now()


def test_every_tracking_number_is_valid_for_its_carrier(seeded, db):
    for parcel in Parcel.objects.select_related("carrier"):
        assert validate_tracking_number(parcel.tracking_number, parcel.carrier.number_formats) == parcel.tracking_number


def test_it_makes_late_parcels_returns_and_due_demo_parcels(seeded, db):
    active = Parcel.objects.exclude(status__in=TERMINAL_STATUSES)
    assert active.filter(promised_date__lt=timezone.localdate()).exists()
    assert Parcel.objects.filter(direction=Parcel.Direction.RETURN).exists()
    demo = Parcel.objects.filter(carrier__code="demo")
    assert demo.count() == 4
    assert set(demo.values_list("status", flat=True)) <= {ParcelStatus.PENDING, ParcelStatus.IN_TRANSIT}
    assert all(parcel.next_poll_at <= timezone.now() for parcel in demo)


def test_cases_have_a_created_event_and_a_past_timeline(seeded, db):
    now = timezone.now()
    for ticket in Ticket.objects.all():
        assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.CREATED).count() == 1
        times = [m.created_at for m in ticket.messages.all()]
        assert ticket.created_at <= min(times) and max(times) <= now, ticket.reference
    assert Message.objects.filter(visibility=Message.Visibility.INTERNAL).exists()


def test_it_prints_the_counts_and_the_logins(seeded, db):
    assert "cases" in seeded
    for login in LOGINS:
        assert login.username in seeded
        assert login.password in seeded
    assert BUYER_PASSWORD in seeded
