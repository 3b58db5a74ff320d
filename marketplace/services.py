"""Ozon sync (postings in) and the tracking-number push (numbers out)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from logistics.models import Parcel, TrackingNumberChange
from marketplace.buyers import BuyerRef
from marketplace.models import MarketplaceAccount, MarketplacePush
from marketplace.ozon.client import PAGE_SIZE, OzonClient
from marketplace.ozon.errors import OzonPermanentError, OzonTemporaryError
from marketplace.ozon.parsing import Posting
from marketplace.ozon.statuses import OZON_STATUSES
from marketplace.postings import LineData, PostingData, postings_upsert
from orders.models import FulfilmentScheme

logger = logging.getLogger("marketplace.sync")

SYNC_OVERLAP = dt.timedelta(minutes=30)  # re-ask a little of the last window: Ozon's status dates may lag
PUSH_SCAN_DAYS = 7
PUSH_MAX_ATTEMPTS = 8
PUSH_LEASE = dt.timedelta(minutes=5)  # a claimed push whose worker died is due again after this


@dataclass
class SyncReport:
    pages: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # postings we could not read or whose status we do not know
    warnings: list[str] = field(default_factory=list)


def ozon_client_for(account: MarketplaceAccount) -> OzonClient:
    return OzonClient(client_id=account.client_id, api_key=account.api_key)


def posting_data_from_ozon(posting: Posting) -> PostingData | None:
    """The writer's view of an API posting; None for a status we do not know or no date at all (logged, skipped)."""
    if posting.status not in OZON_STATUSES:
        logger.warning("posting %s has an unknown Ozon status %r: skipped", posting.posting_number, posting.status)
        return None
    placed_at = posting.in_process_at or posting.shipment_date  # never "now": a re-sync would see a new value each time
    if placed_at is None:
        logger.warning("posting %s has neither in_process_at nor shipment_date: skipped", posting.posting_number)
        return None
    customer = posting.customer
    currency = posting.products[0].currency if posting.products else "RUB"
    return PostingData(
        posting_number=posting.posting_number, order_number=posting.order_number, ozon_status=posting.status,
        placed_at=placed_at, currency=currency,
        declared_value=sum((p.price * p.quantity for p in posting.products), start=Decimal("0.00")),
        lines=tuple(LineData(sku=p.offer_id[:64], name=p.name[:300], quantity=p.quantity, unit_price=p.price) for p in posting.products),
        tracking_number=posting.tracking_number, delivery_method=f"{posting.tpl_provider} | {posting.delivery_method}",
        ozon_logistics=posting.tpl_integration_type == "ozon", shipped_at=posting.delivering_date,
        promised_date=posting.promised_date,
        recipient_name=customer.name[:200] if customer else "", recipient_phone=customer.phone[:32] if customer else "",
        region=customer.region[:120] if customer else "", city=customer.city[:120] if customer else "",
        postal_code=customer.postal_code[:16] if customer else "", address_line=customer.address_line[:300] if customer else "",
        buyer=BuyerRef(customer_id=customer.customer_id, name=customer.name, phone=customer.phone, email=customer.email)
        if customer and customer.customer_id else BuyerRef(),
    )


def _apply(account: MarketplaceAccount, postings: tuple[Posting, ...], report: SyncReport, now: dt.datetime) -> None:
    data = [d for d in (posting_data_from_ozon(p) for p in postings) if d is not None]
    report.skipped += len(postings) - len(data)
    result = postings_upsert(shop=account.shop, postings=data, strict=False, now=now)
    report.created += result.count("created")
    report.updated += result.count("updated")
    report.unchanged += result.count("unchanged")
    report.warnings += [f"{number}: {why}" for number, why in result.warnings.items()]


def ozon_sync_account(*, account: MarketplaceAccount, now: dt.datetime | None = None) -> SyncReport:
    """Pull the account's FBS postings into orders and parcels, page by page. Idempotent.

    Asks for postings created in the last MARKETPLACE_OZON_LOOKBACK_DAYS and, after the first run, only
    those whose status changed since the cursor (minus an overlap). Each page is written as it comes;
    the cursor moves only when every page is in. Raises OzonTemporaryError (retry later; the cursor stays)
    and OzonPermanentError (recorded on the account as `last_error`).
    """
    now = now or timezone.now()
    client = ozon_client_for(account)
    since = now - dt.timedelta(days=settings.MARKETPLACE_OZON_LOOKBACK_DAYS)
    changed_since = account.sync_cursor - SYNC_OVERLAP if account.sync_cursor else None
    report, offset = SyncReport(), 0
    try:
        while True:
            page = client.list_fbs_postings(since=since, to=now, offset=offset, status_changed_since=changed_since)
            report.pages += 1
            report.skipped += page.skipped
            _apply(account, page.postings, report, now)
            if not page.has_next or not page.postings:
                break
            offset += PAGE_SIZE
    except OzonPermanentError as error:
        MarketplaceAccount.objects.filter(id=account.id).update(last_error=error.message[:300])
        raise
    MarketplaceAccount.objects.filter(id=account.id).update(sync_cursor=now, last_synced_at=now, last_error="")
    account.sync_cursor = account.last_synced_at = now
    account.last_error = ""
    return report


