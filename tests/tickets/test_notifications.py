from __future__ import annotations

import datetime as dt
import smtplib
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from logistics.models import AnomalyKind, ParcelAnomaly, TrackingNumberChange
from logistics.services import parcel_change_tracking_number
from tests.factories import BuyerFactory, ParcelFactory, TicketFactory, TrackingEventFactory, UserFactory
from tickets.anomaly_cases import tickets_open_anomaly_cases
from tickets.models import Message, Notification, NotificationKind, TicketStatus
from tickets.notifications import _notify_tracking_change, notify, tickets_notify_tracking_number_changes, unread_notifications
from tickets.services import message_create, ticket_buyer_reply, ticket_change_status
from tickets.tasks import notification_email_task, tickets_notify_tracking_number_changes_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(order):
    return TicketFactory(order=order, status=TicketStatus.OPEN)


def _note(user, **kwargs) -> Notification:
    values = {"kind": NotificationKind.STATUS_CHANGED, "title": "Case moved", "body": "It moved.", "url": "/cases/1/"}
    return notify(user=user, **(values | kwargs))


def test_agent_public_reply_notifies_the_buyer_with_one_email_in_their_language(ticket, agent, mailoutbox, django_capture_on_commit_callbacks):
    assert ticket.buyer.buyer_profile.language == "ru"
    with django_capture_on_commit_callbacks(execute=True):
        message_create(ticket=ticket, author=agent, body="Посылка нашлась, едет к вам.")
    notification = Notification.objects.get()
    assert (notification.user, notification.kind, notification.ticket) == (ticket.buyer, NotificationKind.AGENT_REPLIED, ticket)
    assert notification.url == reverse("portal:case-detail", args=[ticket.pk])
    assert ticket.reference in notification.title and "Посылка нашлась" in notification.body
    assert notification.emailed_at is not None
    [email] = mailoutbox
    assert email.to == [ticket.buyer.email]
    assert email.subject == f"[supportdesk] {notification.title}"
    assert email.extra_headers["Content-Language"] == "ru"
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html" and '<html lang="ru">' in html
    link = "http://127.0.0.1:8000" + notification.url
    assert link in email.body and f'href="{link}"' in html
    with translation.override("ru"):
        open_label = gettext("Open in supportdesk")  # Russian once the catalogue has it
    assert open_label in email.body and open_label in html
    if open_label != "Open in supportdesk":  # the Russian catalogue is compiled: the words are Russian too
        assert "Открыть" in email.body and "Новый ответ" in email.subject


def test_email_language_falls_back_to_the_shop_then_the_site(ticket, agent, mailoutbox, django_capture_on_commit_callbacks):
    ticket.buyer.buyer_profile.delete()
    ticket.shop.default_language = "zh-hans"
    ticket.shop.save(update_fields=["default_language"])
    ticket.buyer = type(ticket.buyer).objects.get(pk=ticket.buyer_id)  # forget the cached profile
    with django_capture_on_commit_callbacks(execute=True):
        message_create(ticket=ticket, author=agent, body="Hello")
        _note(UserFactory())  # neither profile nor shop: the site's language
    assert [m.extra_headers["Content-Language"] for m in mailoutbox] == ["zh-hans", "en"]


