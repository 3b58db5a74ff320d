"""supportdesk settings: every value comes from the environment, with development defaults.

Defaults need nothing but Python: SQLite in var/ and kombu's filesystem broker. Set DATABASE_URL
for PostgreSQL and CELERY_BROKER_URL / REDIS_URL for Redis. DEBUG=0 switches on the production
defaults (HTTPS-only cookies, HSTS, no default secret) that `manage.py check --deploy` asks for.
The README lists every variable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from supportdesk.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SUPPORTDESK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "dev-only-insecure-key-change-me-" + "x" * 32
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0 (50+ random characters)")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI files served by the app: /api/docs/ without a CDN
    "orders",
    "logistics",
    "tickets",
    "webhooks",
    "marketplace",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "supportdesk.urls"
WSGI_APPLICATION = "supportdesk.wsgi.application"
ASGI_APPLICATION = "supportdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tickets.notifications.unread_notifications",
                "tickets.desk.access.desk_context",
            ],
        },
    },
]


def _database(url: str) -> dict[str, Any]:
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)))
    except (ValueError, KeyError) as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL Django can use ({error}); got {url!r}") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"DATABASE_URL names no known database scheme; got {url!r}")
    if config["ENGINE"].endswith("sqlite3"):
        # SQLite serialises writers. IMMEDIATE takes the write lock when a transaction starts, so a
        # busy database makes it wait (timeout) instead of failing mid-transaction with "locked";
        # WAL lets the web server read while the worker writes.
        config["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL"}
    elif config["ENGINE"].endswith("postgresql"):
        # Parameters bound by the server (libpq sends them) rather than quoted into the SQL in Python, and statements
        # a connection runs again and again prepared once (psycopg prepares one after DB_PREPARE_THRESHOLD runs), so
        # PostgreSQL stops parsing and planning the same few queries on every request. Set-based batches (the CSV
        # import, the tracking ingest, the anomaly sweep, reports) run unprepared (supportdesk.sql.unprepared): a
        # generic plan for their long IN and VALUES lists misjudges them (bench/import.py: 19 s planned for its
        # values, 83 s generic). Behind a pooler in transaction mode without prepared-statement support
        # (PgBouncer < 1.21), set DB_PREPARE_THRESHOLD=0: off.
        threshold = env_int("DB_PREPARE_THRESHOLD", 5, minimum=0)
        config["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": threshold or None}
    return config


if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the default SQLite file lives here
DATABASES = {"default": _database(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "supportdesk.cache.SharedClientRedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Sessions read from the shared cache (a query less on every signed-in request, benchmark P4) and written through
# to the database; only with Redis: with the per-process cache a session signed out in one worker would live on in
# the others.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
if "STATIC_ROOT" not in os.environ:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it; collectstatic fills it
STATICFILES_DIRS = [BASE_DIR / "static"]  # vendored front-end assets (Bootstrap 5): nothing from a CDN
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# --- Security: development-friendly with DEBUG=1, `check --deploy`-clean with DEBUG=0 ---
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL", False):  # behind a proxy that sets X-Forwarded-Proto
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "supportdesk <support@localhost>")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.problem_exception_handler",
    # Proxies in front of the app whose X-Forwarded-For may be trusted; 0: the client address is REMOTE_ADDR,
    # so a forged header cannot dodge the per-IP throttle.
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0, minimum=0),
}

# --- Integration API (/api/v1/) ---
API_THROTTLE_TOKEN_RATE = env_str("API_THROTTLE_TOKEN_RATE", "1200/min")  # per token (or signed-in user)
API_THROTTLE_IP_RATE = env_str("API_THROTTLE_IP_RATE", "2400/min")  # per client address, checked before authentication
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50, minimum=1)
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 200, minimum=1)
API_IDEMPOTENCY_HOURS = env_int("API_IDEMPOTENCY_HOURS", 24, minimum=1)
SPECTACULAR_SETTINGS = {
    "TITLE": "supportdesk API",
    "DESCRIPTION": "Orders, parcels, cases and claims of one shop, for its ERP and storefront. Errors are RFC 9457 problem details.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "ParcelStatusEnum": "logistics.statuses.ParcelStatus",
        "CaseStatusEnum": "tickets.models.TicketStatus",
        "CaseKindEnum": "tickets.models.TicketKind",
        "ClaimStatusEnum": "tickets.models.Claim.Status",
        "ClaimKindEnum": "tickets.models.Claim.Kind",
        "AnomalyKindEnum": "logistics.models.AnomalyKind",
        "EvidenceKindEnum": "tickets.models.EvidenceKind",
        "WebhookEventTypeEnum": "webhooks.models.EventType",
        "WebhookDeliveryEventTypeEnum": "api.views.webhooks.DELIVERY_EVENT_TYPES",
    },
}

# --- Celery (settings prefixed CELERY_, read by supportdesk/celery.py) ---
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_FOLDER = VAR_DIR / "celery-broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # One folder in and out: producer and consumer share the queue files on this machine.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
    }
    for _folder in ("queue", "control"):  # kombu expects them to exist
        (CELERY_BROKER_FOLDER / _folder).mkdir(parents=True, exist_ok=True)
else:
    # Redis redelivers unacked (acks_late) tasks after this; keep it above the longest countdown.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)}
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "logistics-poll-due-parcels": {
        "task": "logistics.tasks.logistics_poll_due_parcels_task",
        "schedule": float(env_int("POLL_TICK_SECONDS", 10, minimum=1)),
    },
    "logistics-sweep-anomalies": {
        "task": "logistics.tasks.logistics_sweep_anomalies_task",
        "schedule": float(env_int("ANOMALY_SWEEP_SECONDS", 60, minimum=5)),
    },
    "tickets-open-anomaly-cases": {
        "task": "tickets.tasks.tickets_open_anomaly_cases_task",
        "schedule": float(env_int("ANOMALY_SWEEP_SECONDS", 60, minimum=5)),
    },
    "tickets-record-sla-breaches": {
        "task": "tickets.tasks.tickets_record_sla_breaches_task",
        "schedule": crontab(minute="*"),
    },
    "tickets-warn-sla": {
        "task": "tickets.tasks.tickets_warn_sla_task",
        "schedule": crontab(minute="*"),
    },
    "tickets-notify-tracking-number-changes": {
        "task": "tickets.tasks.tickets_notify_tracking_number_changes_task",
        "schedule": 60.0,
    },
    "tickets-resend-pending-attachments": {
        "task": "tickets.tasks.attachments_resend_pending_task",
        "schedule": 300.0,
    },
    "webhooks-dispatch-due": {
        "task": "webhooks.tasks.webhooks_dispatch_due_task",
        "schedule": float(env_int("WEBHOOKS_DISPATCH_SECONDS", 15, minimum=1)),
    },
    "webhooks-prune-events": {
        "task": "webhooks.tasks.webhook_events_prune_task",
        "schedule": crontab(minute="17"),
    },
    "api-purge-idempotency-records": {
        "task": "api.tasks.api_purge_idempotency_records_task",
        "schedule": crontab(minute=17),
    },
}

# --- Marketplace sync (Ozon Seller API) and the tracking-number push back ---
MARKETPLACE_OZON_URL = env_str("MARKETPLACE_OZON_URL", "https://api-seller.ozon.ru")
MARKETPLACE_OZON_TIMEOUT = float(env_int("MARKETPLACE_OZON_TIMEOUT", 20, minimum=1))
MARKETPLACE_OZON_LOOKBACK_DAYS = env_int("MARKETPLACE_OZON_LOOKBACK_DAYS", 30, minimum=1)  # postings created this far back
MARKETPLACE_SYNC_SECONDS = env_int("MARKETPLACE_SYNC_SECONDS", 300, minimum=0)  # 0: no scheduled sync
MARKETPLACE_PUSH_SECONDS = env_int("MARKETPLACE_PUSH_SECONDS", 60, minimum=0)  # 0: no scheduled push
MARKETPLACE_IMPORT_MAX_BYTES = env_int("MARKETPLACE_IMPORT_MAX_BYTES", 64 * 1024 * 1024, minimum=1024)  # admin upload
if MARKETPLACE_SYNC_SECONDS:  # each tick syncs every active account; none active: one cheap query
    CELERY_BEAT_SCHEDULE["marketplace-sync-accounts"] = {
        "task": "marketplace.tasks.marketplace_sync_accounts_task", "schedule": float(MARKETPLACE_SYNC_SECONDS),
    }
if MARKETPLACE_PUSH_SECONDS:
    CELERY_BEAT_SCHEDULE["marketplace-push-tracking-numbers"] = {
        "task": "marketplace.tasks.marketplace_push_tracking_numbers_task", "schedule": float(MARKETPLACE_PUSH_SECONDS),
    }

# --- Evidence uploads (DESIGN §9) ---
EVIDENCE_MAX_FILE_BYTES = env_int("EVIDENCE_MAX_FILE_BYTES", 10 * 1024 * 1024, minimum=1024)
EVIDENCE_MAX_FILES_PER_MESSAGE = env_int("EVIDENCE_MAX_FILES_PER_MESSAGE", 6, minimum=1)
EVIDENCE_MAX_BYTES_PER_CASE = env_int("EVIDENCE_MAX_BYTES_PER_CASE", 50 * 1024 * 1024, minimum=1024)
EVIDENCE_MAX_IMAGE_PIXELS = env_int("EVIDENCE_MAX_IMAGE_PIXELS", 40_000_000, minimum=1_000_000)  # decompression-bomb guard
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # non-file form fields; files stream to disk past FILE_UPLOAD_MAX_MEMORY_SIZE
# Django's two handlers, reading the body in 1 MiB pieces (supportdesk/uploads.py says why).
FILE_UPLOAD_HANDLERS = ["supportdesk.uploads.MemoryFileUploadHandler1M", "supportdesk.uploads.TemporaryFileUploadHandler1M"]

PORTAL_MAX_CASES_PER_HOUR = env_int("PORTAL_MAX_CASES_PER_HOUR", 5, minimum=1)
# PostgreSQL's work_mem for building /desk/reports/ (that transaction only): its sorts and hashes cover a whole period.
REPORTS_WORK_MEM = env_str("REPORTS_WORK_MEM", "64MB")

# --- Tracking ---
POLL_TICK_SECONDS = env_int("POLL_TICK_SECONDS", 10, minimum=1)
# Carriers: the same adapters talk to the real service, the emulator or a test server.
CARRIER_HTTP_TIMEOUT = float(env_int("CARRIER_HTTP_TIMEOUT", 15, minimum=1))
CARRIER_17TRACK_URL = env_str("CARRIER_17TRACK_URL", "https://api.17track.net")
CARRIER_17TRACK_TOKEN = env_str("CARRIER_17TRACK_TOKEN", "")
CARRIER_CDEK_URL = env_str("CARRIER_CDEK_URL", "https://api.cdek.ru")
CARRIER_CDEK_CLIENT_ID = env_str("CARRIER_CDEK_CLIENT_ID", "")
CARRIER_CDEK_CLIENT_SECRET = env_str("CARRIER_CDEK_CLIENT_SECRET", "")
CARRIER_CDEK_WEBHOOK_SECRET = env_str("CARRIER_CDEK_WEBHOOK_SECRET", "")
CARRIER_RUSSIAN_POST_URL = env_str("CARRIER_RUSSIAN_POST_URL", "https://tracking.russianpost.ru")
CARRIER_RUSSIAN_POST_LOGIN = env_str("CARRIER_RUSSIAN_POST_LOGIN", "")
CARRIER_RUSSIAN_POST_PASSWORD = env_str("CARRIER_RUSSIAN_POST_PASSWORD", "")
CARRIER_DEMO_URL = env_str("CARRIER_DEMO_URL", "http://127.0.0.1:8765")
CARRIER_DEMO_TOKEN = env_str("CARRIER_DEMO_TOKEN", "demo-token")
# A claimed parcel is due again after this long if its batch never finishes (worker killed).
POLL_LEASE_SECONDS = env_int("POLL_LEASE_SECONDS", 600, minimum=5)

# --- Webhooks out (README "Webhooks") ---
# Loopback targets are refused like every non-public address unless this is on (local development, tests).
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", False)
WEBHOOKS_TIMEOUT_SECONDS = float(env_int("WEBHOOKS_TIMEOUT_SECONDS", 10, minimum=1))
WEBHOOKS_MAX_ATTEMPTS = env_int("WEBHOOKS_MAX_ATTEMPTS", 10, minimum=1)
WEBHOOKS_DISABLE_AFTER_FAILURES = env_int("WEBHOOKS_DISABLE_AFTER_FAILURES", 15, minimum=1)
WEBHOOKS_DISABLE_AFTER_DAYS = env_int("WEBHOOKS_DISABLE_AFTER_DAYS", 3, minimum=1)
WEBHOOKS_RETENTION_DAYS = env_int("WEBHOOKS_RETENTION_DAYS", 30, minimum=1)  # settled events and their log, then pruned

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
