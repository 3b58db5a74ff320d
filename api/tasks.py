"""Thin Celery wrappers around api.services."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def api_purge_idempotency_records_task() -> int:
    from api.services import idempotency_records_purge

    return idempotency_records_purge()
