"""Throttles per token (or signed-in user) and per client IP, counted in the Django cache (Redis in production).

Rates come from API_THROTTLE_TOKEN_RATE and API_THROTTLE_IP_RATE ("600/min"); DRF answers 429 with Retry-After.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from api.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api_token"

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_TOKEN_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.id}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class IPRateThrottle(SimpleRateThrottle):
    """Checked before authentication (api.views.base), so guessing tokens is throttled too."""

    scope = "api_ip"

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_IP_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
