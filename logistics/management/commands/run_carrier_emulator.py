"""Run the 17TRACK v2.2 carrier emulator in the foreground (see logistics/emulator/server.py)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from logistics.emulator import start_emulator
from logistics.emulator.app import DEMO_TOKEN
from logistics.emulator.scenarios import PREFIXES


class Command(BaseCommand):
    help = "Serve the 17TRACK v2.2 carrier emulator: scripted parcels, a fast clock, faults and signed webhooks."

    def add_arguments(self, parser: CommandParser) -> None:
        # Defaults follow the demo carrier's settings, so `manage.py run_carrier_emulator` alone is what
        # the DemoClient adapter expects (CARRIER_DEMO_URL, CARRIER_DEMO_TOKEN).
        url = urlsplit(getattr(settings, "CARRIER_DEMO_URL", "") or "http://127.0.0.1:8765")
        parser.add_argument("--host", default=url.hostname or "127.0.0.1")
        parser.add_argument("--port", type=int, default=url.port or 8765)
        parser.add_argument(
            "--speed",
            type=float,
            default=600.0,
            help="emulated seconds per real second (600: a real minute is 10 emulated hours)",
        )
        parser.add_argument(
            "--token",
            default=getattr(settings, "CARRIER_DEMO_TOKEN", "") or DEMO_TOKEN,
            help="the 17token header clients must send",
        )
        parser.add_argument(
            "--start-days-ago",
            type=float,
            default=0.0,
            help="start the emulated clock this many days in the past and run fast only until it reaches real time",
        )
        parser.add_argument("--webhook-url", default=None, help="push signed TRACKING_UPDATED webhooks here")
        parser.add_argument(
            "--no-auto-register",
            action="store_true",
            help="reject numbers not registered first (-18019902), as the real 17TRACK does",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self._configure_logging(int(options["verbosity"]))
        try:
            handle = start_emulator(
                options["host"],
                options["port"],
                speed=options["speed"],
                token=options["token"],
                webhook_url=options["webhook_url"],
                auto_register=not options["no_auto_register"],
                start_days_ago=options["start_days_ago"],
            )
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot start the emulator: {exc}") from exc
        self.stdout.write(
            f"17TRACK emulator on {handle.url}/track/v2.2/ (speed x{options['speed']:g}, "
            f"token {options['token']!r}); prefixes: {', '.join(PREFIXES)}. Ctrl-C stops it."
        )
        self._wait_for_signal()
        handle.stop()
        self.stdout.write("emulator stopped")

    @staticmethod
    def _configure_logging(verbosity: int) -> None:
        """One INFO line per request unless -v 0; the project's LOGGING may not cover this logger."""
        logger = logging.getLogger("logistics.emulator")
        logger.setLevel(logging.INFO if verbosity else logging.WARNING)
        if not logger.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            logger.addHandler(handler)
            logger.propagate = False

    @staticmethod
    def _wait_for_signal() -> None:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.wait(0.5):  # a short wait keeps the main thread responsive to signals
            pass
