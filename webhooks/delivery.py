"""Delivering one outbox event to one subscription: claim, send, record, schedule the retry.

The attempt is claimed with a conditional update that also counts it and pushes `next_attempt_at`
out by a lease, BEFORE the request: two workers cannot both send it, and a worker killed mid-send
leaves it due again when the lease ends (at-least-once; receivers deduplicate on `webhook-id`).
Its outcome is recorded after. No database transaction is held open during the HTTP call.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import time
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from webhooks import urlguard
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from webhooks.signing import sign

logger = logging.getLogger("webhooks.delivery")

# Base delays before attempt 2, 3, ...; full jitter picks uniformly in [0, base]. The last one repeats.
RETRY_SCHEDULE = (30, 120, 600, 3600, 6 * 3600, 12 * 3600, 24 * 3600)
MAX_RETRY_AFTER = 24 * 3600
EXCERPT_BYTES = 1024
USER_AGENT = "supportdesk-webhooks/1.0"
OPEN = (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""
    excerpt: str = ""
    duration_ms: int = 0
    retry_after: float | None = None


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: exponential schedule with full jitter."""
    base = RETRY_SCHEDULE[min(attempts, len(RETRY_SCHEDULE)) - 1]
    return random.uniform(0, base)  # noqa: S311 - jitter, not secrecy


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Retry-After in seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER)


def claim(delivery_id: int, now: dt.datetime) -> bool:
    """Take a due delivery for one attempt; False if it is not due or another worker took it."""
    lease = dt.timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS * 3 + 60)
    # The delivery's own columns in the UPDATE's WHERE, the subscription in a subquery: a join (subscription__is_active)
    # makes Django write `WHERE id IN (SELECT ... JOIN ...)`, and PostgreSQL re-checks only the outer condition on a
    # row another worker has just claimed, so both claims succeeded and the event went out twice.
    active = WebhookSubscription.objects.filter(is_active=True).values("id")
    return WebhookDelivery.objects.filter(
        id=delivery_id, status__in=OPEN, next_attempt_at__lte=now, subscription_id__in=active,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + lease, last_attempt_at=now) == 1


