"""A real worker over Redis takes a task from the broker and writes its result to PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from supportdesk.celery import app
from tests.factories import TicketFactory
from tests.integration.conftest import SERVICE_TEST, wait_for
from tickets.models import TicketEvent

pytestmark = [*SERVICE_TEST, pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")]


def test_worker_runs_sla_sweep_sent_through_redis(celery_worker, celery_queue):
    late = TicketFactory(first_response_due=timezone.now() - dt.timedelta(hours=2))
    # send_task always goes through the broker, even with eager test settings
    app.send_task("tickets.tasks.tickets_record_sla_breaches_task", queue=celery_queue)
    breaches = TicketEvent.objects.filter(ticket=late, kind=TicketEvent.Kind.SLA_BREACHED, new_value="first_response")
    wait_for(breaches.exists, what="the worker to record the SLA breach")
    assert celery_worker.poll() is None, "worker died"
    assert breaches.count() == 1
