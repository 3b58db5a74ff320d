"""Importing the posting report: parse the whole file first (pure, `report.py`), then write in batches.

Nothing is written when the file as a whole is unusable (encoding, separator, missing required
columns). Rows are validated fully before any write; a posting whose tracking number its carrier does
not issue, or that another parcel already has, is rejected whole by the writer before its batch is
written. Idempotent: importing the same file again reports every posting unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from marketplace.postings import BATCH, postings_upsert
from marketplace.report import ParsedReport, parse_report
from orders.models import Shop
from supportdesk.sql import unprepared


@dataclass
class ImportReport:
    rows: int = 0
    postings: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), one per rejected row
    notes: list[tuple[int, str]] = field(default_factory=list)  # duplicates, postings that went in without a parcel

    def summary(self) -> str:
        return (f"{self.rows} rows, {self.postings} postings: {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged; {len(self.rejected)} rows rejected")


def postings_import(*, shop: Shop, raw: bytes, progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import Ozon's FBS posting report (CSV bytes) into `shop`'s orders, lines and parcels.

    Raises report.ReportError, before writing anything, for a file that cannot be imported at all.
    `progress(rows done, rows in all)` is called once the file is read and after each batch.
    """
    parsed = parse_report(raw, time_zone=shop.time_zone)
    report = ImportReport(rows=parsed.rows, rejected=list(parsed.rejected), notes=list(parsed.notes))
    done = len(parsed.rejected)
    if progress:
        progress(done, parsed.rows)
    with unprepared():  # the batches' statements are best planned for their values (supportdesk.sql.unprepared)
        for start in range(0, len(parsed.postings), BATCH):
            _import_batch(shop, parsed, start, report)
            done += sum(len(p.lines) for p in parsed.postings[start : start + BATCH])
            if progress:
                progress(done, parsed.rows)
    report.postings = report.created + report.updated + report.unchanged
    report.rejected.sort()
    report.notes.sort()
    return report


def _import_batch(shop: Shop, parsed: ParsedReport, start: int, report: ImportReport) -> None:
    batch = parsed.postings[start : start + BATCH]
    result = postings_upsert(shop=shop, postings=[p.data for p in batch], strict=True)
    for posting in batch:
        number = posting.data.posting_number
        if number in result.rejected:
            report.rejected += [(line, result.rejected[number]) for line in posting.lines]
            continue
        if number in result.warnings:
            report.notes.append((posting.lines[0], result.warnings[number]))
        outcome = result.outcomes[number]
        report.created += outcome == "created"
        report.updated += outcome == "updated"
        report.unchanged += outcome == "unchanged"
