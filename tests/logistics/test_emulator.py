"""The 17TRACK v2.2 carrier emulator, driven over real loopback HTTP with httpx.

The emulator's clock is frozen (speed 0) and pushed with `advance`, so no test sleeps for time to pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from logistics.emulator import EmulatorHandle, start_emulator
from logistics.emulator.scenarios import SCENARIOS, choose_scenario

PAYLOADS = Path("/work/shared/payloads")
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "demo-token"


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    with start_emulator(speed=0, token=TOKEN) as handle:
        yield handle


@pytest.fixture
def client(emulator: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, headers={"17token": TOKEN}, timeout=5) as c:
        yield c


def track(client: httpx.Client, number: str) -> dict:
    response = client.post("/track/v2.2/gettrackinfo", json=[{"number": number}])
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0 and body["data"]["rejected"] == []
    return body["data"]["accepted"][0]


def sub_statuses(item: dict) -> list[str]:
    """Oldest first; the wire sends events newest first."""
    return [e["sub_status"] for e in reversed(item["track_info"]["tracking"]["providers"][0]["events"])]


def _sample(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


def test_envelope_has_the_keys_of_17tracks_samples(emulator, client):
    track(client, "DEMOONTIME1")  # registers it at the emulated now
    emulator.advance(days=3)
    body = client.post("/track/v2.2/gettrackinfo", json=[{"number": "DEMOONTIME1"}]).json()
    sample = _sample("17track_v2.2_gettrackinfo_response_delivered.json")
    hook = _sample("17track_webhook_tracking_updated_delivered.json")["data"]["track_info"]
    item, sample_item = body["data"]["accepted"][0], sample["data"]["accepted"][0]
    info, sample_info = item["track_info"], sample_item["track_info"]
    event, sample_event = info["tracking"]["providers"][0]["events"][0], sample_info["tracking"]["providers"][0]["events"][0]

    assert body.keys() == sample.keys() and body["data"].keys() == sample["data"].keys()
    assert sample_item.keys() <= item.keys()
    assert sample_info.keys() <= info.keys() and info.keys() == hook.keys()  # the full v2.2 track_info
    assert sample_event.keys() <= event.keys() and event.keys() == hook["tracking"]["providers"][0]["events"][0].keys()
    assert info["latest_event"].keys() == event.keys()
    assert info["latest_status"].keys() == sample_info["latest_status"].keys()
    assert info["time_metrics"].keys() == hook["time_metrics"].keys()
    assert [m["key_stage"] for m in info["milestone"]] == [m["key_stage"] for m in hook["milestone"]]
    # the webhook sample is a v2.4 recording; provider_tips is the one v2.4 key v2.2 lacks
    assert info["tracking"]["providers"][0].keys() == hook["tracking"]["providers"][0].keys() - {"provider_tips"}


def test_wrong_token_answers_the_invalid_key_envelope(client):
    response = client.post("/track/v2.2/gettrackinfo", json=[{"number": "DEMOONTIME1"}], headers={"17token": "nope"})

    assert response.status_code == 401
    assert response.json() == _sample("17track_v2.2_error_invalid_key.json")


def test_forty_numbers_pass_and_forty_one_or_a_bad_body_are_refused_whole(client):
    numbers = [{"number": f"RR{i:09d}CN"} for i in range(41)]

    assert len(client.post("/track/v2.2/gettrackinfo", json=numbers[:40]).json()["data"]["accepted"]) == 40
    body = client.post("/track/v2.2/gettrackinfo", json=numbers).json()
    assert body["code"] == -18010014 and body["data"]["errors"][0]["code"] == -18010014
    # a body that is not an array of {"number": ...} is refused whole too
    assert client.post("/track/v2.2/gettrackinfo", json={"number": "X"}).json()["code"] == -18010013
    assert client.post("/track/v2.2/gettrackinfo", content=b"{not json").json()["code"] == -18010013


def test_scenario_choice_is_stable_across_starts_and_processes(emulator):
    numbers = [f"LP{i:08d}RU" for i in range(200)]
    choices = [choose_scenario(n) for n in numbers]
    script = (
        "from logistics.emulator.scenarios import choose_scenario as c; import sys; print(','.join(c(n) for n in sys.argv[1:]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # Python's own hash() would differ in that process
    other = subprocess.run(
        [sys.executable, "-c", script, *numbers], cwd=ROOT, capture_output=True, text=True, check=True, env=env
    )
    with start_emulator(speed=0, token=TOKEN) as again:
        first, second = (_play(em, numbers[:20], days=40) for em in (emulator, again))

    assert other.stdout.strip().split(",") == choices
    assert first == second
    assert set(choices) == set(SCENARIOS)  # 200 numbers meet every scenario
    assert choices.count("on_time") > 80


def _play(em: EmulatorHandle, numbers: list[str], *, days: float) -> list[list[str]]:
    """Register the numbers at the emulated now, let `days` pass, return each one's sub-statuses."""
    with httpx.Client(base_url=em.url, headers={"17token": TOKEN}) as c:
        for n in numbers:
            track(c, n)
        em.advance(days=days)
        return [sub_statuses(track(c, n)) for n in numbers]


