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


# Pillow errors are the file's fault and end in a refusal inside the service; only I/O is worth a retry.
@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=10, retry_jitter=True, max_retries=5)
def attachment_sanitize_task(attachment_id: int) -> str:
    from tickets.evidence import attachment_sanitize
    from tickets.models import Attachment

    attachment = Attachment.objects.select_related("ticket__buyer", "ticket__shop").filter(id=attachment_id).first()
    if attachment is None:
        return "gone"
    return attachment_sanitize(attachment=attachment).state


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=10, retry_jitter=True, max_retries=5)
def attachments_sanitize_task(attachment_ids: list[int]) -> list[str]:
    """The pending images one transaction stored, in one task (tickets.services.attachment_add); idempotent, so a retry
    redoes only those still pending."""
    return [attachment_sanitize_task(attachment_id) for attachment_id in attachment_ids]


@shared_task(acks_late=True)
def attachments_resend_pending_task() -> int:
    from tickets.evidence import attachments_resend_pending

    return attachments_resend_pending()
