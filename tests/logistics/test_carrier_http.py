"""The HTTP seam and the registry: every adapter against timeouts, 429, 5xx, 401/403 and garbage bodies."""

from __future__ import annotations

import datetime as dt
import email.utils
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from logistics.carriers import cdek, http
from logistics.carriers.base import CarrierPermanentError, CarrierTemporaryError
from logistics.carriers.cdek import CdekClient
from logistics.carriers.registry import CARRIERS, get_client
from logistics.carriers.russian_post import RussianPostClient
from logistics.carriers.seventeentrack import DemoClient, SeventeenTrackClient
from logistics.models import Carrier
from tests.logistics.carrier_server import CarrierServer, Reply

HTML = "<!doctype html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"


@dataclass(frozen=True)
class Adapter:
    code: str
    url_setting: str
    method: str
    path: str
    truncated: str  # a body cut off mid-way, in the adapter's own format

    def prepare(self, server: CarrierServer, settings: Any) -> None:
        setattr(settings, self.url_setting, server.url)
        if self.code == "cdek":  # the order look-up is what must fail; the token works
            server.route("POST", "/v2/oauth/token", Reply(body={"access_token": "tok", "expires_in": 3599}))


ADAPTERS = [
    Adapter("17track", "CARRIER_17TRACK_URL", "POST", "/track/v2.2/gettrackinfo", '{"code": 0, "data": {"accepted": [{"numb'),
    Adapter("demo", "CARRIER_DEMO_URL", "POST", "/track/v2.2/gettrackinfo", '{"code": 0, "da'),
    Adapter("cdek", "CARRIER_CDEK_URL", "GET", "/v2/orders", '{"entity": {"uuid": "72753033-a2e0-43e3-95e5-57c4c2e9bf4a", "statu'),
    Adapter("russian_post", "CARRIER_RUSSIAN_POST_URL", "POST", "/rtm34", '<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Body><ns7:get'),
]  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Iterator[None]:
    cdek.TOKENS.clear()
    yield
    cdek.TOKENS.clear()


@pytest.fixture
def server(settings: Any) -> Iterator[CarrierServer]:
    # generous: on a loaded CI machine a slow local answer must not turn into a timeout (the timeout test sets its own)
    settings.CARRIER_HTTP_TIMEOUT = 5.0
    with CarrierServer() as running:
        yield running


@pytest.fixture(params=ADAPTERS, ids=lambda a: a.code)
def adapter(request: pytest.FixtureRequest, server: CarrierServer, settings: Any) -> Adapter:
    spec: Adapter = request.param
    spec.prepare(server, settings)
    return spec


def track(adapter: Adapter) -> Any:
    return get_client(adapter.code).track_many(["RA644000001RU"])


def test_a_timeout_is_temporary(adapter: Adapter, server: CarrierServer, settings: Any) -> None:
    settings.CARRIER_HTTP_TIMEOUT = 0.3  # keeps the test fast; the server answers after 2 s
    server.route(adapter.method, adapter.path, Reply(delay=2.0, body="{}"))

    with pytest.raises(CarrierTemporaryError, match="timed out after 0.3s"):
        track(adapter)


def test_a_refused_connection_is_temporary(settings: Any) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CARRIER_17TRACK_URL = f"http://127.0.0.1:{port}"

    with pytest.raises(CarrierTemporaryError, match="ConnectError"):
        get_client("17track").track_many(["RA644000001RU"])


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("7", 7.0), (None, None), ("soon", None)],
)
def test_429_is_temporary_with_retry_after(
    adapter: Adapter, server: CarrierServer, retry_after: str | None, expected: float | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    server.route(adapter.method, adapter.path, Reply(429, body={"message": "slow down"}, headers=headers))

    with pytest.raises(CarrierTemporaryError, match="429") as info:
        track(adapter)
    assert info.value.retry_after == expected


def test_429_with_an_http_date(adapter: Adapter, server: CarrierServer) -> None:
    when = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120), usegmt=True)
    server.route(adapter.method, adapter.path, Reply(429, headers={"Retry-After": when}))

    with pytest.raises(CarrierTemporaryError) as info:
        track(adapter)
    assert info.value.retry_after is not None and 100 < info.value.retry_after <= 120


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_temporary(adapter: Adapter, server: CarrierServer, status: int) -> None:
    server.route(adapter.method, adapter.path, Reply(status, body=HTML, headers={"Content-Type": "text/html"}))

    with pytest.raises(CarrierTemporaryError, match=str(status)) as info:
        track(adapter)
    assert "Bad Gateway" in info.value.raw


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_are_bad_credentials(adapter: Adapter, server: CarrierServer, status: int) -> None:
    server.route(adapter.method, adapter.path, Reply(status, body={"message": "who are you"}))

    with pytest.raises(CarrierPermanentError, match="bad credentials"):
        track(adapter)


