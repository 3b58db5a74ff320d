"""Webhook test helpers: a real local receiver, a fake resolver, and loopback allowed on request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.logistics.carrier_server import CarrierServer
from webhooks import urlguard

PUBLIC_IP = "93.184.216.34"


@pytest.fixture
def receiver() -> Iterator[CarrierServer]:
    """A real HTTP server on 127.0.0.1 (route "POST /hook" to script its answers)."""
    with CarrierServer() as server:
        yield server


@pytest.fixture
def allow_loopback(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True


@pytest.fixture
def dns(monkeypatch):
    """Patch the guard's resolver: dns["name"] = ["1.2.3.4", ...]; unknown names resolve to PUBLIC_IP."""
    table: dict[str, list[str]] = {}
    real = urlguard.resolve

    def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return table[host]
        if host == "localhost" or host.replace(".", "").isdigit() or ":" in host or host.startswith("0x"):
            return real(host, port)  # numeric hosts: let the real resolver normalise them
        return [PUBLIC_IP]

    monkeypatch.setattr(urlguard, "resolve", resolve)
    return table
