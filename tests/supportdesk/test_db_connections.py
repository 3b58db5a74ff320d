"""Database connections: Celery tasks keep theirs (Django's own rules apply), the ingest runs unprepared."""

from __future__ import annotations

import pytest
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from supportdesk.celery import app
from supportdesk.sql import unprepared


@pytest.mark.django_db
def test_the_celery_fixup_keeps_a_healthy_connection_between_tasks():
    """Without CELERY_DB_REUSE_MAX Celery closes it before and after every task: a new PostgreSQL process per task."""
    connection.ensure_connection()
    opened = connection.connection
    fixup = DjangoWorkerFixup(app)
    for _ in range(3):
        fixup.close_database()
    assert connection.connection is opened


@pytest.mark.services
@pytest.mark.django_db
def test_unprepared_turns_prepared_statements_off_inside_the_block_only():
    if connection.vendor != "postgresql":
        pytest.fail("needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/supportdesk")
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    assert before is not None  # settings: DB_PREPARE_THRESHOLD, on by default
    inside = []

    def run_and_fail() -> None:
        with unprepared():
            inside.append(raw.prepare_threshold)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        run_and_fail()
    assert inside == [None]
    assert raw.prepare_threshold == before


@pytest.mark.services
@pytest.mark.django_db
def test_prepared_statements_get_postgresqls_own_plan_choice(prepare_thresholds):
    """Requests' look-ups by key stay prepared, and PostgreSQL may keep their generic plan (benchmark P5: a third of
    the database's CPU for an API create went to planning them again on every run under force_custom_plan)."""
    with prepare_thresholds() as seen, connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("auto",)
    assert seen == [5]
