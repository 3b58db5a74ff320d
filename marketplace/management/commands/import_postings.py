"""manage.py import_postings FILE --shop SLUG: Ozon's FBS posting report (CSV) into the shop's orders and parcels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from marketplace.imports import postings_import
from marketplace.report import ReportError
from orders.models import Shop

MAX_LISTED = 50  # rejected rows printed; the summary counts them all


class Command(BaseCommand):
    help = "Import the Ozon FBS posting report (CSV: ';'-separated, UTF-8, Russian headers) into a shop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--shop", required=True, help="slug of the shop the postings belong to")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (e.g. in cron or CI logs)")

    def handle(self, *args: Any, **options: Any) -> None:
        shop = Shop.objects.filter(slug=options["shop"]).first()
        if shop is None:
            raise CommandError(f"No shop with slug {options['shop']!r}.")
        try:
            raw = options["file"].read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}") from None
        # The raw stream: OutputWrapper would end each of tqdm's "\r" redraws with a newline.
        bar = tqdm(total=0, unit="row", desc="import", disable=options["no_progress"], file=self.stderr._out)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            report = postings_import(shop=shop, raw=raw, progress=progress)
        except ReportError as error:
            raise CommandError(str(error)) from None
        finally:
            bar.close()
        for line, reason in report.rejected[:MAX_LISTED]:
            self.stdout.write(f"line {line}: rejected: {reason}")
        if len(report.rejected) > MAX_LISTED:
            self.stdout.write(f"… and {len(report.rejected) - MAX_LISTED} more rejected rows")
        for line, note in report.notes[:MAX_LISTED]:
            self.stdout.write(f"line {line}: note: {note}")
        self.stdout.write(self.style.SUCCESS(report.summary()) if not report.rejected else self.style.WARNING(report.summary()))
