"""Polling carriers: claim due parcels, fan out one task per carrier batch, ingest the answers.

State lives in the database, not the broker (DESIGN §5): `next_poll_at` says when a parcel is
due; claiming pushes it forward by a lease, so a batch lost with a killed worker comes due again
by itself. Claims are compare-and-set with a token (and SKIP LOCKED on PostgreSQL), so two
dispatchers or workers never claim the same parcel at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from logistics.carriers.base import CarrierPermanentError, CarrierTemporaryError, TrackingResult
from logistics.carriers.registry import get_client
from logistics.ingest import parcels_apply_results
from logistics.models import Carrier, Parcel
from logistics.statuses import ACTIVE_STATUSES
from supportdesk.sql import unprepared

logger = logging.getLogger("logistics.polling")

FAILURES_BEFORE_PAUSE = 5
# A carrier whose credentials are not set is not polled at all (e.g. the demo world's real
# carriers on a laptop): asking would only fail and trip the circuit breaker.
CREDENTIAL_SETTINGS: dict[str, str] = {
    Carrier.Adapter.SEVENTEEN_TRACK: "CARRIER_17TRACK_TOKEN",
    Carrier.Adapter.CDEK: "CARRIER_CDEK_CLIENT_ID",
    Carrier.Adapter.RUSSIAN_POST: "CARRIER_RUSSIAN_POST_LOGIN",
    Carrier.Adapter.DEMO: "CARRIER_DEMO_URL",
}
MAX_PAUSE = dt.timedelta(hours=1)


@dataclass
class RefreshReport:
    polled: int = 0
    updated: int = 0
    stopped: int = 0
    missing: int = 0


def parcels_claim_due(
    *, carrier: Carrier, limit: int, now: dt.datetime, lease: dt.timedelta, within: QuerySet[Parcel] | None = None,
) -> list[int]:
    """Claim up to `limit` due, active parcels of `carrier` (optionally only among `within`);
    returns the ids this call claimed."""
    token = secrets.token_hex(16)
    candidates = within if within is not None else Parcel.objects.all()
    due = candidates.filter(carrier=carrier, status__in=ACTIVE_STATUSES, next_poll_at__lte=now).order_by("next_poll_at")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        candidate_ids = list(due.values_list("id", flat=True)[:limit])
        # Conditional on still being due: a competing claimer that got there first wins those rows.
        Parcel.objects.filter(id__in=candidate_ids, next_poll_at__lte=now).update(next_poll_at=now + lease, poll_claim=token)
    return list(Parcel.objects.filter(id__in=candidate_ids, poll_claim=token).values_list("id", flat=True))


def pollable_adapters() -> list[str]:
    return [adapter for adapter, setting in CREDENTIAL_SETTINGS.items() if getattr(settings, setting, "")]


def carrier_batch_budget(carrier: Carrier, tick: dt.timedelta) -> int:
    """How many parcels one dispatcher tick may claim for `carrier` within its rate limit."""
    requests = max(1, math.floor(carrier.requests_per_minute * tick.total_seconds() / 60))
    return requests * carrier.max_batch


def poll_due_parcels(*, now: dt.datetime | None = None) -> int:
    """The beat tick: claim due parcels per carrier and send one refresh task per carrier batch.

    Paused carriers (circuit breaker open) are skipped. Returns how many parcels were claimed.
    """
    from logistics.tasks import parcels_refresh_task  # tasks import this module

    now = now or timezone.now()
    tick = dt.timedelta(seconds=settings.POLL_TICK_SECONDS)
    lease = dt.timedelta(seconds=settings.POLL_LEASE_SECONDS)
    carriers = Carrier.objects.filter(is_active=True, adapter__in=pollable_adapters())
    claimed = 0
    for carrier in carriers.filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now)):
        with unprepared():  # long id lists, best planned for their values (supportdesk.sql.unprepared)
            ids = parcels_claim_due(carrier=carrier, limit=carrier_batch_budget(carrier, tick), now=now, lease=lease)
        for start in range(0, len(ids), carrier.max_batch):
            parcels_refresh_task.delay(carrier.id, ids[start : start + carrier.max_batch])
        claimed += len(ids)
    return claimed


def parcels_poll_now(*, parcel_ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """Poll these parcels at once (an agent's "re-poll"), even if polling had stopped for them.

    Claims them like the dispatcher does, so a poll already under way is not doubled, and sends
    one refresh task per carrier batch. Terminal parcels are left alone. Returns how many were sent.
    """
    from logistics.tasks import parcels_refresh_task

    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.POLL_LEASE_SECONDS)
    Parcel.objects.filter(id__in=parcel_ids, status__in=ACTIVE_STATUSES).filter(
        Q(next_poll_at__isnull=True) | Q(next_poll_at__gt=now)
    ).update(next_poll_at=now, polling_stopped_reason="")
    sent = 0
    for carrier in Carrier.objects.filter(parcels__id__in=parcel_ids).distinct():
        due = Parcel.objects.filter(id__in=parcel_ids, carrier=carrier)
        ids = parcels_claim_due(carrier=carrier, limit=len(parcel_ids), now=now, lease=lease, within=due)
        for start in range(0, len(ids), carrier.max_batch):
            # on commit: the worker must see the claim (celery-types lacks DjangoTask.delay_on_commit)
            transaction.on_commit(partial(parcels_refresh_task.delay, carrier.id, ids[start : start + carrier.max_batch]))
        sent += len(ids)
    return sent


def parcels_refresh(*, carrier_id: int, parcel_ids: Sequence[int], now: dt.datetime | None = None) -> RefreshReport:
    """Ask the carrier about these parcels in one batch and ingest the answers.

    Raises CarrierTemporaryError (after counting the failure for the circuit breaker) so the task
    retries; the parcels stay claimed until their lease ends, so nothing is polled twice at once
    and nothing is lost. A permanent error for the whole call (bad credentials) pauses the carrier.
    """
    with unprepared():  # the batch's statements are best planned for their values (supportdesk.sql.unprepared)
        return _refresh(carrier_id=carrier_id, parcel_ids=parcel_ids, now=now or timezone.now())


def _refresh(*, carrier_id: int, parcel_ids: Sequence[int], now: dt.datetime) -> RefreshReport:
    carrier = Carrier.objects.get(id=carrier_id)
    parcels = list(Parcel.objects.filter(id__in=parcel_ids, carrier=carrier, status__in=ACTIVE_STATUSES).select_related("carrier"))
    if not parcels:
        return RefreshReport()
    try:
        results = get_client(carrier.adapter).track_many([p.tracking_number for p in parcels])
    except CarrierTemporaryError as error:
        carrier_record_failure(carrier=carrier, error=error, now=now)
        raise
    except CarrierPermanentError as error:
        carrier_record_failure(carrier=carrier, error=error, now=now, pause_now=True)
        logger.error("carrier %s refused the whole batch: %s", carrier.code, error.message)
        return RefreshReport()
    carrier_record_success(carrier=carrier)
    return _ingest(parcels=parcels, results=results, now=now)


def _ingest(*, parcels: list[Parcel], results: dict[str, TrackingResult], now: dt.datetime) -> RefreshReport:
    report = RefreshReport(polled=len(parcels))
    outcome = parcels_apply_results(parcels=parcels, results=results, now=now)
    report.updated, report.stopped, report.missing = outcome.updated, outcome.stopped, outcome.missing
    return report


def carrier_record_failure(*, carrier: Carrier, error: Exception, now: dt.datetime, pause_now: bool = False) -> None:
    """Count a failed call; after FAILURES_BEFORE_PAUSE in a row, pause the carrier with growing backoff."""
    Carrier.objects.filter(id=carrier.id).update(consecutive_failures=F("consecutive_failures") + 1, last_error=str(error)[:300])
    carrier.refresh_from_db(fields=["consecutive_failures"])
    failures = carrier.consecutive_failures
    if pause_now or failures >= FAILURES_BEFORE_PAUSE:
        pause = min(MAX_PAUSE, dt.timedelta(minutes=2 ** max(0, failures - FAILURES_BEFORE_PAUSE)))
        pause *= random.uniform(1.0, 1.2)  # noqa: S311 - jitter, not security
        Carrier.objects.filter(id=carrier.id).update(paused_until=now + pause)
        logger.warning("carrier %s paused until %s after %d failures: %s", carrier.code, now + pause, failures, error)


def carrier_record_success(*, carrier: Carrier) -> None:
    if carrier.consecutive_failures or carrier.paused_until:
        Carrier.objects.filter(id=carrier.id).update(consecutive_failures=0, paused_until=None, last_error="")