def ozon_refresh_posting(*, account: MarketplaceAccount, posting_number: str) -> SyncReport:
    """Fetch one posting's details (/v3/posting/fbs/get) and write it, as the list sync would."""
    now = timezone.now()
    report = SyncReport(pages=1)
    _apply(account, (ozon_client_for(account).get_fbs_posting(posting_number),), report, now)
    return report


def marketplace_queue_tracking_pushes(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Give each recent tracking-number change of an Ozon FBS posting (active account) its MarketplacePush row.

    One row per change (unique), so a rerun or a concurrent scan queues nothing twice. Returns how many it queued.
    """
    now = now or timezone.now()
    account_path = "parcel__order__shop__marketplace_account"
    rows = (
        TrackingNumberChange.objects.filter(
            changed_at__gte=now - dt.timedelta(days=PUSH_SCAN_DAYS), marketplace_push__isnull=True,
            parcel__direction=Parcel.Direction.FORWARD, parcel__order__scheme=FulfilmentScheme.FBS, **{f"{account_path}__is_active": True},
        )
        .order_by("changed_at", "id")
        .values_list("id", f"{account_path}__id", "parcel__order__posting_number", "new_number")[:limit]
    )
    pushes = [
        MarketplacePush(change_id=change_id, account_id=account_id, posting_number=posting, tracking_number=number, next_attempt_at=now)
        for change_id, account_id, posting, number in rows
    ]
    return len(MarketplacePush.objects.bulk_create(pushes, ignore_conflicts=True))


def _finish(push: MarketplacePush, **values: object) -> MarketplacePush:
    MarketplacePush.objects.filter(id=push.id).update(**values)
    for name, value in values.items():
        setattr(push, name, value)
    return push


def marketplace_push_send(*, push: MarketplacePush, now: dt.datetime | None = None) -> MarketplacePush:
    """Tell Ozon the change's new number, at most once successfully.

    The row is claimed with a conditional update first (a second worker gets nothing to do); a change
    overtaken by a newer one of the same parcel is superseded, not sent. Temporary errors leave it
    pending with backoff (Retry-After when Ozon gives one) until PUSH_MAX_ATTEMPTS; permanent errors and
    a refusal by Ozon are recorded as failed.
    """
    now = now or timezone.now()
    change = push.change
    if TrackingNumberChange.objects.filter(parcel_id=change.parcel_id, changed_at__gt=change.changed_at).exists():
        return _finish(push, status=MarketplacePush.Status.SUPERSEDED, next_attempt_at=None)
    claimed = MarketplacePush.objects.filter(id=push.id, status=MarketplacePush.Status.PENDING, attempts=push.attempts).update(
        attempts=F("attempts") + 1, next_attempt_at=now + PUSH_LEASE
    )
    if claimed != 1:
        return push
    push.attempts += 1
    try:
        results = ozon_client_for(push.account).set_tracking_numbers([(push.posting_number, push.tracking_number)])
    except OzonTemporaryError as error:
        if push.attempts >= PUSH_MAX_ATTEMPTS:
            return _finish(push, status=MarketplacePush.Status.FAILED, next_attempt_at=None, last_error=error.message[:300])
        wait = error.retry_after if error.retry_after is not None else min(3600.0, 30.0 * 2**push.attempts)
        return _finish(push, next_attempt_at=now + dt.timedelta(seconds=wait), last_error=error.message[:300])
    except OzonPermanentError as error:
        return _finish(push, status=MarketplacePush.Status.FAILED, next_attempt_at=None, last_error=error.message[:300])
    mine = next((r for r in results if r.posting_number == push.posting_number), None)
    if mine is None or not mine.ok:
        why = "; ".join(mine.errors) if mine and mine.errors else "Ozon did not accept the tracking number"
        return _finish(push, status=MarketplacePush.Status.FAILED, next_attempt_at=None, last_error=why[:300])
    return _finish(push, status=MarketplacePush.Status.SENT, next_attempt_at=None, sent_at=now, last_error="")


def marketplace_push_due(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Queue new changes, then send the pushes that are due; returns how many were sent."""
    now = now or timezone.now()
    marketplace_queue_tracking_pushes(now=now)
    due = (
        MarketplacePush.objects.filter(status=MarketplacePush.Status.PENDING, next_attempt_at__lte=now)
        .select_related("account", "change").order_by("next_attempt_at", "id")[:limit]
    )
    return sum(marketplace_push_send(push=push, now=now).status == MarketplacePush.Status.SENT for push in due)
