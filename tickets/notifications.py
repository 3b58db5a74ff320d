"""Buyer notifications: a row in the portal and, once, an e-mail in the buyer's language.

They hang off the same records as everything else (DESIGN §3): the services that write a reply or a
status change call a `notify_*` function here; the anomaly-case opener does the same; tracking-number
changes are found by a set-based scan, because `logistics` never imports `tickets`. No signals.
The e-mail leaves only after the row is committed (STYLE rule 4), and at most once (rule 5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from logistics.models import AnomalyKind, TrackingNumberChange
from orders.models import Shop
from tickets.models import OPEN_STATUSES, Message, Notification, NotificationKind, Ticket, TicketEvent, TicketStatus
from tickets.tasks import notification_email_task
from tickets.webhook_events import record_message_created

TRACKING_SCAN_DAYS = 7
TRACKING_SCAN_BATCH = 500
_ANOMALY_KIND: dict[str, str] = {
    AnomalyKind.DELAYED: NotificationKind.DELAY_DETECTED,
    AnomalyKind.SUSPECTED_LOST: NotificationKind.LOSS_SUSPECTED,
    AnomalyKind.CARRIER_LOST: NotificationKind.LOSS_SUSPECTED,
}  # any other anomaly that opens a case is announced as a generic change of the case


def recipient_language(user: User, shop: Shop | None = None) -> str:
    """The buyer profile's language, else the shop's default, else the site default."""
    profile = getattr(user, "buyer_profile", None)
    return (profile.language if profile else "") or (shop.default_language if shop else "") or settings.LANGUAGE_CODE


_emails_off: ContextVar[bool] = ContextVar("supportdesk_notification_emails_off", default=False)


@contextmanager
def notification_emails_off() -> Iterator[None]:
    """Record notifications without e-mailing them: for loading history (demo data, imports),
    where mailing every buyer about events of the past would be wrong."""
    token = _emails_off.set(True)
    try:
        yield
    finally:
        _emails_off.reset(token)


def notify(
    *, user: User, kind: str, title: str, body: str, url: str = "", ticket: Ticket | None = None,
    tracking_change: TrackingNumberChange | None = None,
) -> Notification:
    """Record a notification and send its e-mail once the surrounding transaction commits.

    Raises IntegrityError when `tracking_change` was already announced to `user`.
    """
    notification = Notification.objects.create(
        user=user, kind=kind, title=Truncator(" ".join(title.split())).chars(200), body=body, url=url[:300],
        ticket=ticket, tracking_change=tracking_change,
    )
    if _emails_off.get():
        return notification
    # robust: a broker outage must not fail the reply that was already committed
    transaction.on_commit(partial(notification_email_task.delay, notification.id), robust=True)
    return notification


def _case_url(ticket: Ticket) -> str:
    return reverse("portal:case-detail", args=[ticket.pk])


def notify_agent_reply(*, message: Message) -> Notification | None:
    """Tell the buyer about a public reply written by a person other than the buyer; nothing otherwise."""
    ticket = message.ticket
    if message.visibility != Message.Visibility.PUBLIC or message.author_id is None or message.author_id == ticket.buyer_id:
        return None
    with translation.override(recipient_language(ticket.buyer, ticket.shop)):
        title = _("New reply on your case %(reference)s") % {"reference": ticket.reference}
        body = _("Support replied on your case “%(subject)s”:") % {"subject": ticket.subject}
        body = f"{body}\n\n{Truncator(message.body).chars(1000)}"
    return notify(user=ticket.buyer, kind=NotificationKind.AGENT_REPLIED, title=title, body=body, url=_case_url(ticket), ticket=ticket)


def notify_status_changed(*, ticket: Ticket, old: str, acting_user: User | None) -> Notification | None:
    """Tell the buyer their case moved, unless the buyer moved it."""
    if acting_user is not None and acting_user.pk == ticket.buyer_id:
        return None
    with translation.override(recipient_language(ticket.buyer, ticket.shop)):
        new_label = str(TicketStatus(ticket.status).label)
        title = _("Case %(reference)s: %(status)s") % {"reference": ticket.reference, "status": new_label}
        body = _("The status of your case “%(subject)s” changed from %(old)s to %(new)s.") % {
            "subject": ticket.subject, "old": TicketStatus(old).label, "new": new_label,
        }
    return notify(user=ticket.buyer, kind=NotificationKind.STATUS_CHANGED, title=title, body=body, url=_case_url(ticket), ticket=ticket)


def notify_case_opened(*, ticket: Ticket, anomaly_kind: str) -> Notification:
    """Tell the buyer supportdesk opened a case for a problem it detected with their parcel."""
    kind = _ANOMALY_KIND.get(anomaly_kind, NotificationKind.STATUS_CHANGED)
    values = {"reference": ticket.reference, "number": ticket.parcel.tracking_number if ticket.parcel else "—"}
    with translation.override(recipient_language(ticket.buyer, ticket.shop)):
        if kind == NotificationKind.DELAY_DETECTED:
            title = _("Your parcel %(number)s is running late") % values
            body = _("Parcel %(number)s is past its promised delivery date. We opened case %(reference)s and will keep you informed.")
        elif kind == NotificationKind.LOSS_SUSPECTED:
            title = _("Your parcel %(number)s may be lost") % values
            body = _("We have had no news of parcel %(number)s for too long. We opened case %(reference)s to find it "
                     "and, if it is lost, to claim compensation.")
        else:
            title = _("We opened case %(reference)s about parcel %(number)s") % values
            body = _("The carrier reported a problem with parcel %(number)s. We opened case %(reference)s and will keep you informed.")
        body = body % values
    return notify(user=ticket.buyer, kind=kind, title=title, body=body, url=_case_url(ticket), ticket=ticket)


def _notify_tracking_change(change: TrackingNumberChange) -> bool:
    order = change.parcel.order
    values = {
        "posting": order.posting_number, "old": change.old_number, "old_carrier": change.old_carrier.name,
        "new": change.new_number, "new_carrier": change.new_carrier.name, "reason": change.reason,
    }
    with translation.override(recipient_language(order.buyer, order.shop)):
        title = _("New tracking number for order %(posting)s") % values
        body = _("The tracking number of your parcel changed from %(old)s (%(old_carrier)s) to %(new)s (%(new_carrier)s). "
                 "Reason: %(reason)s") % values
    try:
        with transaction.atomic():
            notify(
                user=order.buyer, kind=NotificationKind.TRACKING_NUMBER_CHANGED, title=title, body=body,
                url=reverse("portal:order-detail", args=[order.pk]), tracking_change=change,
            )
            # Only reached when the notification row is new, and rolled back with it: one message per change.
            _post_tracking_change_to_open_cases(change)
    except IntegrityError:
        return False  # a concurrent scan announced it first
    return True


def notify_tracking_number_change(*, change: TrackingNumberChange) -> bool:
    """Announce one change now (the desk's case page), exactly as the scan would; the scan then skips it.

    Returns False if it was already announced.
    """
    return _notify_tracking_change(change)


def _post_tracking_change_to_open_cases(change: TrackingNumberChange) -> int:
    """Add one public system message about `change` to each open case of its parcel; returns how many.

    Written here rather than through message_create: a message from supportdesk itself is not a
    support reply, so it must not stop the first-response clock or notify the buyer a second time.
    """
    order = change.parcel.order
    cases = list(Ticket.objects.filter(parcel_id=change.parcel_id, status__in=OPEN_STATUSES).order_by("id"))
    if not cases:
        return 0
    link = change.new_carrier.tracking_url(change.new_number) or (
        settings.SITE_URL.rstrip("/") + reverse("portal:order-detail", args=[order.pk])
    )
    values = {
        "old": change.old_number, "old_carrier": change.old_carrier.name, "new": change.new_number,
        "new_carrier": change.new_carrier.name, "reason": change.reason.rstrip("."), "link": link,
    }
    with translation.override(recipient_language(order.buyer, order.shop)):
        body = _("The tracking number of your parcel changed from %(old)s (%(old_carrier)s) to %(new)s (%(new_carrier)s): "
                 "%(reason)s. Track it here: %(link)s") % values
    now = timezone.now()
    messages = Message.objects.bulk_create(
        Message(ticket=case, author=None, visibility=Message.Visibility.PUBLIC, body=body, created_at=now) for case in cases
    )
    TicketEvent.objects.bulk_create(
        TicketEvent(ticket=case, kind=TicketEvent.Kind.REPLIED, actor=None, new_value=str(message.pk), created_at=now)
        for case, message in zip(cases, messages, strict=True)
    )
    for message in messages:
        record_message_created(message=message)  # public system messages are case messages for webhooks too
    return len(messages)


def tickets_notify_tracking_number_changes(*, now: dt.datetime | None = None, limit: int = TRACKING_SCAN_BATCH) -> int:
    """Announce each recent tracking-number change to the order's buyer once. Idempotent; returns how many it announced.

    With the announcement, each open case of the parcel gets one public system message about the change
    (same transaction, so once per change however often or concurrently the scan runs).
    Changes the buyer made themselves are not announced to them.
    """
    since = (now or timezone.now()) - dt.timedelta(days=TRACKING_SCAN_DAYS)
    announced = Notification.objects.filter(tracking_change_id=OuterRef("pk"), user_id=OuterRef("parcel__order__buyer_id"))
    pending = (
        TrackingNumberChange.objects.filter(changed_at__gte=since)
        .exclude(changed_by_id=F("parcel__order__buyer_id"))
        .filter(~Exists(announced))
        .select_related("parcel__order__buyer__buyer_profile", "parcel__order__shop", "old_carrier", "new_carrier")
        .order_by("changed_at", "id")[:limit]
    )
    return sum(_notify_tracking_change(change) for change in pending)


def notifications_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Notification]:
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def get_notification_for_user(user: AbstractBaseUser | AnonymousUser, notification_id: int) -> Notification:
    """The user's own notification. Raises Http404 for "no such notification" and "not yours" alike."""
    try:
        return notifications_for_user(user).get(id=notification_id)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404("No such notification") from None


def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one notification read; reading it again keeps the first time."""
    now = timezone.now()
    if Notification.objects.filter(id=notification.id, read_at__isnull=True).update(read_at=now) == 1:
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, user: AbstractBaseUser | AnonymousUser) -> int:
    return notifications_for_user(user).filter(read_at__isnull=True).update(read_at=timezone.now())


def _notification_shop(notification: Notification) -> Shop | None:
    if notification.ticket is not None:
        return notification.ticket.shop
    if notification.tracking_change is not None:
        return notification.tracking_change.parcel.order.shop
    return None


def _email(notification: Notification) -> EmailMultiAlternatives:
    user = notification.user
    language = recipient_language(user, _notification_shop(notification))
    link = settings.SITE_URL.rstrip("/") + (notification.url or reverse("portal:notification-list"))
    context = {"notification": notification, "title": notification.title, "body": notification.body, "link": link, "language": language}
    with translation.override(language):
        text = render_to_string("emails/notification.txt", context)
        html = render_to_string("emails/notification.html", context)
    email = EmailMultiAlternatives(
        subject=f"[supportdesk] {notification.title}", body=text, to=[user.email], headers={"Content-Language": language},
    )
    email.attach_alternative(html, "text/html")
    return email


def notification_send_email(*, notification: Notification) -> bool:
    """Send the notification's e-mail at most once; returns whether this call sent it.

    The row is claimed with a conditional update before sending, so a rerun or a second worker sends
    nothing. If sending fails the claim is released and the error re-raised, for the task to retry.
    """
    if not notification.user.email:
        return False
    email = _email(notification)
    claimed_at = timezone.now()
    if Notification.objects.filter(id=notification.id, emailed_at__isnull=True).update(emailed_at=claimed_at) != 1:
        return False
    try:
        email.send()
    except Exception:
        Notification.objects.filter(id=notification.id, emailed_at=claimed_at).update(emailed_at=None)
        raise
    notification.emailed_at = claimed_at
    return True


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """Context processor: the navbar bell's unread count, counted only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notification_count": SimpleLazyObject(lambda: Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count())}
