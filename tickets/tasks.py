"""Thin Celery wrappers around ticket services."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def tickets_record_sla_breaches_task() -> int:
    from tickets.services import tickets_record_sla_breaches

    return tickets_record_sla_breaches()


@shared_task(acks_late=True)
def tickets_open_anomaly_cases_task() -> int:
    """Open cases for new anomalies, then tell cases whose anomaly cleared."""
    from tickets.anomaly_cases import tickets_note_resolved_anomalies, tickets_open_anomaly_cases

    opened = tickets_open_anomaly_cases()
    tickets_note_resolved_anomalies()
    return opened
