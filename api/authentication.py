"""`Authorization: Bearer sdk_...` authentication for shop API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from api.models import ApiToken
from api.services import TOKEN_PREFIX, token_hash, token_touch
from api.token_cache import token_by_hash


def bearer_secret(request: Request) -> str | None:
    """The secret of a well-formed `Authorization: Bearer …` header, else None (authentication says what is wrong)."""
    parts = get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() != ApiTokenAuthentication.keyword.lower().encode():
        return None
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        return None


class ApiTokenAuthentication(BaseAuthentication):
    """The token acts with its creator's rights, limited to the token's shop (see api.access).

    A token stops working when it is revoked, or when its creator is deactivated or no longer the
    shop's staff (a person who leaves takes their integrations' rights with them).
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as “Authorization: Bearer sdk_…”."))
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not secret.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = token_by_hash(token_hash(secret))
        if token is None or not token.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        user = token.created_by
        if not user.is_active or not (user.is_superuser or token.creator_is_staff):  # type: ignore[attr-defined]
            raise exceptions.AuthenticationFailed(_("The token's creator no longer works for this shop; create a new token."))
        token_touch(token=token)
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A shop API token, `sdk_…`, created at /api/tokens/."}
