"""P4: buyer case creation with two ~1 MB images, p95 under 20 concurrent buyers.

Usage: .venv/bin/python bench/portal.py [--buyers 20] [--cases 5] [--workers 2 x cores] [--threads 1]
Needs PostgreSQL (BENCH_DATABASE_URL) and Redis (BENCH_BROKER_URL, default redis://127.0.0.1:6379/0; the Django
cache on BENCH_CACHE_URL, default redis://127.0.0.1:6379/6) and gunicorn (requirements-dev.txt).

The app runs under gunicorn (sync workers, as many as gunicorn.conf.py starts by default; DEBUG=0, plain http on
loopback) against the bench database, with Redis as
its cache (REDIS_URL), as any deployment with more than one web process must (README: sessions, memos). Every
simulated buyer signs in through the login form with its own httpx.Client, then all of them at once (one thread
each, released together) open --cases "damaged goods" cases on their own parcels: fetch the real form for its CSRF
token and field names, POST subject, body and two random-noise JPEGs of ~1 MB (quality 95), and time the POST until
the redirect to the new case. No think time: every buyer starts its next case as soon as the last one is open, so
the concurrency stays at --buyers for the whole run.
A lone buyer first does the same alone (unloaded latency, and the workers' warm-up).
The images are re-encoded after the request by a Celery worker (tickets/evidence.py); the script runs one on the
same two cores under `nice -n 19` (in production workers run on their own machines) and reports how long after the
last case every image was clean.
One case per parcel (a second one would be sent to the open case), so each buyer gets --cases parcels. The portal
allows PORTAL_MAX_CASES_PER_HOUR (default 5) new cases per buyer an hour: the server's environment raises it to
--cases, a --cases above the limit the app would apply is refused, and earlier bench cases are deleted first.
Last line: P4 p95_ms=<n>
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from _common import ROOT, machine, setup_django, wait_until_up

BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/0")
CACHE = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/6")
PASSWORD = "bench-p4-password"
USERNAME_PREFIX = "p4-buyer-"
IMAGE_BYTES = 1_000_000
TIMEOUT_S = 60.0
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FILE_INPUT = re.compile(r'<input[^>]*type="file"[^>]*name="([^"]+)"|<input[^>]*name="([^"]+)"[^>]*type="file"')


@dataclass(frozen=True)
class Buyer:
    username: str
    order_id: int
    parcel_ids: list[int]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def noise_jpeg(target_bytes: int, seed: int) -> bytes:
    """Random RGB noise barely compresses: at quality 95 a square of the right side is ~target_bytes."""
    from PIL import Image

    rng = random.Random(seed)
    side, data = 600, b""
    for _attempt in range(4):  # bytes grow with the pixel count; three corrections land within a few per cent
        pixels = rng.randbytes(side * side * 3)
        out = io.BytesIO()
        Image.frombytes("RGB", (side, side), pixels).save(out, "JPEG", quality=95)
        data = out.getvalue()
        side = max(64, round(side * (target_bytes / len(data)) ** 0.5))
    return data


def prepare(count: int, cases: int) -> list[Buyer]:
    """`count` buyers (idempotent), each with one order of `cases` parcels; their earlier bench cases are deleted."""
    from django.contrib.auth.models import User

    from logistics.models import Carrier, Parcel
    from orders.models import BuyerProfile, Order, Shop
    from tests.factories import OrderFactory
    from tickets.models import Ticket

    shop, _ = Shop.objects.get_or_create(slug="bench-p4", defaults={"name": "Bench P4"})
    carrier, _ = Carrier.objects.get_or_create(code="bench-p4", defaults={"name": "Bench P4 carrier", "is_active": False})
    Ticket.objects.filter(buyer__username__startswith=USERNAME_PREFIX).delete()
    buyers: list[Buyer] = []
    for n in range(count):
        user, created = User.objects.get_or_create(username=f"{USERNAME_PREFIX}{n}", defaults={"email": f"p4-{n}@example.com"})
        if created:
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
            BuyerProfile.objects.create(user=user, language="en")
        order = Order.objects.filter(shop=shop, buyer=user).first() or OrderFactory(
            shop=shop, buyer=user, order_number=f"P4-{n:05d}", posting_number=f"P4-{n:05d}-1"
        )
        for k in range(order.parcels.count(), cases):
            Parcel.objects.create(order=order, carrier=carrier, tracking_number=f"P4{n:05d}{k:03d}")
        parcel_ids = list(order.parcels.order_by("id").values_list("id", flat=True)[:cases])
        buyers.append(Buyer(user.username, order.id, parcel_ids))
    return buyers


def start_server(port: int, workers: int, threads: int, media_root: str, queue: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0", "SECURE_HSTS_SECONDS": "0",
        "MEDIA_ROOT": media_root, "CELERY_BROKER_URL": BROKER, "CELERY_TASK_DEFAULT_QUEUE": queue, "LOG_LEVEL": "WARNING",
        "REDIS_URL": CACHE,
    }
    command = [sys.executable, "-m", "gunicorn", "supportdesk.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--timeout", "120", "--log-level", "warning"]
    if threads > 1:  # gthread: a worker's threads overlap their waits (PostgreSQL, Redis, the 2 MB body) with work
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def start_sanitizer(queue: str, media_root: str) -> subprocess.Popen[bytes]:
    """The Celery worker that re-encodes the uploaded images, at the lowest CPU priority."""
    env = {**os.environ, "MEDIA_ROOT": media_root, "CELERY_BROKER_URL": BROKER, "LOG_LEVEL": "WARNING", "REDIS_URL": CACHE}
    command = ["nice", "-n", "19", sys.executable, "-m", "celery", "-A", "supportdesk", "worker", "-Q", queue,
               "--concurrency", "1", "--pool", "solo", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_until_clean(limit_s: float = 600.0) -> tuple[int, float]:
    """(images still pending, seconds waited) once the sanitising worker has caught up."""
    from tickets.models import Attachment

    pending = Attachment.objects.filter(state=Attachment.State.PENDING, ticket__buyer__username__startswith=USERNAME_PREFIX)
    started = time.perf_counter()
    while (left := pending.count()) and time.perf_counter() - started < limit_s:
        time.sleep(0.2)
    return left, time.perf_counter() - started



def process_tree_cpu(pid: int) -> float:
    """CPU seconds used so far by `pid` and its live descendants (Linux /proc): the gunicorn master and workers."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue  # exited meanwhile
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        stack.extend(int(child) for child in children)
    return total


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    if match is None:
        raise RuntimeError("no csrfmiddlewaretoken in the page")
    return match[1]


