"""The claim dossier archive: summary.pdf, timeline.csv and the evidence files under evidence/.

The ZIP is written to an anonymous temporary file and each evidence file is copied into it in chunks,
so memory stays flat however many and however large the files are.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
import tempfile
import unicodedata
import zipfile
from typing import IO

from django.utils.translation import gettext as _

from tickets.dossier.data import Dossier
from tickets.dossier.pdf import render_summary
from tickets.models import Attachment

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[^\w.\-]+")

FileRow = tuple[str, str, str, int | str, str]


def safe_name(index: int, original: str) -> str:
    """`evidence/03-invoice.pdf`: numbered (unique, in upload order), no directories, no odd characters."""
    base = re.split(r"[\\/]", original)[-1]
    base = unicodedata.normalize("NFKC", base)
    base = _UNSAFE.sub("_", base).strip("._") or "file"
    stem, dot, ext = base.rpartition(".")
    if dot and len(ext) <= 8:
        base = f"{stem[:80]}.{ext}"
    return f"evidence/{index:02d}-{base[:90]}"


def _pack_file(archive: zipfile.ZipFile, name: str, attachment: Attachment) -> str:
    """Copy one stored file into the archive in chunks; returns its SHA-256."""
    digest = hashlib.sha256()
    # stored, not deflated: evidence is JPEG, PNG, WebP or PDF, already compressed (deflating costs CPU, saves nothing)
    info = zipfile.ZipInfo(name, date_time=attachment.created_at.astimezone(dt.UTC).timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    with attachment.file.open("rb") as source, archive.open(info, "w", force_zip64=True) as target:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest()


def _pack_evidence(archive: zipfile.ZipFile, dossier: Dossier) -> list[FileRow]:
    rows: list[FileRow] = []
    for index, attachment in enumerate(dossier.files, start=1):
        name = safe_name(index, attachment.original_name)
        kind = attachment.get_evidence_kind_display()
        try:
            rows.append((name, attachment.original_name, kind, attachment.size, _pack_file(archive, name, attachment)))
        except OSError:  # the row outlived its file: say so in the summary rather than fail the whole dossier
            log.warning("dossier: attachment %s has no stored file %s", attachment.pk, attachment.file.name)
            rows.append(("—", attachment.original_name, kind, _("missing from storage"), "—"))
    return rows


def timeline_csv(dossier: Dossier) -> bytes:
    """Every tracking event of every parcel, oldest first per parcel, with UTC and shop-local times and raw codes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([
        "tracking_number", "carrier", "direction", "occurred_at_utc", f"occurred_at_local ({dossier.tz.key})", "status",
        "raw_code", "raw_description", "location",
    ])
    for parcel in dossier.parcels:
        for event in parcel.timeline:  # type: ignore[attr-defined]
            writer.writerow([
                parcel.tracking_number, parcel.carrier.code, parcel.direction,
                event.occurred_at.astimezone(dt.UTC).isoformat(), dossier.local(event.occurred_at).isoformat(),
                event.status, event.raw_code, event.raw_description, event.location,
            ])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: spreadsheet programs then read the Cyrillic right


def dossier_archive(dossier: Dossier) -> IO[bytes]:
    """The dossier ZIP in a temporary file, rewound; the caller streams and closes it (the file is then gone)."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    try:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            file_rows = _pack_evidence(archive, dossier)
            archive.writestr("summary.pdf", render_summary(dossier, file_rows=file_rows))
            archive.writestr("timeline.csv", timeline_csv(dossier))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool
