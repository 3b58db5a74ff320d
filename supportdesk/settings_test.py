"""Test settings: the real settings plus speed-ups only."""

import tempfile
from pathlib import Path

from supportdesk.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="supportdesk-media-"))
# Sessions in their table whatever REDIS_URL says (it switches them to cached_db): the tests' query counts include the
# session row on either suite, LocMemCache or Redis.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