def sign_in(client: httpx.Client, username: str) -> None:
    page = client.get("/accounts/login/")
    page.raise_for_status()
    response = client.post("/accounts/login/", data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(page.text)})
    if response.status_code != 302:
        raise RuntimeError(f"{username} could not sign in: HTTP {response.status_code}")


def open_case(client: httpx.Client, buyer: Buyer, parcel_id: int, photos: tuple[bytes, bytes]) -> float:
    """GET the damaged-goods form, POST it with two photos; the POST's milliseconds until the redirect to the case."""
    url = f"/cases/new/?order={buyer.order_id}&parcel={parcel_id}&kind=damaged"
    form = client.get(url)
    form.raise_for_status()
    file_fields = {a or b for a, b in FILE_INPUT.findall(form.text)}
    if not {"package_photos", "item_photos"} <= file_fields:
        raise RuntimeError(f"the damaged-goods form has no package/item photo inputs (found {sorted(file_fields)})")
    data = {"csrfmiddlewaretoken": csrf_token(form.text), "subject": f"Broken on arrival ({parcel_id})",
            "body": "The box was crushed and the item inside is broken. Photos attached."}
    files = [("package_photos", ("package.jpg", photos[0], "image/jpeg")), ("item_photos", ("item.jpg", photos[1], "image/jpeg"))]
    started = time.perf_counter()
    response = client.post(url, data=data, files=files)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 302 or not re.search(r"/cases/\d+/$", response.headers.get("location", "")):
        errors = re.findall(r'class="invalid-feedback[^"]*"[^>]*>\s*(?:<strong>)?([^<]+)', response.text)
        raise RuntimeError(f"{buyer.username}: case not created (HTTP {response.status_code}) {errors[:3]}")
    return elapsed_ms


def run_buyer(url: str, buyer: Buyer, photos: tuple[bytes, bytes], start: threading.Barrier, out: list[float]) -> None:
    with httpx.Client(base_url=url, timeout=TIMEOUT_S) as client:
        sign_in(client, buyer.username)
        start.wait(timeout=TIMEOUT_S)
        for parcel_id in buyer.parcel_ids:
            out.append(open_case(client, buyer, parcel_id, photos))


@dataclass(frozen=True)
class Run:
    latencies: list[float]
    wall_s: float
    server_cpu_s: float  # gunicorn master and workers, from the release of the buyers to the last case
    client_cpu_s: float  # this process (the buyers' threads), same span


