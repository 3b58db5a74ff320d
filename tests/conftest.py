"""Named personas (healthchecks' Alice/Bob/Charlie): two shops, their agents, two buyers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from orders.models import ShopMembership
from tests.factories import BuyerFactory, OrderFactory, ShopFactory, ShopMembershipFactory, UserFactory


@pytest.fixture
def shared_cache(settings, tmp_path):
    """A cache that every process on the machine shares, as Redis is in production: turns on the per-process memos
    of supportdesk.config_cache (which stay off with the tests' LocMemCache)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}}


@pytest.fixture
def shop(db):
    return ShopFactory(name="Shenzhen Gadgets", slug="shenzhen-gadgets")


@pytest.fixture
def other_shop(db):
    return ShopFactory(name="Moscow Home", slug="moscow-home")


@pytest.fixture
def agent(shop):
    return ShopMembershipFactory(shop=shop, user=UserFactory(username="agent", is_staff=True), role=ShopMembership.Role.AGENT).user


@pytest.fixture
def desk_agent(agent):
    """The agent, in the "agents" group (created by a migration), as the admin sees them."""
    from django.contrib.auth.models import Group

    agent.groups.add(Group.objects.get(name="agents"))
    return agent


@pytest.fixture
def other_agent(other_shop):
    return ShopMembershipFactory(
        shop=other_shop, user=UserFactory(username="other_agent", is_staff=True), role=ShopMembership.Role.AGENT
    ).user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def customer(db):
    return BuyerFactory(username="customer")


@pytest.fixture
def other_customer(db):
    return BuyerFactory(username="other_customer")


@pytest.fixture
def order(shop, customer):
    return OrderFactory(shop=shop, buyer=customer)


@pytest.fixture
def prepare_thresholds() -> Callable[[], Any]:
    """`with prepare_thresholds() as seen:` lists psycopg's prepare threshold for every statement run inside; None
    means the statement ran unprepared (supportdesk.sql.unprepared). PostgreSQL only."""

    @contextmanager
    def watch() -> Iterator[list[int | None]]:
        assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://… (CI does)"
        seen: list[int | None] = []

        def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            seen.append(connection.connection.prepare_threshold)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            yield seen

    return watch
