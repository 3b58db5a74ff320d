"""The Celery app. Settings come from Django settings with the CELERY_ prefix."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")

app = Celery("supportdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery's Django fix-up closes every database connection before and after each task unless CELERY_DB_REUSE_MAX
# is set: a new PostgreSQL connection (a server process) per task, 500 of them for 20,000 parcels in
# bench/polling.py, which held P1 at ~950-1,040 parcels/s. With it set, the fix-up recycles the connection only
# after that many tasks, and Django's own rules apply around each task instead, as for a web request: a
# connection older than DB_CONN_MAX_AGE, or broken, is dropped (close_old_connections).
app.conf.CELERY_DB_REUSE_MAX = 10_000


@task_prerun.connect
@task_postrun.connect
def _close_old_database_connections(*, task: Any = None, **_kwargs: Any) -> None:
    if task is not None and getattr(task.request, "is_eager", False):
        return  # run inside the caller (tests, CELERY_TASK_ALWAYS_EAGER): its connection and transaction are the caller's
    from django.db import close_old_connections

    close_old_connections()