def body_of(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _pinned_request(target: urlguard.Target, body: bytes, headers: dict[str, str]) -> httpx.Request:
    """A request to the vetted address, with the real host name in Host and (for https) in SNI and
    certificate checks, so the connection cannot go anywhere the guard did not approve."""
    parts = target.parts
    address = f"[{target.address}]" if ":" in target.address else target.address
    default_port = 443 if parts.scheme.lower() == "https" else 80
    netloc = address if target.port == default_port else f"{address}:{target.port}"
    url = httpx.URL(f"{parts.scheme.lower()}://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else ""))
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host:  # an IPv6 literal
        host_header = f"[{target.host}]" if target.port == default_port else f"[{target.host}]:{target.port}"
    extensions = {"sni_hostname": target.host} if parts.scheme.lower() == "https" else {}
    return httpx.Request("POST", url, content=body, headers={**headers, "Host": host_header}, extensions=extensions)


def http_client() -> httpx.Client:
    """A client per attempt (the one seam tests patch, e.g. to trust a local CA). No redirects; and
    trust_env=False, because a proxy from the environment would connect by name and undo the pinning."""
    timeout = httpx.Timeout(settings.WEBHOOKS_TIMEOUT_SECONDS, connect=min(5.0, settings.WEBHOOKS_TIMEOUT_SECONDS))
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)


def send(*, url: str, secret: str, msg_id: str, body: bytes, now: dt.datetime) -> Outcome:
    """POST one signed attempt. Never raises for the receiver's faults: they come back as an Outcome."""
    try:
        target = urlguard.vet(url)
    except urlguard.UnsafeURL as error:
        return Outcome(ok=False, error=_("Refused: %(reason)s") % {"reason": error})
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT, "webhook-id": msg_id, "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    with http_client() as client:
        try:
            response = client.send(_pinned_request(target, body, headers), stream=True)
            try:
                excerpt = _read_excerpt(response)
            finally:
                response.close()
        except httpx.HTTPError as error:
            return Outcome(ok=False, error=f"{type(error).__name__}: {error}"[:500], duration_ms=_ms(started))
    return _judge(response, excerpt, _ms(started), now)


def _read_excerpt(response: httpx.Response) -> str:
    chunks = bytearray()
    for chunk in response.iter_bytes():
        chunks += chunk
        if len(chunks) >= EXCERPT_BYTES:
            break
    return bytes(chunks[:EXCERPT_BYTES]).decode("utf-8", errors="replace")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _judge(response: httpx.Response, excerpt: str, duration_ms: int, now: dt.datetime) -> Outcome:
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(ok=True, status_code=code, excerpt=excerpt, duration_ms=duration_ms)
    if 300 <= code < 400:
        error = _("Redirect to %(location)s not followed; register the final URL.") % {"location": response.headers.get("location", "?")}
    else:
        error = _("The endpoint answered HTTP %(code)s.") % {"code": code}
    retry_after = parse_retry_after(response.headers.get("retry-after"), now) if code in (429, 503) else None
    return Outcome(ok=False, status_code=code, error=error[:500], excerpt=excerpt, duration_ms=duration_ms, retry_after=retry_after)


def attempt(*, delivery_id: int, now: dt.datetime | None = None) -> Outcome | None:
    """Make one attempt at a due delivery; None if it was not due (already sent, claimed, disabled)."""
    now = now or timezone.now()
    if not claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("event", "subscription").get(id=delivery_id)
    subscription = delivery.subscription
    outcome = send(url=subscription.url, secret=subscription.secret, msg_id=delivery.event_id, body=body_of(delivery.event.payload), now=now)
    record(delivery=delivery, outcome=outcome, now=timezone.now())
    return outcome


def _next_status(delivery: WebhookDelivery, outcome: Outcome, now: dt.datetime) -> dict[str, object]:
    if outcome.ok:
        return {"status": WebhookDelivery.Status.SUCCEEDED, "next_attempt_at": None, "delivered_at": now, "last_error": ""}
    if delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
        return {"status": WebhookDelivery.Status.GAVE_UP, "next_attempt_at": None, "last_error": outcome.error}
    delay = outcome.retry_after if outcome.retry_after is not None else retry_delay(delivery.attempts)
    return {"status": WebhookDelivery.Status.FAILED, "next_attempt_at": now + dt.timedelta(seconds=delay), "last_error": outcome.error}


def record(*, delivery: WebhookDelivery, outcome: Outcome, now: dt.datetime) -> None:
    """Store the attempt's outcome and the subscription's health; disable it when it keeps failing."""
    from webhooks.services import subscription_disable

    changes = _next_status(delivery, outcome, now) | {
        "last_status_code": outcome.status_code, "response_excerpt": outcome.excerpt, "duration_ms": outcome.duration_ms,
    }
    with transaction.atomic():
        WebhookDelivery.objects.filter(id=delivery.pk).update(**changes)
        WebhookAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, attempted_at=delivery.last_attempt_at or now, succeeded=outcome.ok,
            status_code=outcome.status_code, error=outcome.error, response_excerpt=outcome.excerpt, duration_ms=outcome.duration_ms,
        )
        subscriptions = WebhookSubscription.objects.filter(id=delivery.subscription_id)
        if outcome.ok:
            subscriptions.update(consecutive_failures=0, failing_since=None)
            return
        subscriptions.update(consecutive_failures=F("consecutive_failures") + 1, failing_since=Coalesce(F("failing_since"), now))
        subscription = subscriptions.get()
        reason = disable_reason(subscription, now)
        if reason:
            subscription_disable(subscription=subscription, reason=reason)


def disable_reason(subscription: WebhookSubscription, now: dt.datetime) -> str:
    """Why the subscription should be disabled now, or "" while it may keep trying."""
    if subscription.consecutive_failures >= settings.WEBHOOKS_DISABLE_AFTER_FAILURES:
        return _("%(count)d delivery attempts in a row failed.") % {"count": subscription.consecutive_failures}
    since = subscription.failing_since
    if since is not None and now - since >= dt.timedelta(days=settings.WEBHOOKS_DISABLE_AFTER_DAYS):
        return _("Every delivery attempt has failed for %(days)d days.") % {"days": settings.WEBHOOKS_DISABLE_AFTER_DAYS}
    return ""


def due_delivery_ids(*, now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Open deliveries whose next attempt is due, oldest first (the dispatcher's scan)."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status__in=OPEN, next_attempt_at__lte=now, subscription__is_active=True)
    return list(due.order_by("next_attempt_at").values_list("id", flat=True)[:limit])