def test_a_prefix_forces_the_scenario_and_numbers_ignore_case(emulator, client):
    emulator.set_scenario("zx000000002cn", "returned")

    forced = [emulator.scenario_of(f"{p}0001") for p in ("DEMOSTALL", "demolost", "DemoAddr")]
    assert forced == ["stalled", "lost", "address_problem"]
    assert track(client, " Zx000000002cN")["number"] == "ZX000000002CN"
    assert emulator.scenario_of("ZX000000002CN") == "returned"


def test_on_time_parcel_is_delivered_before_the_estimate_after_enough_emulated_time(emulator, client):
    first = track(client, "DEMOONTIME0001")
    assert first["track_info"]["latest_status"]["status"] == "InfoReceived"

    emulator.advance(days=9)
    info = track(client, "DEMOONTIME0001")["track_info"]

    assert info["latest_status"] == {"status": "Delivered", "sub_status": "Delivered_Other", "sub_status_descr": None}
    assert info["latest_event"]["stage"] == "Delivered"
    assert _epoch(info["latest_event"]["time_iso"]) < _epoch(info["time_metrics"]["estimated_delivery_date"]["from"])
    assert next(m for m in info["milestone"] if m["key_stage"] == "Delivered")["time_utc"] == info["latest_event"]["time_utc"]


def test_event_times_carry_the_local_offset_and_agree_with_utc(emulator, client):
    track(client, "DEMOONTIME0002")
    emulator.advance(days=9)
    events = track(client, "DEMOONTIME0002")["track_info"]["tracking"]["providers"][0]["events"]
    offsets = {e["address"]["country"]: set() for e in events}
    for e in events:
        offsets[e["address"]["country"]].add(e["time_iso"][19:])
        assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_epoch(e["time_iso"]))) == e["time_utc"]

    assert offsets["CN"] == {"+08:00"}
    assert offsets["RU"] <= {"+03:00", "+05:00", "+07:00"}
    assert [e["time_utc"] for e in events] == sorted((e["time_utc"] for e in events), reverse=True)


def _epoch(iso: str) -> float:
    return dt.datetime.fromisoformat(iso).timestamp()


def test_delayed_parcel_is_delivered_after_the_estimate(emulator, client):
    track(client, "DEMODELAY0001")
    emulator.advance(days=30)
    info = track(client, "DEMODELAY0001")["track_info"]

    assert info["latest_status"]["status"] == "Delivered"
    assert _epoch(info["latest_event"]["time_iso"]) > _epoch(info["time_metrics"]["estimated_delivery_date"]["to"])


def test_stalled_parcel_stops_producing_events(emulator, client):
    track(client, "DEMOSTALL0001")
    emulator.advance(days=3)
    early = sub_statuses(track(client, "DEMOSTALL0001"))
    emulator.advance(days=60)
    late = track(client, "DEMOSTALL0001")

    assert late["track_info"]["latest_status"]["sub_status"] == early[-1] == "InTransit_Departure"
    assert sub_statuses(late) == early
    assert late["track_info"]["time_metrics"]["days_after_last_update"] >= 60


@pytest.mark.parametrize(
    ("scenario", "final", "on_the_way"),
    [
        ("on_time", "Delivered_Other", "InTransit_CustomsReleased"),
        ("delayed", "Delivered_Other", "InTransit_CustomsReleased"),
        ("stalled", "InTransit_Departure", "InTransit_PickedUp"),
        ("damaged", "Exception_Damage", "InTransit_Arrival"),
        ("returned", "Exception_Returned", "Exception_Returning"),
        ("address_problem", "Exception_NoBody", "DeliveryFailure_InvalidAddress"),
        ("customs_hold", "Delivered_Other", "InTransit_CustomsRequiringInformation"),
        ("lost", "Exception_Lost", "InTransit_CustomsReleased"),
    ],
)
def test_each_scenario_plays_out_to_its_end(emulator, client, scenario, final, on_the_way):
    emulator.set_scenario("RR123456785CN", scenario)
    track(client, "RR123456785CN")
    emulator.advance(days=45)
    seen = sub_statuses(track(client, "RR123456785CN"))

    assert seen[0] == "InfoReceived" and seen[-1] == final and on_the_way in seen


