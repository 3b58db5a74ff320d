"""Recording events in the outbox: one row per change, plus a delivery row per subscription that wants it.

Called by the services that make the changes, inside their transactions, so an event exists exactly
when its change was committed. Delivery is enqueued on commit only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from orders.models import Shop
from webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from webhooks.selectors import active_subscriptions_of_shop, active_subscriptions_to

Data = Mapping[str, Any]
BATCH = 1000


def envelope(*, event_type: str, data: Data, created_at: Any) -> dict[str, Any]:
    """The body every event is sent as (Standard Webhooks' recommended shape)."""
    return {"type": event_type, "timestamp": iso(created_at), "data": dict(data)}


def iso(moment: Any) -> str | None:
    """ISO 8601 in UTC with a Z, the one timestamp format of every payload."""
    if moment is None:
        return None
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return str(moment.isoformat())  # a date


def _enqueue_on_commit(delivery_ids: list[int]) -> None:
    from webhooks.tasks import webhook_delivery_attempt_task

    # on commit: the worker must see the rows (celery-types lacks DjangoTask.delay_on_commit)
    for delivery_id in delivery_ids:
        transaction.on_commit(partial(webhook_delivery_attempt_task.delay, delivery_id))


def record_event(
    *, shop: Shop | int, event_type: str, data: Data | Callable[[], Data], subscriptions: Sequence[WebhookSubscription] | None = None,
) -> WebhookEvent | None:
    """One outbox row and its deliveries; None (and no row) if no active subscription wants it.

    `data` may be a function, so that building the payload costs nothing without subscribers.
    """
    shop_id = shop if isinstance(shop, int) else shop.pk
    if subscriptions is None:
        subscriptions = active_subscriptions_of_shop(event_type, shop_id)
    if not subscriptions:
        return None
    now = timezone.now()
    payload = envelope(event_type=event_type, data=data() if callable(data) else data, created_at=now)
    with transaction.atomic():
        event = WebhookEvent.objects.create(shop_id=shop_id, type=event_type, payload=payload, created_at=now)
        deliveries = WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(event=event, subscription=s, next_attempt_at=now, created_at=now) for s in subscriptions]
        )
        _enqueue_on_commit([delivery.pk for delivery in deliveries])  # both databases return ids from bulk inserts
    return event


def record_events_many(*, event_type: str, items: Sequence[tuple[int, Data]]) -> int:
    """Bulk form for the set-based paths (ingest, anomaly sweep): `items` are (shop id, data).

    One query finds the subscriptions; events and deliveries go in with bulk_create. Returns the
    number of events recorded.
    """
    if not items:
        return 0
    by_shop: dict[int, list[WebhookSubscription]] = {}
    for subscription in active_subscriptions_to(event_type, shop_ids={shop_id for shop_id, _data in items}):
        by_shop.setdefault(subscription.shop_id, []).append(subscription)
    now = timezone.now()
    events: list[WebhookEvent] = []
    deliveries: list[WebhookDelivery] = []
    for shop_id, data in items:
        if shop_id not in by_shop:
            continue
        event = WebhookEvent(shop_id=shop_id, type=event_type, payload=envelope(event_type=event_type, data=data, created_at=now),
                             created_at=now)
        events.append(event)
        deliveries += [WebhookDelivery(event=event, subscription=s, next_attempt_at=now, created_at=now) for s in by_shop[shop_id]]
    with transaction.atomic():
        WebhookEvent.objects.bulk_create(events, batch_size=BATCH)
        WebhookDelivery.objects.bulk_create(deliveries, batch_size=BATCH)
    if deliveries:
        # One dispatcher pass after commit finds them all (ids may not come back from a bulk insert).
        from webhooks.tasks import webhooks_dispatch_due_task

        transaction.on_commit(webhooks_dispatch_due_task.delay)
    return len(events)


def subscribed_sql(*, event_type: str, shop_id_sql: str) -> tuple[str, list[Any]]:
    """An SQL boolean: does the shop `shop_id_sql` have an active subscription to `event_type`?

    For set-based statements that must not spend a query of their own on the question (ingest's
    RETURNING clause). `events` is a JSON list; its text contains the type in double quotes.
    """
    table = WebhookSubscription._meta.db_table
    events = "ws.events::text" if connection.vendor == "postgresql" else "ws.events"
    sql = f"EXISTS (SELECT 1 FROM {table} AS ws WHERE ws.shop_id = {shop_id_sql} AND ws.is_active AND {events} LIKE %s)"  # noqa: S608
    return sql, [f"%{json.dumps(event_type)}%"]