def test_html_with_status_200_is_temporary_and_logged(
    adapter: Adapter, server: CarrierServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.route(adapter.method, adapter.path, Reply(200, body=HTML, headers={"Content-Type": "text/html"}))

    with pytest.raises(CarrierTemporaryError, match="malformed") as info:
        track(adapter)
    assert info.value.raw == HTML
    assert any(r.name == "logistics.carriers" and "502 Bad Gateway" in r.getMessage() for r in caplog.records)


def test_a_truncated_body_is_temporary_with_the_raw_body(adapter: Adapter, server: CarrierServer) -> None:
    server.route(adapter.method, adapter.path, Reply(200, body=adapter.truncated))

    with pytest.raises(CarrierTemporaryError, match="malformed") as info:
        track(adapter)
    assert info.value.raw == adapter.truncated


def test_the_raw_body_is_capped_at_2_kb(server: CarrierServer, settings: Any) -> None:
    settings.CARRIER_17TRACK_URL = server.url
    server.route("POST", "/track/v2.2/gettrackinfo", Reply(200, body="<html>" + "x" * 10_000))

    with pytest.raises(CarrierTemporaryError) as info:
        get_client("17track").track_many(["RA644000001RU"])
    assert len(info.value.raw) == http.RAW_LIMIT


def test_a_retry_after_on_503_is_kept(server: CarrierServer, settings: Any) -> None:
    settings.CARRIER_17TRACK_URL = server.url
    server.route("POST", "/track/v2.2/gettrackinfo", Reply(503, headers={"Retry-After": "30"}))

    with pytest.raises(CarrierTemporaryError) as info:
        get_client("17track").track_many(["RA644000001RU"])
    assert info.value.retry_after == 30.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: no wait
        ("Wed, 21 Oct 2015 07:30:00 GMT", 120.0),
        ("-5", None),
        ("", None),
        (None, None),
        ("tomorrow", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = dt.datetime(2015, 10, 21, 7, 28, tzinfo=dt.UTC)
    assert http.parse_retry_after(value, now=now) == expected


def test_request_is_the_one_seam_every_adapter_uses(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    seen: list[tuple[str, str]] = []

    def fake_request(method: str, url: str, **kwargs: Any) -> httpx.Response:
        seen.append((method, url))
        return httpx.Response(503, text="down")

    monkeypatch.setattr(http, "request", fake_request)
    settings.CARRIER_17TRACK_URL = "https://17track.invalid"
    settings.CARRIER_CDEK_URL = "https://cdek.invalid"
    settings.CARRIER_RUSSIAN_POST_URL = "https://pochta.invalid"
    for code in ("17track", "cdek", "russian_post"):
        with pytest.raises(CarrierTemporaryError, match="503"):
            get_client(code).track_many(["RA644000001RU"])

    assert [url for _, url in seen] == [
        "https://17track.invalid/track/v2.2/gettrackinfo",
        "https://cdek.invalid/v2/oauth/token",
        "https://pochta.invalid/rtm34",
    ]


def test_the_shared_client_is_reused_and_remade_after_a_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = http._shared_client()
    assert http._shared_client() is parent
    monkeypatch.setattr(http, "_client", parent)  # put the parent's client back afterwards
    monkeypatch.setattr(http, "_client_pid", http._client_pid)
    monkeypatch.setattr(http.os, "getpid", lambda: -1)  # what a prefork child sees

    child = http._shared_client()

    assert child is not parent
    assert http._shared_client() is child
    child.close()


@pytest.mark.parametrize(
    ("code", "cls"),
    [("17track", SeventeenTrackClient), ("cdek", CdekClient), ("russian_post", RussianPostClient), ("demo", DemoClient)],
)
def test_the_registry_builds_each_client(code: str, cls: Callable[..., Any]) -> None:
    client = get_client(code)

    assert type(client) is cls
    assert client.code == code
    assert client.max_batch >= 1


def test_every_polled_adapter_has_a_client_and_manual_is_refused() -> None:
    assert set(CARRIERS) == set(Carrier.Adapter.values) - {"manual"}
    with pytest.raises(CarrierPermanentError, match="manual"):
        get_client("manual")


def test_clients_read_their_settings_at_call_time(settings: Any) -> None:
    settings.CARRIER_CDEK_URL = "https://api.edu.cdek.ru/"
    settings.CARRIER_CDEK_CLIENT_ID = "id-1"
    settings.CARRIER_RUSSIAN_POST_LOGIN = "login-1"
    settings.CARRIER_HTTP_TIMEOUT = 4.5

    client = get_client("cdek")
    assert isinstance(client, CdekClient)
    assert (client.base_url, client.client_id, client.timeout) == ("https://api.edu.cdek.ru", "id-1", 4.5)
    post = get_client("russian_post")
    assert isinstance(post, RussianPostClient)
    assert post.login == "login-1"