def test_set_scenario_overrides_prefix_and_hash_over_http_too(emulator, client):
    emulator.set_scenario("DEMOONTIME0003", "lost")
    track(client, "ZX000000001CN")  # registered first: the new script replays from its registration
    reply = client.post("/emulator/scenario", json={"number": "ZX000000001CN", "scenario": "damaged"})
    track(client, "DEMOONTIME0003")
    emulator.advance(days=31)

    assert reply.json() == {"code": 0, "data": {"number": "ZX000000001CN", "scenario": "damaged"}}
    assert sub_statuses(track(client, "DEMOONTIME0003"))[-1] == "Exception_Lost"
    assert sub_statuses(track(client, "ZX000000001CN"))[-1] == "Exception_Damage"
    assert client.post("/emulator/scenario", json={"number": "X", "scenario": "teleported"}).status_code == 400


def test_unregistered_numbers_are_rejected_when_auto_registration_is_off():
    with (
        start_emulator(speed=0, token=TOKEN, auto_register=False) as em,
        httpx.Client(base_url=em.url, headers={"17token": TOKEN}) as c,
    ):
        before = c.post("/track/v2.2/gettrackinfo", json=[{"number": "RR123456785CN"}]).json()["data"]
        registered = c.post("/track/v2.2/register", json=[{"number": "RR123456785CN", "tag": "order-1"}, {"number": "12"}]).json()
        again = c.post("/track/v2.2/register", json=[{"number": "RR123456785CN"}]).json()["data"]
        after = c.post("/track/v2.2/gettrackinfo", json=[{"number": "RR123456785CN"}]).json()["data"]

    assert before["accepted"] == [] and before["rejected"][0]["error"]["code"] == -18019902
    assert registered["data"]["accepted"] == [
        {"origin": 1, "number": "RR123456785CN", "carrier": 3011, "email": None, "tag": "order-1", "lang": None}
    ]
    assert registered["data"]["rejected"][0]["error"]["code"] == -18010012
    assert again["rejected"][0]["error"]["code"] == -18019901
    assert after["accepted"][0]["tag"] == "order-1"


def test_stoptrack_freezes_a_number_and_changeinfo_retags_it(emulator, client):
    track(client, "DEMOONTIME0004")
    stopped = client.post("/track/v2.2/stoptrack", json=[{"number": "DEMOONTIME0004"}, {"number": "NEVER000001"}]).json()
    client.post("/track/v2.2/changeinfo", json=[{"number": "DEMOONTIME0004", "items": {"tag": "order-9"}}])
    emulator.advance(days=10)
    item = track(client, "DEMOONTIME0004")

    assert stopped["data"]["accepted"] == [{"number": "DEMOONTIME0004", "carrier": 3011}]
    assert stopped["data"]["rejected"][0]["error"]["code"] == -18019902
    assert sub_statuses(item) == ["InfoReceived"] and item["tag"] == "order-9"


def test_rate_limit_fault_answers_429_with_retry_after_then_recovers(emulator, client):
    emulator.set_fault("429", count=2, retry_after=7)
    replies = [client.post("/track/v2.2/gettrackinfo", json=[{"number": "DEMOONTIME1"}]) for _ in range(3)]

    assert [r.status_code for r in replies] == [429, 429, 200]
    assert replies[0].headers["Retry-After"] == "7" and replies[0].json()["code"] == 429


@pytest.mark.parametrize("mode", ["500", "html", "truncated"])
def test_body_faults_break_the_response_once(client, mode):
    client.post("/emulator/faults", json={"mode": mode, "count": 1})
    broken = client.post("/track/v2.2/gettrackinfo", json=[{"number": "DEMOONTIME1"}])
    healed = client.post("/track/v2.2/gettrackinfo", json=[{"number": "DEMOONTIME1"}])

    assert broken.status_code == (500 if mode == "500" else 200)
    if mode != "500":
        with pytest.raises(json.JSONDecodeError):
            json.loads(broken.content)
    assert mode != "html" or broken.headers["Content-Type"].startswith("text/html")
    assert healed.status_code == 200 and healed.json()["code"] == 0


def test_reset_and_timeout_faults_fail_at_the_transport(emulator, client):
    emulator.set_fault("reset")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/track/v2.2/gettrackinfo", json=[{"number": "DEMOONTIME1"}])
    emulator.set_fault("timeout", delay=30)
    with pytest.raises(httpx.ReadTimeout):
        client.post("/track/v2.2/gettrackinfo", json=[{"number": "DEMOONTIME1"}], timeout=0.3)


