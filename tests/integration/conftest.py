"""Service-backed tests: real PostgreSQL and real Celery worker/beat processes over Redis.

They fail (never skip) when the services are not configured or unreachable, so CI cannot
pass without exercising them. `make test` deselects them with -m "not services".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# Every test here commits (other processes must see its rows). Serialized rollback restores the
# database afterwards: the flush would otherwise also wipe rows that data migrations made (the
# staff groups), which later tests rely on.
SERVICE_TEST = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


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


def wait_for(predicate: Callable[[], object], *, timeout: float = 60.0, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def celery_queue() -> str:
    # A queue of its own, so the processes take only this test's tasks.
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def worker_env(transactional_db: None, celery_queue: str, tmp_path: Path) -> dict[str, str]:
    require_postgres()
    broker = require_redis()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="supportdesk.settings", DATABASE_URL=database_url(), CELERY_BROKER_URL=broker,
        CELERY_TASK_ALWAYS_EAGER="0", DB_CONN_MAX_AGE="0", CELERY_TASK_DEFAULT_QUEUE=celery_queue,
        SUPPORTDESK_VAR_DIR=str(tmp_path), LOG_LEVEL="INFO",
    )
    return env


class CeleryProcesses:
    """Starts `celery worker` / `celery beat` processes in their own sessions, and kills them all."""

    def __init__(self, env: dict[str, str], queue: str, log_dir: Path) -> None:
        self.env, self.queue, self.log_dir = env, queue, log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, kind: str, **extra_env: str) -> subprocess.Popen[bytes]:
        args = ["worker", "--pool", "prefork", "--concurrency", "2", "--queues", self.queue, "--without-mingle", "--without-gossip"]
        if kind == "beat":
            args = ["beat", "--schedule", str(self.log_dir / "beat-schedule")]
        log = open(self.log_dir / f"{kind}-{len(self.processes)}.log", "wb")  # noqa: SIM115 - lives as long as the process
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "supportdesk", *args, "--loglevel", "INFO"],
            cwd=ROOT, env={**self.env, **extra_env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.processes.append(process)
        return process

    @staticmethod
    def kill(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (the worker and its pool children)."""
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.kill(process, signal.SIGTERM)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.log_dir.glob("*.log")))


@pytest.fixture
def celery_processes(worker_env: dict[str, str], celery_queue: str, tmp_path: Path) -> Iterator[CeleryProcesses]:
    processes = CeleryProcesses(worker_env, celery_queue, tmp_path)
    yield processes
    processes.stop_all()


@pytest.fixture
def celery_worker(celery_processes: CeleryProcesses) -> subprocess.Popen[bytes]:
    """A real `celery worker` process on the test database, consuming the test's own queue."""
    return celery_processes.start("worker")
