"""Telling a shop's staff that one of its webhook subscriptions was disabled."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils.translation import gettext as _

from orders.models import ShopMembership
from webhooks.models import WebhookSubscription


def staff_emails(shop_id: int) -> list[str]:
    """E-mail addresses of the shop's own staff (not the support agents who serve it)."""
    users = get_user_model().objects.filter(
        shop_memberships__shop_id=shop_id, shop_memberships__role=ShopMembership.Role.STAFF, is_active=True,
    ).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def notice_disabled(*, subscription: WebhookSubscription) -> int:
    """Send the notice; returns how many addresses it went to."""
    recipients = staff_emails(subscription.shop_id)
    if not recipients:
        return 0
    subject = _("Webhook disabled: %(url)s") % {"url": subscription.url}
    body = _(
        "supportdesk stopped sending events to %(url)s (%(description)s) for %(shop)s.\n\n"
        "Reason: %(reason)s\nLast error: %(error)s\n\n"
        "Fix the endpoint, then re-enable the subscription in the admin or through the API; "
        "events that were not delivered are listed in the delivery log."
    ) % {
        "url": subscription.url, "description": subscription.description or "-", "shop": subscription.shop.name,
        "reason": subscription.disabled_reason,
        "error": subscription.deliveries.exclude(last_error="").order_by("-last_attempt_at").values_list("last_error", flat=True).first() or "-",
    }
    send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients])
    return len(recipients)
