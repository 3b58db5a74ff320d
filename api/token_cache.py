"""API tokens with what authentication needs of them (shop, creator, the creator's standing), kept per process by
supportdesk.config_cache: a token's look-up was a third of the database's work for an API create (benchmark P5).

Every save and delete of a token, a shop, a membership or a user's active and superuser flags, in any process
(admin, API, shell), sends the signals connected here by ApiConfig.ready, so every process loads tokens again
before its next request; `token_revoke`, a queryset update, says so itself. Code that changes those rows with
bulk operations or queryset updates must call `tokens_changed()` too. Without a shared cache (no REDIS_URL)
nothing is kept: every request reads its token.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.db.models.signals import post_delete, post_save

from api.models import ApiToken
from orders.models import Shop, ShopMembership
from supportdesk.compiled import CompiledGet
from supportdesk.config_cache import config_cached, config_changed

M = TypeVar("M", bound=Model)
SCOPE = "api.tokens"
_USER_FIELDS_THAT_MATTER = frozenset({"is_active", "is_superuser"})


def tokens_with_creator_standing() -> QuerySet[ApiToken]:
    """Tokens with shop and creator, and `creator_is_staff`: one query per request for all authentication needs."""
    staff = ShopMembership.objects.filter(shop_id=OuterRef("shop_id"), user_id=OuterRef("created_by_id"), role=ShopMembership.Role.STAFF)
    return ApiToken.objects.select_related("shop", "created_by").annotate(creator_is_staff=Exists(staff))


# Compiled once per process: compiling this three-table query cost three times the CPU of running it.
_TOKEN_BY_HASH = CompiledGet(
    ApiToken, lambda key_hash: tokens_with_creator_standing().filter(key_hash=key_hash),
    probes=("probe:key_hash",), related=("shop", "created_by"), annotations=("creator_is_staff",),
)


def token_by_hash(key_hash: str) -> ApiToken | None:
    """The token with its shop, creator and `creator_is_staff` (revoked or not), or None. Each caller gets copies
    of its own: a request may change the user it acts as (Django's permission caches, for one)."""
    token = config_cached(SCOPE, key_hash, lambda: _TOKEN_BY_HASH.get(key_hash))
    if token is None:
        return None
    mine = _own(token)
    mine.shop, mine.created_by = _own(token.shop), _own(token.created_by)
    return mine


def _own(instance: M) -> M:
    mine = copy.copy(instance)
    mine._state = copy.copy(instance._state)
    mine._state.fields_cache = {}
    return mine


def tokens_changed(**_signal: Any) -> None:
    config_changed(SCOPE)


def _user_saved(update_fields: frozenset[str] | None = None, **signal: Any) -> None:
    if update_fields is None or update_fields & _USER_FIELDS_THAT_MATTER:  # not on every sign-in's last_login
        tokens_changed(**signal)


def connect_signals() -> None:
    for model in (ApiToken, Shop, ShopMembership, settings.AUTH_USER_MODEL):
        name = model if isinstance(model, str) else model.__name__
        post_delete.connect(tokens_changed, sender=model, dispatch_uid=f"api-tokens-deleted-{name}")
        if model != settings.AUTH_USER_MODEL:
            post_save.connect(tokens_changed, sender=model, dispatch_uid=f"api-tokens-saved-{name}")
    post_save.connect(_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="api-tokens-saved-user")
