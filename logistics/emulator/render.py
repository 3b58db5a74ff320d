"""Render a track as 17TRACK v2.2 JSON: the `accepted[]` item of gettrackinfo and the webhook `data`.

Key order and field names follow 17TRACK's v2.2 samples (see ../shared/payloads/17track_*). Events are
newest first, as 17TRACK sends them.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import zlib
from typing import Any, Final

from logistics.emulator.scenarios import DESTINATIONS, ESTIMATE_HOURS, HOUR, KEY_STAGES, ORIGINS, CompiledStep, route_for
from logistics.emulator.tracks import Track

DAY: Final = 86400.0
_TZ: dict[int, dt.timezone] = {}
_PROVIDERS: Final = {
    3011: {
        "key": 3011,
        "name": "China Post",
        "alias": "China Post",
        "tel": "11183",
        "homepage": "http://www.chinapost.com.cn/",
        "country": "CN",
    },
}
_NULL_COORDS: Final = {"longitude": None, "latitude": None}
_NULL_RAW: Final = {"date": None, "time": None, "timezone": None}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def int32_hash(text: str) -> int:
    """17TRACK's *_hash fields are signed 32-bit integers."""
    value = zlib.crc32(text.encode())
    return value - (1 << 32) if value >= (1 << 31) else value


def utc_iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def local_time(t: float, utc_offset_hours: int) -> dt.datetime:
    tz = _TZ.get(utc_offset_hours)
    if tz is None:
        tz = _TZ.setdefault(utc_offset_hours, dt.timezone(dt.timedelta(hours=utc_offset_hours)))
    return dt.datetime.fromtimestamp(int(t), tz)


def _times(t: float, utc_offset_hours: int) -> dict[str, Any]:
    local = local_time(t, utc_offset_hours)
    iso = local.isoformat(timespec="seconds")
    raw = {"date": iso[:10], "time": iso[11:19], "timezone": iso[19:]}
    return {"time_iso": iso, "time_utc": utc_iso(t), "time_raw": raw}


def _address(city: str | None, state: str | None, country: str) -> dict[str, Any]:
    return {"country": country, "state": state, "city": city, "street": None, "postal_code": None, "coordinates": _NULL_COORDS}


def render_event(step: CompiledStep, t: float) -> dict[str, Any]:
    place = step.place
    return {
        **_times(t, place.utc_offset_hours),
        "description": step.description,
        "location": place.location,
        "stage": step.stage,
        "sub_status": step.sub_status,
        "address": _address(place.city, place.state, place.country),
    }


def _milestones(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first: dict[str, dict[str, Any]] = {}
    for event in reversed(events):  # oldest first, so the first scan of a stage wins
        if event["stage"] and event["stage"] not in first:
            first[event["stage"]] = event
    out = []
    for stage in KEY_STAGES:
        reached = first.get(stage)
        if reached is None:
            out.append({"key_stage": stage, "time_iso": None, "time_utc": None, "time_raw": _NULL_RAW})
        else:
            times = {key: reached[key] for key in ("time_iso", "time_utc", "time_raw")}
            out.append({"key_stage": stage, **times})
    return out


def _metrics(track: Track, count: int, now: float) -> tuple[int, int, int, int]:
    """days_after_order, days_of_transit, days_of_transit_done, days_after_last_update."""
    if count == 0:
        return int((now - track.registered_at) // DAY), 0, 0, 0
    picked = next((track.due[i] for i in range(count) if track.script[i].sub_status != "InfoReceived"), track.due[0])
    last = track.due[count - 1]
    transit_end = last if count == len(track.due) else now
    return (
        int((now - track.registered_at) // DAY),
        int(max(0.0, transit_end - picked) // DAY),
        int(max(0.0, last - picked) // DAY),
        int(max(0.0, now - last) // DAY),
    )


def _estimate(track: Track) -> dict[str, Any]:
    dest = DESTINATIONS[route_for(track.number)[1]]
    start, end = (track.registered_at + h * HOUR for h in ESTIMATE_HOURS)
    return {
        "source": "Official",
        "from": local_time(start, dest.utc_offset_hours).isoformat(timespec="seconds"),
        "to": local_time(end, dest.utc_offset_hours).isoformat(timespec="seconds"),
    }


def _shipping_info(track: Track) -> dict[str, Any]:
    o, d = route_for(track.number)
    origin, dest = ORIGINS[o], DESTINATIONS[d]
    return {
        "shipper_address": _address(origin.city, origin.state, origin.country),
        "recipient_address": _address(dest.city, dest.state, dest.country),
    }


def _provider(track: Track, events: list[dict[str, Any]], now: float) -> dict[str, Any]:
    info = _PROVIDERS.get(track.carrier) or {
        "key": track.carrier,
        "name": f"Carrier {track.carrier}",
        "alias": None,
        "tel": None,
        "homepage": None,
        "country": None,
    }
    return {
        "provider": info,
        "provider_lang": None,
        "service_type": "International Small Packet",
        "latest_sync_status": "Success",
        "latest_sync_time": utc_iso(now),
        "events_hash": int32_hash("|".join(e["time_utc"] + e["sub_status"] for e in events)),
        "events": events,
    }


def track_info(track: Track, count: int, now: float, metrics: tuple[int, int, int, int]) -> dict[str, Any]:
    events = [render_event(track.script[i], track.due[i]) for i in range(count - 1, -1, -1)]
    latest = events[0] if events else None
    status = (
        {"status": track.script[count - 1].status, "sub_status": track.script[count - 1].sub_status}
        if count
        else {"status": "NotFound", "sub_status": "NotFound_Other"}
    )
    providers = [_provider(track, events, now)] if events else []
    return {
        "shipping_info": _shipping_info(track),
        "latest_status": {**status, "sub_status_descr": None},
        "latest_event": latest,
        "time_metrics": dict(
            zip(("days_after_order", "days_of_transit", "days_of_transit_done", "days_after_last_update"), metrics, strict=True),
            estimated_delivery_date=_estimate(track),
        ),
        "milestone": _milestones(events),
        "misc_info": {
            "risk_factor": 0,
            "service_type": "International Small Packet",
            "weight_raw": None,
            "weight_kg": None,
            "pieces": None,
            "dimensions": None,
            "customer_number": None,
            "reference_number": None,
            "local_number": None,
            "local_provider": None,
            "local_key": 0,
        },
        "tracking": {"providers_hash": int32_hash(f"{track.number}:{track.carrier}"), "providers": providers},
    }


def accepted_item(track: Track, now: float) -> str:
    """The JSON of one `accepted[]` item (also the `data` of a webhook), cached until it would change."""
    count = track.visible(now)
    metrics = _metrics(track, count, now)
    key = (count, *metrics)
    cached = track.cache
    if cached is not None and cached[0] == key:
        return cached[1]
    item = {
        "number": track.number,
        "carrier": track.carrier,
        "param": None,
        "tag": track.tag,
        "track_info": track_info(track, count, now, metrics),
    }
    text = dumps(item)
    track.cache = (key, text)
    return text