def run_concurrent(url: str, buyers: list[Buyer], photos: tuple[bytes, bytes], server_pid: int) -> Run:
    """Sign every buyer in, release them together, wait for all their cases; timed from the release."""
    latencies: list[float] = []  # list.append is atomic under the GIL
    errors: list[BaseException] = []
    start = threading.Barrier(len(buyers) + 1)

    def target(buyer: Buyer) -> None:
        try:
            run_buyer(url, buyer, photos, start, latencies)
        except BaseException as error:
            errors.append(error)
            start.abort()

    threads = [threading.Thread(target=target, args=(buyer,), daemon=True) for buyer in buyers]
    for thread in threads:
        thread.start()
    start.wait(timeout=TIMEOUT_S * 2)  # every buyer signed in (PBKDF2 takes a while)
    began, server_cpu, client_cpu = time.perf_counter(), process_tree_cpu(server_pid), time.process_time()
    for thread in threads:
        thread.join(timeout=TIMEOUT_S * 10)
    if errors:
        raise RuntimeError(f"{len(errors)} buyer(s) failed; first: {errors[0]!r}")
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("buyers still busy after the time limit")
    return Run(latencies, time.perf_counter() - began, process_tree_cpu(server_pid) - server_cpu, time.process_time() - client_cpu)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]  # nearest rank


def report(label: str, values: list[float]) -> None:
    print(f"{label}: n={len(values)} p50={percentile(values, 50):.0f} ms p95={percentile(values, 95):.0f} ms "
          f"max={max(values):.0f} ms mean={statistics.fmean(values):.0f} ms", flush=True)


def _stdlib_first() -> None:
    """Look in bench/ after the standard library: bench/queue.py would shadow `queue`, which psycopg and kombu import
    (lazily, from setup_django on), when this script runs with bench/ first on sys.path."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here] + [str(here)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buyers", type=int, default=20, help="concurrent buyers")
    parser.add_argument("--cases", type=int, default=5, help="cases each buyer opens")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="gunicorn workers (default: gunicorn.conf.py's two per core)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread when > 1)")
    args = parser.parse_args()
    _stdlib_first()
    queue = f"bench-p4-{uuid.uuid4().hex[:8]}"
    # The server inherits this environment: it raises the portal's per-buyer hourly case limit to --cases.
    os.environ.update(PORTAL_MAX_CASES_PER_HOUR=str(max(args.cases, 5)), CELERY_BROKER_URL=BROKER, LOG_LEVEL="WARNING")
    setup_django()
    from django.conf import settings

    limit = int(getattr(settings, "PORTAL_MAX_CASES_PER_HOUR", 5))
    if args.cases > limit:
        sys.exit(f"--cases {args.cases} is above the portal's PORTAL_MAX_CASES_PER_HOUR={limit}; use more --buyers instead")
    print(f"machine: {machine()}")
    everyone = prepare(args.buyers + 1, args.cases)
    solo, buyers = everyone[0], everyone[1:]
    photos = (noise_jpeg(IMAGE_BYTES, 1), noise_jpeg(IMAGE_BYTES, 2))
    print(f"images: {len(photos[0]):,} and {len(photos[1]):,} bytes (random noise, JPEG quality 95)")
    media_root = tempfile.mkdtemp(prefix="bench-p4-media-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port, args.workers, args.threads, media_root, queue)
    sanitizer = start_sanitizer(queue, media_root)
    try:
        wait_until_up(f"{url}/accounts/login/", server)
        alone = run_concurrent(url, [solo], photos, server.pid)
        report("1 buyer alone", alone.latencies)
        run = run_concurrent(url, buyers, photos, server.pid)
        left, waited = wait_until_clean()
        print(f"images re-encoded by the niced worker: all clean {waited:.1f} s after the last case ({left} still pending)")
    finally:
        for process in (server, sanitizer):
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(media_root, ignore_errors=True)
        _drop_queue(queue)
    cases = len(run.latencies)
    report(f"{len(buyers)} concurrent buyers", run.latencies)
    print(f"throughput: {cases / run.wall_s:.1f} cases/s over {run.wall_s:.1f} s with {args.workers} gunicorn workers "
          f"× {args.threads} thread(s)")
    print(f"CPU per case (form GET + POST): server {run.server_cpu_s / cases * 1000:.0f} ms, "
          f"client {run.client_cpu_s / cases * 1000:.0f} ms; load average (1 min) at the end {os.getloadavg()[0]:.2f}")
    print(f"P4 p95_ms={percentile(run.latencies, 95):.0f}")


def _drop_queue(queue: str) -> None:
    """Tasks the app sent (none are consumed here) go with the bench's own queue, and so do the routing
    sets kombu keeps for it (named after the queue's exchange, which is the queue's name)."""
    import redis

    try:
        redis.Redis.from_url(BROKER, socket_timeout=5).delete(
            queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
        )
    except redis.RedisError:
        pass


if __name__ == "__main__":
    main()
