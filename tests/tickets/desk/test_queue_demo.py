"""The demo world's agent and supervisor can work the queue (`manage.py seed_demo --small`)."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction

from tickets.models import Ticket, TicketStatus


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--small", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.mark.parametrize("username", ["agent", "supervisor"])
def test_the_demo_desk_staff_see_the_open_cases_of_every_shop(client, seeded, db, username):
    client.force_login(User.objects.get(username=username))
    response = client.get("/desk/?per_page=100")
    assert response.status_code == 200
    shown = set(re.findall(r'data-case="([^"]+)"', response.content.decode()))
    open_cases = set(Ticket.objects.exclude(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED]).values_list("reference", flat=True))
    assert shown and shown <= open_cases
    assert len(shown) == min(100, len(open_cases))
