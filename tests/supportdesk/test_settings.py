"""Settings come from the environment: wrong values stop start-up, production settings pass check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3J9#pQ2!vX8@mL5$wR7^tY1&zN4*bC6(dF0)gH2-jK8_lP3+sA5",
    "ALLOWED_HOSTS": "desk.example.com",
    "DATABASE_URL": "sqlite:////tmp/supportdesk-deploy-check.sqlite3",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "supportdesk.settings", **env},
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_it_passes_check_deploy_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_with_development_defaults():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={"DATABASE_URL": PRODUCTION_ENV["DATABASE_URL"]})
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG on


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DEBUG", "maybe"), ("EMAIL_PORT", "twenty-five"), ("SECURE_HSTS_SECONDS", "-5"), ("LOG_LEVEL", "LOUD"), ("DATABASE_URL", "mongodb://x/y")],
)
def test_a_wrong_value_stops_start_up_naming_the_variable(variable, value):
    result = run_manage("check", env={**({"DATABASE_URL": PRODUCTION_ENV["DATABASE_URL"]} if variable != "DATABASE_URL" else {}), variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.splitlines()[-1]


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(("redis_url", "engine"), [
    ("redis://127.0.0.1:6379/1", "django.contrib.sessions.backends.cached_db"),  # shared by every process: read from it
    ("", "django.contrib.sessions.backends.db"),  # a per-process cache would keep a signed-out session alive elsewhere
])
def test_sessions_come_from_the_cache_only_when_it_is_shared(redis_url, engine):
    env = {"DATABASE_URL": PRODUCTION_ENV["DATABASE_URL"], "REDIS_URL": redis_url}
    result = run_manage("shell", "-c", "from django.conf import settings; print(settings.SESSION_ENGINE)", env=env)
    assert result.stdout.strip().splitlines()[-1] == engine, result.stderr


@pytest.mark.parametrize(("threshold", "options"), [
    # parameters bound by the server, repeated statements prepared
    ("", "{'server_side_binding': True, 'prepare_threshold': 5}"),
    # behind a pooler that cannot keep prepared statements
    ("0", "{'server_side_binding': True, 'prepare_threshold': None}"),
])
def test_postgresql_binds_on_the_server_and_prepares_repeated_statements(threshold, options):
    env = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused", **({"DB_PREPARE_THRESHOLD": threshold} if threshold else {})}
    result = run_manage("shell", "-c", "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])", env=env)
    assert result.stdout.strip().splitlines()[-1] == options, result.stderr
