"""Writes of the API app: tokens, and the composite writes the API needs from the domain services."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from contextlib import nullcontext
from typing import cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken, IdempotencyRecord, TokenScope
from api.token_cache import tokens_changed
from logistics.models import Parcel
from orders.models import Order, Shop, ShopMembership
from tickets.evidence import CleanEvidence, evidence_attach, evidence_check_case_budget
from tickets.models import Message, Ticket, TicketChannel, TicketPriority
from tickets.services import message_create, ticket_buyer_reply, ticket_open

TOKEN_PREFIX = "sdk_"  # noqa: S105  (a visible prefix, not a secret)
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def user_may_manage_tokens(user: User, shop: Shop) -> bool:
    """Superusers, and the shop's own staff (not the support agents who serve it)."""
    if user.is_superuser:
        return True
    return ShopMembership.objects.filter(shop=shop, user_id=user.pk, role=ShopMembership.Role.STAFF).exists()


def token_create(*, shop: Shop, name: str, scope: str = TokenScope.SHOP, acting_user: User) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is not stored and cannot be shown again.

    The secret is `sdk_` + 43 url-safe characters (256 bits); only its sha256 is kept. Raises
    ValidationError if `acting_user` may not manage the shop's tokens or a field is invalid.
    """
    if not user_may_manage_tokens(acting_user, shop):
        raise ValidationError(_("Only the shop's own staff can create its API tokens."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(shop=shop, name=name.strip(), scope=scope, prefix=secret[:12], key_hash=token_hash(secret), created_by=acting_user)
    token.full_clean()
    token.save()
    return token, secret


def token_revoke(*, token: ApiToken, acting_user: User) -> ApiToken:
    """Revoke a token at once (idempotent: revoking twice keeps the first time). Raises ValidationError if not allowed."""
    if not user_may_manage_tokens(acting_user, token.shop):
        raise ValidationError(_("Only the shop's own staff can revoke its API tokens."))
    ApiToken.objects.filter(id=token.id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    tokens_changed()  # an update sends no signal (api.token_cache)
    token.refresh_from_db(fields=["revoked_at"])
    return token


# key_hash -> when this process last knew the token's last_used_at fresh: the instance a request gets is a copy of the
# one kept per process (api.token_cache), so what the instance says can be older than this process's last write.
_fresh_at: dict[str, dt.datetime] = {}


def token_touch(*, token: ApiToken, now: dt.datetime | None = None) -> None:
    """Record use, at most about once a minute: a conditional UPDATE, so busy tokens cost no write per request."""
    now = now or timezone.now()
    known = [moment for moment in (token.last_used_at, _fresh_at.get(token.key_hash)) if moment is not None]
    if known and now - max(known) < LAST_USED_RESOLUTION:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    if ApiToken.objects.filter(stale, id=token.id).update(last_used_at=now):
        token.last_used_at = now
    _fresh_at[token.key_hash] = now  # written now, or by another process less than a minute ago


def idempotency_records_purge(*, now: dt.datetime | None = None) -> int:
    """Delete expired Idempotency-Key records; returns how many."""
    deleted, _rows = IdempotencyRecord.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


def case_open(
    *, order: Order, parcel: Parcel | None, kind: str, subject: str, body: str, acting_user: User,
    evidence: Sequence[tuple[str, Sequence[CleanEvidence]]] = (), priority: str = TicketPriority.NORMAL,
) -> Ticket:
    """Open a case on `order` through the API with its evidence, as one unit (a refused file rolls it all back).

    `evidence` is (evidence kind, cleaned files) pairs, checked as in the portal (tickets.evidence).
    Raises ValidationError from ticket_open or the evidence checks.
    """
    files = [file for _kind, group in evidence for file in group]
    # A transaction of its own (a savepoint inside a caller's) only where something can be refused after the case is
    # written: its files. ticket_open checks all else before it writes, and writes atomically (SAVEPOINT and RELEASE
    # were two of the nine statements of a create, benchmark P5).
    with transaction.atomic() if files else nullcontext():
        ticket, first = ticket_open(
            shop=order.shop, buyer=cast(User, order.buyer), kind=kind, subject=subject, body=body, order=order, parcel=parcel,
            channel=TicketChannel.API, priority=priority, acting_user=acting_user,
        )
        if files:
            evidence_check_case_budget(ticket=ticket, files=files)
            for evidence_kind, group in evidence:
                evidence_attach(message=first, files=group, evidence_kind=evidence_kind, acting_user=acting_user)
    return ticket


@transaction.atomic
def case_reply(
    *, ticket: Ticket, body: str, visibility: str, as_buyer: bool, acting_user: User,
    files: Sequence[CleanEvidence] = (), evidence_kind: str = "other",
) -> Message:
    """A reply through the API: as the case's buyer (buyer-facing tokens relay the buyer's words) or as shop staff.

    Raises ValidationError for an empty body, a settled case (buyer), an internal note from a buyer, or evidence over budget.
    """
    if as_buyer:
        if visibility != Message.Visibility.PUBLIC:
            raise ValidationError({"visibility": _("Buyer-facing tokens can only write public messages.")})
        message = ticket_buyer_reply(ticket=ticket, body=body, acting_user=cast(User, ticket.buyer))
    else:
        message = message_create(ticket=ticket, author=acting_user, body=body, visibility=visibility)
    if files:
        evidence_check_case_budget(ticket=ticket, files=files)
        uploader = cast(User, ticket.buyer) if as_buyer else acting_user
        evidence_attach(message=message, files=files, evidence_kind=evidence_kind, acting_user=uploader)
    return message
