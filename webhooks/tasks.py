"""Thin Celery wrappers around webhook delivery (STYLE rule 9)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def webhook_delivery_attempt_task(delivery_id: int) -> None:
    """One attempt. Retries are not Celery retries: the delivery row holds the next attempt time and the
    dispatcher below sends it again, so a countdown never outlives the broker's visibility timeout."""
    from webhooks.delivery import attempt

    attempt(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def webhooks_dispatch_due_task() -> int:
    """Beat: enqueue an attempt for every due delivery (a lost message, a retry that came due)."""
    from webhooks.delivery import due_delivery_ids

    ids = due_delivery_ids()
    for delivery_id in ids:
        webhook_delivery_attempt_task.delay(delivery_id)
    return len(ids)


@shared_task(acks_late=True, ignore_result=True)
def webhook_disabled_notice_task(subscription_id: int) -> None:
    from webhooks.models import WebhookSubscription
    from webhooks.notices import notice_disabled

    subscription = WebhookSubscription.objects.select_related("shop").filter(id=subscription_id, is_active=False).first()
    if subscription is not None:
        notice_disabled(subscription=subscription)


@shared_task(acks_late=True, ignore_result=True)
def webhook_events_prune_task() -> int:
    from webhooks.services import webhook_events_prune

    return webhook_events_prune()
