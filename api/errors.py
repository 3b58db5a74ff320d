"""One error shape for every 4xx/5xx of the API: RFC 9457 problem details (`application/problem+json`).

`{"type", "title", "status", "detail", "instance"}` plus `errors` ({field: [messages]}) for invalid input.
DRF views get it from `problem_exception_handler` (REST_FRAMEWORK EXCEPTION_HANDLER); anything Django
answers itself under /api/ (unknown URL, a crash outside DRF) from `handler404` / `handler500`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

logger = logging.getLogger(__name__)
PROBLEM_CONTENT_TYPE = "application/problem+json"
API_PREFIX = "/api/"

# A stable, documented `type` per kind of problem (relative URI references, RFC 9457 §3.1.1).
_TYPES: dict[int, str] = {
    400: "validation-error", 401: "not-authenticated", 403: "permission-denied", 404: "not-found",
    405: "method-not-allowed", 406: "not-acceptable", 409: "conflict", 413: "too-large", 415: "unsupported-media-type",
    422: "idempotency-key-reused", 429: "throttled", 500: "server-error",
}


class ProblemSerializer(serializers.Serializer[dict[str, Any]]):
    """RFC 9457 problem details."""

    type = serializers.CharField(  # type: ignore[assignment]
        help_text="A URI reference naming the kind of problem, e.g. /api/problems/validation-error.")
    title = serializers.CharField(help_text="Short summary of the kind of problem.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong this time, for a person to read.")
    instance = serializers.CharField(help_text="The request path.")  # type: ignore[assignment]
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Invalid input only: messages per field (non_field_errors for the request as a whole).",
    )


def problem(status: int, detail: str, instance: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"/api/problems/{_TYPES.get(status, 'about-blank' if status < 500 else 'server-error')}",
        "title": HTTPStatus(status).phrase, "status": status, "detail": detail, "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail → {"field" or "lines.0.sku": [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    items = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(item) for item in items]}


def _from_django_validation(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(
            {("non_field_errors" if k == "__all__" else k): v for k, v in error.message_dict.items()}
        )
    return exceptions.ValidationError({"non_field_errors": error.messages})


def _summary(errors: dict[str, list[str]]) -> str:
    first_field, messages = next(iter(errors.items()))
    text = messages[0] if messages else _("Invalid input.")
    return text if first_field == "non_field_errors" else f"{first_field}: {text}"


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF EXCEPTION_HANDLER: every error becomes a problem response (unexpected ones are logged and answered 500)."""
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, DjangoValidationError):
        exc = _from_django_validation(exc)
    elif isinstance(exc, IntegrityError):
        exc = exceptions.APIException(_("This conflicts with a change made at the same moment; try again."))
        exc.status_code = 409
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("API request failed: %s", instance, exc_info=exc)
        set_rollback()
        return Response(problem(500, _("Something went wrong on our side; it has been logged."), instance),
                        status=500, content_type=PROBLEM_CONTENT_TYPE)
    errors = None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        detail = _summary(errors) if errors else _("Invalid input.")
    else:
        detail = str(getattr(exc, "detail", "")) or HTTPStatus(response.status_code).phrase
        if isinstance(exc, Http404) or isinstance(exc, exceptions.NotFound):
            detail = _("Not found.")  # the same words for "no such object" and "not yours"
        elif isinstance(exc, DjangoPermissionDenied) and not str(exc):
            detail = _("You do not have permission to do this.")
    response.data = problem(response.status_code, detail, instance, errors)
    response.content_type = PROBLEM_CONTENT_TYPE
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    return response


def problem_response(status: int, detail: str, request: HttpRequest) -> JsonResponse:
    return JsonResponse(problem(status, detail, request.path), status=status, content_type=PROBLEM_CONTENT_TYPE)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return problem_response(404, _("Not found."), request)
    return defaults.page_not_found(request, exception or Http404())


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return problem_response(500, _("Something went wrong on our side; it has been logged."), request)
    return defaults.server_error(request)


@csrf_exempt  # answers 404 to every method; nothing to protect
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Catch-all under /api/: an unknown URL is a problem 404 even with DEBUG on."""
    return problem_response(404, _("Not found."), request)
