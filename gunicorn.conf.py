"""gunicorn's settings for supportdesk (read from the working directory: `gunicorn supportdesk.wsgi`).

Sync workers, (2 × cores) + 1 of them, gunicorn's own advice: a request spends part of its time waiting on
PostgreSQL (each commit waits for the WAL flush), Redis and the client's upload, so one worker a core leaves the
cores idle while work queues. On the 2-core bench machine, 20 buyers opening cases with two photos each: p95
331 ms with 2 workers, 177-218 ms with 5 (docs/benchmarks.md, P4). WEB_CONCURRENCY overrides the count.
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))  # an upload of 10 files of 10 MB from a phone takes a while