def test_html_email_escapes_the_reply(ticket, agent, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message_create(ticket=ticket, author=agent, body="<script>alert(1)</script>")
    html = mailoutbox[0].alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>" in mailoutbox[0].body  # the text part is plain text


def test_internal_notes_system_messages_and_the_buyers_own_reply_notify_nobody(ticket, agent, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message_create(ticket=ticket, author=agent, body="Carrier is slow", visibility=Message.Visibility.INTERNAL)
        message_create(ticket=ticket, author=None, body="Automatic update")
        message_create(ticket=ticket, author=ticket.buyer, body="Any news?")
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_status_change_by_an_agent_notifies_the_buyer(ticket, agent, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_status(ticket=ticket, status=TicketStatus.RESOLVED, acting_user=agent)
    notification = Notification.objects.get()
    assert (notification.kind, notification.user, notification.ticket) == (NotificationKind.STATUS_CHANGED, ticket.buyer, ticket)
    with translation.override("ru"):
        assert str(TicketStatus.RESOLVED.label) in notification.title
    assert len(mailoutbox) == 1


def test_status_change_by_the_buyer_notifies_nobody(ticket, mailoutbox, django_capture_on_commit_callbacks):
    ticket_change_status(ticket=ticket, status=TicketStatus.WAITING_ON_BUYER, acting_user=None)
    assert Notification.objects.filter(kind=NotificationKind.STATUS_CHANGED).count() == 1  # supportdesk moved it: told
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_buyer_reply(ticket=ticket, body="Here is the photo", acting_user=ticket.buyer)  # reply + back to open
        ticket_change_status(ticket=ticket, status=TicketStatus.CLOSED, acting_user=ticket.buyer)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert not Notification.objects.exists()
    assert mailoutbox == []


def _anomaly(kind: str, parcel=None) -> ParcelAnomaly:
    parcel = parcel or ParcelFactory()
    TrackingEventFactory(parcel=parcel)
    return ParcelAnomaly.objects.create(parcel=parcel, kind=kind)


@pytest.mark.parametrize(
    ("anomaly_kind", "kind"),
    [(AnomalyKind.DELAYED, NotificationKind.DELAY_DETECTED), (AnomalyKind.SUSPECTED_LOST, NotificationKind.LOSS_SUSPECTED)],
)
def test_a_case_opened_for_an_anomaly_notifies_the_buyer_once(anomaly_kind, kind, mailoutbox, django_capture_on_commit_callbacks):
    found = _anomaly(anomaly_kind)
    with django_capture_on_commit_callbacks(execute=True):
        assert tickets_open_anomaly_cases() == 1
        assert tickets_open_anomaly_cases() == 0
    notification = Notification.objects.get()
    assert (notification.kind, notification.user) == (kind, found.parcel.order.buyer)
    assert found.parcel.tracking_number in notification.title
    assert notification.ticket == found.parcel.tickets.get()
    assert len(mailoutbox) == 1


def test_an_anomaly_joining_an_existing_case_notifies_nobody_again():
    first = _anomaly(AnomalyKind.SUSPECTED_LOST)
    tickets_open_anomaly_cases()
    _anomaly(AnomalyKind.CARRIER_LOST, parcel=first.parcel)  # joins the lost-parcel case
    own = TicketFactory(order=(parcel := ParcelFactory()).order, parcel=parcel)  # the buyer's own delay case
    _anomaly(AnomalyKind.DELAYED, parcel=parcel)
    assert tickets_open_anomaly_cases() == 2
    assert own.anomaly_links.exists()
    assert Notification.objects.count() == 1


def _change(parcel=None, **kwargs) -> TrackingNumberChange:
    parcel = parcel or ParcelFactory()
    return parcel_change_tracking_number(parcel=parcel, new_number="RA123456789CN", reason="Relabelled at the hub", **({"acting_user": None} | kwargs))


def test_tracking_number_scan_notifies_the_buyer_once_however_often_it_runs(mailoutbox, django_capture_on_commit_callbacks):
    change = _change()
    with django_capture_on_commit_callbacks(execute=True):
        assert tickets_notify_tracking_number_changes() == 1
        assert tickets_notify_tracking_number_changes() == 0
        assert tickets_notify_tracking_number_changes_task.delay().get() == 0
    notification = Notification.objects.get()
    order = change.parcel.order
    assert (notification.kind, notification.user, notification.tracking_change) == (NotificationKind.TRACKING_NUMBER_CHANGED, order.buyer, change)
    assert "RA123456789CN" in notification.body and "Relabelled at the hub" in notification.body
    assert notification.url == reverse("portal:order-detail", args=[order.pk])
    assert len(mailoutbox) == 1


def test_tracking_number_scan_skips_old_changes_and_the_buyers_own():
    old = _change()
    TrackingNumberChange.objects.filter(id=old.id).update(changed_at=timezone.now() - dt.timedelta(days=8))
    parcel = ParcelFactory()
    _change(parcel=parcel, acting_user=parcel.order.buyer)
    assert tickets_notify_tracking_number_changes() == 0


def test_tracking_number_announced_by_a_concurrent_scan_is_not_announced_again():
    change = _change()
    _note(change.parcel.order.buyer, kind=NotificationKind.TRACKING_NUMBER_CHANGED, tracking_change=change)
    assert _notify_tracking_change(change) is False  # the unique constraint, past the scan's NOT EXISTS
    assert Notification.objects.count() == 1


def test_nothing_is_sent_before_commit(customer, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = _note(customer)
    assert mailoutbox == [] and len(callbacks) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is None
    callbacks[0]()  # the commit
    assert len(mailoutbox) == 1


def test_email_task_is_idempotent(customer, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification, no_address = _note(customer), _note(BuyerFactory(email=""))
    assert notification_email_task.delay(notification.id).get() is False
    notification_email_task(notification.id)
    assert [email.to for email in mailoutbox] == [[customer.email]]
    assert notification_email_task(0) is False  # deleted meanwhile: nothing to do
    assert Notification.objects.get(id=no_address.id).emailed_at is None


def test_a_send_failure_releases_the_claim_and_asks_celery_to_retry(customer, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = _note(customer)
    with mock.patch.object(EmailMultiAlternatives, "send", side_effect=smtplib.SMTPServerDisconnected("gone")):
        with pytest.raises(Retry) as retry:  # eager mode surfaces the retry Celery schedules
            callbacks[0]()
    assert isinstance(retry.value.exc, smtplib.SMTPServerDisconnected)
    notification.refresh_from_db()
    assert notification.emailed_at is None and mailoutbox == []
    notification_email_task.delay(notification.id)  # the retry
    notification.refresh_from_db()
    assert notification.emailed_at is not None and len(mailoutbox) == 1


def test_the_last_retry_gives_up_and_leaves_the_notification_unsent(customer):
    notification = _note(customer)  # the test's transaction never commits: the task runs only below
    assert notification_email_task.max_retries == 5
    with mock.patch.object(EmailMultiAlternatives, "send", side_effect=ConnectionRefusedError("refused")):
        with pytest.raises(ConnectionRefusedError):
            notification_email_task.apply(args=[notification.id], retries=5)
    notification.refresh_from_db()
    assert notification.emailed_at is None  # free for a later run to send


def test_a_permanent_error_is_not_retried(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = _note(customer)
    with mock.patch("tickets.notifications.render_to_string", side_effect=ValueError("bad template")):
        with pytest.raises(ValueError, match="bad template"):
            callbacks[0]()
    notification.refresh_from_db()
    assert notification.emailed_at is None


def test_list_shows_only_own_notifications_newest_first_and_marks_nothing_read(client, customer, other_customer):
    older = _note(customer, title="Older news")
    _note(customer, title="Newer news")
    Notification.objects.filter(id=older.id).update(created_at=timezone.now() - dt.timedelta(hours=1))
    _note(other_customer, title="Someone else's news")
    client.force_login(customer)
    html = client.get(reverse("portal:notification-list")).content.decode()
    assert html.index("Newer news") < html.index("Older news") and "Someone else" not in html
    assert html.count('data-state="unread"') == 2
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_list_is_paginated_and_needs_login(client, customer):
    Notification.objects.bulk_create([Notification(user=customer, kind="status_changed", title=f"n{i}", body="b") for i in range(31)])
    assert client.get(reverse("portal:notification-list")).status_code == 302
    client.force_login(customer)
    assert len(client.get(reverse("portal:notification-list")).context["page"].object_list) == 30
    assert len(client.get(reverse("portal:notification-list") + "?page=2").context["page"].object_list) == 1


def test_reading_one_marks_only_it_and_follows_its_link(client, customer, other_customer):
    first, theirs = _note(customer, url="/cases/7/"), _note(other_customer)
    _note(customer)
    client.force_login(customer)
    assert client.get(reverse("portal:notification-read", args=[first.pk])).status_code == 405
    response = client.post(reverse("portal:notification-read", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/cases/7/"
    assert client.post(reverse("portal:notification-read", args=[theirs.pk])).status_code == 404  # not yours
    assert client.post(reverse("portal:notification-read", args=[10**9])).status_code == 404  # no such
    assert list(Notification.objects.filter(read_at__isnull=False)) == [first]


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/x", "", "javascript:alert(1)"])
def test_reading_never_redirects_off_site(client, customer, url):
    notification = _note(customer, url=url)
    client.force_login(customer)
    response = client.post(reverse("portal:notification-read", args=[notification.pk]))
    assert response["Location"] == reverse("portal:notification-list")


def test_read_all_marks_only_own(client, customer, other_customer):
    _note(customer), _note(customer)
    theirs = _note(other_customer)
    client.force_login(customer)
    assert client.post(reverse("portal:notification-read-all"))["Location"] == reverse("portal:notification-list")
    assert not Notification.objects.filter(user=customer, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_navbar_bell_shows_the_unread_count(client, customer, other_customer):
    assert 'id="notification-bell"' not in client.get(reverse("home")).content.decode()
    _note(customer), _note(customer), _note(customer), _note(other_customer)
    read = _note(customer)
    Notification.objects.filter(id=read.id).update(read_at=timezone.now())
    client.force_login(customer)
    html = client.get(reverse("home")).content.decode()
    assert 'id="notification-bell"' in html and 'data-unread-count="3"' in html


def test_unread_count_costs_one_query(rf, customer, django_assert_num_queries):
    request = rf.get("/")
    request.user = customer
    context = unread_notifications(request)
    with django_assert_num_queries(1):
        assert int(str(context["unread_notification_count"])) == 0
        assert not context["unread_notification_count"]


def test_history_loaded_with_emails_off_is_listed_but_not_mailed(mailoutbox, django_capture_on_commit_callbacks):
    from tickets.notifications import notification_emails_off, notify

    buyer = BuyerFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, notification_emails_off():
        notify(user=buyer, kind="status_changed", title="Old news", body="From the past")
    assert callbacks == [] and mailoutbox == []
    assert buyer.notifications.get().title == "Old news"
