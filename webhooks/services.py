"""Writes for webhooks: recording events, and a shop's subscriptions (the interface the REST API calls).

Every function is keyword-only and raises django's ValidationError keyed by field for bad input.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Shop
from webhooks import urlguard
from webhooks.models import TEST_EVENT_TYPE, WebhookDelivery, WebhookEvent, WebhookSubscription, validate_event_types
from webhooks.outbox import Data, record_event
from webhooks.selectors import subscriptions_changed
from webhooks.signing import secret_generate

logger = logging.getLogger("webhooks")


def webhook_event_record(*, shop: Shop, event_type: str, data: Data | Callable[[], Data]) -> WebhookEvent | None:
    """Record `event_type` for `shop` in the outbox, with a delivery for each active subscription to it.

    Call it inside the transaction of the change: the event commits or rolls back with it, and
    delivery is enqueued only on commit. Returns None, writing nothing, when nobody subscribes; pass
    `data` as a function to skip building the payload then.
    """
    return record_event(shop=shop, event_type=event_type, data=data)


def _check_url(url: str) -> str:
    try:
        urlguard.vet(url)
    except urlguard.UnsafeURL as error:
        raise ValidationError({"url": str(error)}) from None
    return url.strip()


def subscription_create(*, shop: Shop, url: str, events: Sequence[str], description: str = "") -> WebhookSubscription:
    """A new active subscription with a fresh `whsec_` secret (show it to the user now: it is not shown again).

    Raises ValidationError for a URL that is not http(s), carries credentials or resolves to a
    non-public address, and for unknown event types.
    """
    events = list(dict.fromkeys(events))
    try:
        validate_event_types(events)
    except ValidationError as error:
        raise ValidationError({"events": error.messages}) from None
    subscription = WebhookSubscription(
        shop=shop, url=_check_url(url), events=events, description=description.strip(), secret=secret_generate(),
    )
    subscription.full_clean()
    subscription.save()
    return subscription


def subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete the subscription and its delivery log; events stay in the outbox for other subscriptions."""
    subscription.delete()


def subscription_send_test(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """Send a `webhook.test` event to this subscription alone, through the normal delivery path.

    Raises ValidationError if the subscription is disabled (re-enable it first).
    """
    if not subscription.is_active:
        raise ValidationError(_("This subscription is disabled; enable it before sending a test event."))
    event = record_event(
        shop=subscription.shop_id, event_type=TEST_EVENT_TYPE, subscriptions=[subscription],
        data={"subscription_id": subscription.pk, "message": "This is a test event from supportdesk."},
    )
    assert event is not None  # noqa: S101 - one subscription given, so an event is always recorded
    return WebhookDelivery.objects.get(event=event, subscription=subscription)


def subscription_enable(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """Re-enable a disabled subscription and check its URL again. Deliveries given up stay given up."""
    _check_url(subscription.url)
    WebhookSubscription.objects.filter(id=subscription.pk).update(
        is_active=True, consecutive_failures=0, failing_since=None, disabled_at=None, disabled_reason="",
    )
    subscriptions_changed()
    subscription.refresh_from_db()
    return subscription


@transaction.atomic
def subscription_disable(*, subscription: WebhookSubscription, reason: str) -> bool:
    """Disable a failing subscription, give up its open deliveries and tell the shop's staff.

    A conditional update: when two workers decide at once, one disables it and sends the notice.
    Returns True if this call disabled it.
    """
    now = timezone.now()
    if WebhookSubscription.objects.filter(id=subscription.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason[:300],
    ) != 1:
        return False
    subscriptions_changed()
    # Their last error stays as it was: the subscription's disabled_reason says why they stopped.
    open_statuses = [WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED]
    WebhookDelivery.objects.filter(subscription_id=subscription.pk, status__in=open_statuses).update(
        status=WebhookDelivery.Status.GAVE_UP, next_attempt_at=None,
    )
    logger.warning("webhook subscription %s disabled: %s", subscription.pk, reason)
    from webhooks.tasks import webhook_disabled_notice_task

    transaction.on_commit(partial(webhook_disabled_notice_task.delay, subscription.pk))
    subscription.refresh_from_db()
    return True


PRUNE_BATCH = 5000


def webhook_events_prune(*, now: dt.datetime | None = None) -> int:
    """Delete outbox events older than WEBHOOKS_RETENTION_DAYS with no delivery still open (their
    deliveries and attempts go with them), in batches. Idempotent; returns how many events went."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.WEBHOOKS_RETENTION_DAYS)
    still_open = WebhookDelivery.objects.filter(
        event_id=OuterRef("pk"), status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
    )
    old = WebhookEvent.objects.filter(created_at__lt=cutoff).filter(~Exists(still_open))
    deleted = 0
    while ids := list(old.values_list("id", flat=True)[:PRUNE_BATCH]):
        WebhookEvent.objects.filter(id__in=ids).delete()
        deleted += len(ids)
    return deleted
