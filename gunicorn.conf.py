"""gunicorn's settings for supportdesk (read from the working directory: `gunicorn supportdesk.wsgi`).

Sync workers, two per core: a request spends part of its time waiting on PostgreSQL (each commit waits for the
WAL flush), Redis and the client's upload, so one worker a core leaves the cores idle while work queues, and more
than two mostly add switching between them. On the 2-core bench machine, 20 buyers opening cases with two photos
each (docs/benchmarks.md, P4): p95 331 ms with 2 workers, 195-217 ms with 4, 177-279 ms with 5 (gunicorn's
"2 x cores + 1"). WEB_CONCURRENCY overrides the count.
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))  # an upload of 10 files of 10 MB from a phone takes a while
