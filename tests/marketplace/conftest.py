"""Ozon fixtures: the recorded payloads, the carriers postings map to, a shop account and a local Ozon."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from logistics.models import Carrier
from tests.factories import CarrierFactory, MarketplaceAccountFactory
from tests.logistics.carrier_server import CarrierServer

FIXTURES = Path(__file__).resolve().parents[2] / "marketplace" / "ozon" / "fixtures"


def payload(name: str) -> Any:
    return copy.deepcopy(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


@pytest.fixture
def carriers(db) -> dict[str, Carrier]:
    return {
        "ozon-logistics": CarrierFactory(code="ozon-logistics", name="Ozon Логистика", adapter="manual", number_formats=["ozon_posting"]),
        "russian-post": CarrierFactory(code="russian-post", name="Почта России", adapter="russian_post", number_formats=["russian_post_14", "s10"]),
        "cdek": CarrierFactory(code="cdek", name="СДЭК", adapter="cdek", number_formats=["cdek"]),
    }


@pytest.fixture
def ozon(settings: Any) -> Iterator[CarrierServer]:
    """A local Ozon Seller API on 127.0.0.1; MARKETPLACE_OZON_URL points at it."""
    settings.MARKETPLACE_OZON_TIMEOUT = 5.0  # generous: a loaded CI machine must not turn a slow answer into a timeout
    with CarrierServer() as server:
        settings.MARKETPLACE_OZON_URL = server.url
        yield server


@pytest.fixture
def account(shop):
    return MarketplaceAccountFactory(shop=shop, client_id="836001", api_key="secret-key-1")
