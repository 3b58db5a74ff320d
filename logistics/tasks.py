"""Thin Celery wrappers around the polling and anomaly services."""

from __future__ import annotations

import random

from celery import Task, shared_task
from django.utils import timezone

from logistics.carriers.base import CarrierTemporaryError

MAX_REFRESH_RETRIES = 6


@shared_task(acks_late=True, ignore_result=True)
def logistics_poll_due_parcels_task() -> int:
    from logistics.polling import poll_due_parcels

    return poll_due_parcels()


@shared_task(bind=True, acks_late=True, max_retries=MAX_REFRESH_RETRIES, ignore_result=True)
def parcels_refresh_task(self: Task, carrier_id: int, parcel_ids: list[int]) -> None:
    """Refresh one carrier batch. Only temporary carrier errors are retried: Retry-After when the
    carrier gives one, else exponential backoff with jitter; never sooner than a carrier pause ends."""
    from logistics.models import Carrier
    from logistics.polling import parcels_refresh

    try:
        parcels_refresh(carrier_id=carrier_id, parcel_ids=parcel_ids)
    except CarrierTemporaryError as error:
        countdown = error.retry_after or min(600.0, 2.0 ** (self.request.retries + 2)) * random.uniform(0.5, 1.5)  # noqa: S311
        paused_until = Carrier.objects.filter(id=carrier_id).values_list("paused_until", flat=True).first()
        if paused_until:
            countdown = max(countdown, (paused_until - timezone.now()).total_seconds())
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task(acks_late=True, ignore_result=True)
def logistics_sweep_anomalies_task() -> int:
    from logistics.anomalies import anomalies_sweep

    return anomalies_sweep().recorded
