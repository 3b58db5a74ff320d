"""Thin Celery wrappers: the Ozon sync (a dispatcher and one task per account) and the tracking-number push."""

from __future__ import annotations

import logging
import random

from celery import Task, shared_task

from marketplace.ozon.errors import OzonPermanentError, OzonTemporaryError

logger = logging.getLogger("marketplace.tasks")

MAX_SYNC_RETRIES = 5


@shared_task(acks_late=True, ignore_result=True)
def marketplace_sync_accounts_task() -> int:
    """Beat: one sync task per active account; nothing at all when no account is active."""
    from marketplace.models import MarketplaceAccount

    ids = list(MarketplaceAccount.objects.filter(is_active=True).values_list("id", flat=True))
    for account_id in ids:
        marketplace_sync_account_task.delay(account_id)
    return len(ids)


@shared_task(bind=True, acks_late=True, max_retries=MAX_SYNC_RETRIES, ignore_result=True)
def marketplace_sync_account_task(self: Task, account_id: int) -> None:
    """Retry temporary Ozon errors (Retry-After, else backoff with jitter); a permanent one is recorded and ends it."""
    from marketplace.models import MarketplaceAccount
    from marketplace.services import ozon_sync_account

    account = MarketplaceAccount.objects.select_related("shop").filter(id=account_id, is_active=True).first()
    if account is None:
        return
    try:
        ozon_sync_account(account=account)
    except OzonTemporaryError as error:
        countdown = error.retry_after or min(600.0, 2.0 ** (self.request.retries + 3)) * random.uniform(0.5, 1.5)  # noqa: S311
        raise self.retry(exc=error, countdown=countdown) from error
    except OzonPermanentError as error:
        logger.warning("Ozon sync of account %s stopped: %s", account_id, error.message)


@shared_task(acks_late=True, ignore_result=True)
def marketplace_push_tracking_numbers_task() -> int:
    from marketplace.services import marketplace_push_due

    return marketplace_push_due()
