"""OpenAPI: every operation documents its problem responses and, for POST, the Idempotency-Key header."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from api.errors import PROBLEM_CONTENT_TYPE, ProblemSerializer

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key", location=OpenApiParameter.HEADER, required=False, type=str,
    description="Any unique string (e.g. a UUID), at most 255 characters. Sending the same key with the same body again "
    "replays the first response (header Idempotent-Replayed: true) and creates nothing; the same key with another body "
    "is refused with 422. Keys are kept per token for API_IDEMPOTENCY_HOURS.",
)


class ApiAutoSchema(AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        params = list(super().get_override_parameters())
        if self.method == "POST":
            params.append(IDEMPOTENCY_HEADER)
        return params

    def _error_codes(self) -> list[int]:
        codes = [401, 403, 429]
        if "{" in self.path:
            codes.append(404)
        if self.method != "GET" or self._is_list_view():
            codes.append(400)
        if self.method in ("POST", "PATCH", "PUT"):
            codes += [409, 415]
        if self.method == "POST":
            codes.append(422)
        return sorted(codes)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(ProblemSerializer, str(code), [PROBLEM_CONTENT_TYPE], direction)
        return responses