def test_a_per_number_fault_hits_only_batches_with_that_number(emulator, client):
    emulator.set_fault("500", count=-1, number="demolost0001")

    assert client.post("/track/v2.2/gettrackinfo", json=[{"number": "DEMOONTIME1"}]).status_code == 200
    assert client.post("/track/v2.2/gettrackinfo", json=[{"number": "X1234"}, {"number": "DEMOLOST0001"}]).status_code == 500
    emulator.clear_faults()
    assert client.post("/track/v2.2/gettrackinfo", json=[{"number": "DEMOLOST0001"}]).status_code == 200


def test_clock_control_endpoint_moves_emulated_time(emulator, client):
    before = emulator.now()
    reply = client.post("/emulator/clock", json={"advance_hours": 48}).json()["data"]

    assert (emulator.now() - before).total_seconds() == pytest.approx(48 * 3600, abs=1)
    assert reply["speed"] == 0 and client.get("/emulator/clock", headers={"17token": "x"}).status_code == 401


def test_batches_reuse_one_keep_alive_connection(emulator):
    conn = HTTPConnection("127.0.0.1", int(emulator.url.rsplit(":", 1)[1]), timeout=5)
    sockets = []
    for _ in range(3):
        conn.request("POST", "/track/v2.2/gettrackinfo", body=b'[{"number":"DEMOONTIME1"}]', headers={"17token": TOKEN})
        response = conn.getresponse()
        assert response.status == 200 and json.loads(response.read())["code"] == 0
        sockets.append(conn.sock)
    conn.close()

    assert sockets[0] is not None and all(s is sockets[0] for s in sockets)


class _Receiver(BaseHTTPRequestHandler):
    """A tiny webhook endpoint (HTTP/1.0: it answers and hangs up) that queues (sign, body)."""

    pushes: queue.Queue[tuple[str, bytes]]

    def do_POST(self) -> None:
        self.pushes.put((self.headers.get("sign", ""), self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, queue.Queue[tuple[str, bytes]]]]:
    handler = type("Receiver", (_Receiver,), {"pushes": queue.Queue()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/17track", handler.pushes
    server.shutdown()
    server.server_close()


def test_new_events_are_pushed_as_signed_tracking_updated_webhooks(receiver):
    url, pushes = receiver
    with (
        start_emulator(speed=0, token=TOKEN, webhook_url=url) as em,
        httpx.Client(base_url=em.url, headers={"17token": TOKEN}) as c,
    ):
        c.post("/track/v2.2/register", json=[{"number": "DEMOONTIME0005", "tag": "o-5"}])
        first = pushes.get(timeout=5)
        em.advance(days=9)
        last = pushes.get(timeout=5)

    for sign, body in (first, last):
        assert sign == hashlib.sha256(body + b"/" + TOKEN.encode()).hexdigest()
    first_data, last_data = json.loads(first[1]), json.loads(last[1])
    assert first_data["event"] == "TRACKING_UPDATED" and first_data["data"]["number"] == "DEMOONTIME0005"
    assert first_data["data"]["tag"] == "o-5"
    assert last_data["data"]["track_info"]["latest_status"]["status"] == "Delivered"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_management_command_serves_until_sigterm():
    port = _free_port()
    command = [sys.executable, "manage.py", "run_carrier_emulator", "--port", str(port), "--speed", "3600"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:  # waits for Django to boot, not for emulated time
            try:
                reply = httpx.post(
                    f"http://127.0.0.1:{port}/track/v2.2/gettrackinfo", json=[{"number": "DEMOLOST1"}], headers={"17token": TOKEN}
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, proc.stderr.read() if proc.poll() is not None else "no answer"
                time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()

    assert reply.json()["data"]["accepted"][0]["number"] == "DEMOLOST1"
    assert proc.returncode == 0 and "emulator stopped" in out
    assert "POST /track/v2.2/gettrackinfo 200 numbers=1" in err


def test_catch_up_clock_replays_the_past_fast_but_never_runs_into_the_future():
    import time

    from logistics.emulator.tracks import Clock

    clock = Clock(speed=1_000_000, start=time.time() - 14 * 86400, catch_up=True)
    time.sleep(0.01)  # 10 ms at this speed is ~2.8 emulated hours
    assert clock.now() <= time.time()
    time.sleep(1.3)  # 1.3 s covers the whole 14 days
    assert abs(clock.now() - time.time()) < 1
