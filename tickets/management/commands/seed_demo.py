"""`manage.py seed_demo [--small]`: build the demo world (idempotent) and print the demo logins."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand

from tickets.demo import build_demo_world
from tickets.notifications import notification_emails_off


class Command(BaseCommand):
    help = "Create demo shops, carriers, staff, buyers, orders, parcels and cases. Safe to run again: adds only what is missing."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--small", action="store_true", help="A small world for tests: 10 buyers, 40 orders, 16 cases (still every status)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with notification_emails_off():  # the demo's history is shown in the portal, not mailed out
            report = build_demo_world(small=options["small"])
        for line in report.lines():
            self.stdout.write(line)
