"""Service-backed tests: real PostgreSQL and a real Celery worker over Redis.

They fail (never skip) when the services are not configured or unreachable, so CI cannot
pass without exercising them. `make test` deselects them with -m "not services".
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.fail("service tests need PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/supportdesk")


def require_redis() -> str:
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.fail(f"service tests need a Redis broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/0 (got {url!r})")
    try:
        redis.Redis.from_url(url, socket_timeout=5).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {url} is unreachable: {error}")
    return url


def database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def celery_queue() -> str:
    # A queue of its own, so the worker takes only this test's tasks.
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def worker_env(transactional_db: None) -> dict[str, str]:
    require_postgres()
    broker = require_redis()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="supportdesk.settings", DATABASE_URL=database_url(), CELERY_BROKER_URL=broker,
        CELERY_TASK_ALWAYS_EAGER="0", DB_CONN_MAX_AGE="0",
    )
    return env


@pytest.fixture
def celery_worker(worker_env: dict[str, str], celery_queue: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery worker` process on the test database, consuming `celery_queue`."""
    command = [sys.executable, "-m", "celery", "-A", "supportdesk", "worker", "--loglevel", "INFO", "--pool", "prefork",
               "--concurrency", "2", "--queues", celery_queue, "--without-mingle", "--without-gossip"]
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / f"worker-{celery_queue}.log", "wb")  # noqa: SIM115 - closed in teardown
    process = subprocess.Popen(command, cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT)
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()
