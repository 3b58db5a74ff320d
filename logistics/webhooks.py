"""Inbound carrier pushes: signature checked, fed to the same ingest as polling.

A pushed event and a polled event share the event key, so each is stored once. Bad input is
answered with a JSON 4xx and the raw body is logged; nothing valid in the push is lost.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from logistics.carriers import cdek, seventeentrack
from logistics.carriers.base import CarrierError, TrackingResult
from logistics.models import Carrier, Parcel
from logistics.services import parcel_apply_events
from logistics.statuses import ACTIVE_STATUSES

logger = logging.getLogger("logistics.webhooks")
RAW_LOG_LIMIT = 2000


def _signed_by_17track(token_setting: str) -> Callable[[HttpRequest], bool]:
    def check(request: HttpRequest) -> bool:
        token = getattr(settings, token_setting, "")
        return seventeentrack.verify_webhook_signature(request.body, request.headers.get("sign", ""), token)

    return check


def _cdek_secret_matches(request: HttpRequest) -> bool:
    # CDEK does not sign its pushes; the subscription URL carries a secret of ours instead.
    secret = settings.CARRIER_CDEK_WEBHOOK_SECRET
    return bool(secret) and constant_time_compare(request.GET.get("secret", ""), secret)


PUSHES: dict[str, tuple[Callable[[HttpRequest], bool], Callable[[dict[str, Any]], TrackingResult]]] = {
    Carrier.Adapter.SEVENTEEN_TRACK: (_signed_by_17track("CARRIER_17TRACK_TOKEN"), seventeentrack.parse_webhook),
    Carrier.Adapter.DEMO: (_signed_by_17track("CARRIER_DEMO_TOKEN"), seventeentrack.parse_webhook),
    Carrier.Adapter.CDEK: (_cdek_secret_matches, cdek.parse_webhook),
}


def _problem(status: int, detail: str, request: HttpRequest, adapter: str) -> JsonResponse:
    logger.warning("rejected %s push (%s): %s; body=%r", adapter, status, detail, request.body[:RAW_LOG_LIMIT])
    return JsonResponse({"status": status, "detail": detail}, status=status)


@csrf_exempt
@require_POST
def carrier_push(request: HttpRequest, adapter: str) -> JsonResponse:
    if adapter not in PUSHES:
        return JsonResponse({"status": 404, "detail": f"no push endpoint for {adapter!r}"}, status=404)
    is_authentic, parse = PUSHES[adapter]
    if not is_authentic(request):
        return _problem(401, "signature missing or wrong", request, adapter)
    try:
        payload = json.loads(request.body)
        result = parse(payload)
    except (ValueError, TypeError, AttributeError, KeyError, CarrierError) as error:
        return _problem(400, f"unreadable push: {error}", request, adapter)
    parcels = Parcel.objects.filter(
        tracking_number=result.tracking_number.upper(), carrier__adapter=adapter, status__in=ACTIVE_STATUSES
    ).select_related("carrier", "order")
    stored = [parcel_apply_events(parcel=parcel, events=result.events) for parcel in parcels]
    if not stored:
        logger.info("%s push for unknown or finished parcel %s ignored", adapter, result.tracking_number)
        return JsonResponse({"status": "ignored", "detail": "no active parcel with this tracking number"}, status=202)
    return JsonResponse({"status": "ok", "parcels": len(stored), "events": len(result.events)})
