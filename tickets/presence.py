"""Who is looking at which case right now, kept in Django's cache (Redis in production), never in the database.

Each case has one cache entry mapping user id → (display name, last seen timestamp). A viewer's page
refreshes its mark every 15–20 s; a mark older than PRESENCE_TTL_SECONDS is dropped. Two agents
touching the same entry at the same instant may lose one mark until the next refresh: presence is a
hint for people, not a lock, so that is acceptable (the reply form's own check is what prevents
lost or duplicated replies).
"""

from __future__ import annotations

import time

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache

PRESENCE_TTL_SECONDS = 60


def _key(ticket_id: int) -> str:
    return f"supportdesk:presence:ticket:{ticket_id}"


def _display_name(user: AbstractBaseUser) -> str:
    full = getattr(user, "get_full_name", lambda: "")()
    return str(full or user.get_username())


def presence_touch(*, ticket_id: int, user: AbstractBaseUser, now: float | None = None) -> list[str]:
    """Mark `user` as viewing the case; returns the names of the *other* current viewers, sorted."""
    now = time.time() if now is None else now
    viewers: dict[int, tuple[str, float]] = cache.get(_key(ticket_id)) or {}
    fresh = {uid: mark for uid, mark in viewers.items() if now - mark[1] < PRESENCE_TTL_SECONDS and uid != user.pk}
    others = sorted(name for name, _seen in fresh.values())
    fresh[int(user.pk)] = (_display_name(user), now)
    cache.set(_key(ticket_id), fresh, timeout=PRESENCE_TTL_SECONDS)
    return others
