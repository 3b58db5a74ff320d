"""manage.py ozon_sync --shop SLUG [--posting NUMBER]: pull the shop's Ozon FBS postings now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace.models import MarketplaceAccount
from marketplace.ozon.errors import OzonError
from marketplace.services import ozon_refresh_posting, ozon_sync_account


class Command(BaseCommand):
    help = "Sync a shop's Ozon FBS postings (all changed since the last sync, or one posting) into orders and parcels."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", required=True, help="slug of a shop with an Ozon account")
        parser.add_argument("--posting", help="fetch just this posting (/v3/posting/fbs/get)")

    def handle(self, *args: Any, **options: Any) -> None:
        account = MarketplaceAccount.objects.select_related("shop").filter(shop__slug=options["shop"]).first()
        if account is None:
            raise CommandError(f"The shop {options['shop']!r} has no Ozon account (add one in the admin: Marketplace accounts).")
        try:
            if options["posting"]:
                report = ozon_refresh_posting(account=account, posting_number=options["posting"])
            else:
                report = ozon_sync_account(account=account)
        except OzonError as error:
            raise CommandError(f"Ozon sync failed: {error.message}") from None
        for warning in report.warnings:
            self.stdout.write(f"note: {warning}")
        self.stdout.write(self.style.SUCCESS(
            f"{report.pages} pages: {report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.skipped} skipped"
        ))
