"""Thin Celery wrappers around ticket services."""

from __future__ import annotations

import smtplib

from celery import shared_task


@shared_task(acks_late=True)
def tickets_record_sla_breaches_task() -> int:
    """Record new breaches, then escalate each breach once (both idempotent)."""
    from tickets.services import tickets_record_sla_breaches
    from tickets.sla.alerts import tickets_escalate_sla_breaches

    recorded = tickets_record_sla_breaches()
    tickets_escalate_sla_breaches()
    return recorded


@shared_task(acks_late=True)
def tickets_warn_sla_task() -> int:
    from tickets.sla.alerts import tickets_warn_sla

    return tickets_warn_sla()


@shared_task(acks_late=True)
def tickets_open_anomaly_cases_task() -> int:
    """Open cases for new anomalies, then tell cases whose anomaly cleared."""
    from tickets.anomaly_cases import tickets_note_resolved_anomalies, tickets_open_anomaly_cases

    opened = tickets_open_anomaly_cases()
    tickets_note_resolved_anomalies()
    return opened


# Transient only: SMTPException and socket errors are OSErrors; a bad template is a bug, not retried.
@shared_task(
    acks_late=True, autoretry_for=(smtplib.SMTPException, OSError), retry_backoff=60, retry_jitter=True, max_retries=5,
)
def notification_email_task(notification_id: int) -> bool:
    from tickets.models import Notification
    from tickets.notifications import notification_send_email

    related = ("user__buyer_profile", "ticket__shop", "tracking_change__parcel__order__shop")
    notification = Notification.objects.select_related(*related).filter(id=notification_id).first()
    if notification is None:
        return False  # deleted since (e.g. the case was removed): nothing to say
    return notification_send_email(notification=notification)


@shared_task(acks_late=True)
def tickets_notify_tracking_number_changes_task() -> int:
    from tickets.notifications import tickets_notify_tracking_number_changes

    return tickets_notify_tracking_number_changes()
