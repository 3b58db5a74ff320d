"""Thin Celery wrappers around ticket services."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def tickets_record_sla_breaches_task() -> int:
    from tickets.services import tickets_record_sla_breaches

    return tickets_record_sla_breaches()
