"""Claim dossiers: one ZIP an agent downloads and sends to the carrier, the marketplace or the insurer."""

from __future__ import annotations

from typing import IO

from django.utils import timezone

from tickets.dossier.archive import dossier_archive
from tickets.dossier.data import dossier_load
from tickets.models import Claim


def claim_dossier(*, claim: Claim) -> IO[bytes]:
    """The claim's dossier ZIP (summary.pdf, timeline.csv, evidence/...) in a rewound temporary file.

    Read-only; a fixed number of queries; the caller closes the file.
    """
    return dossier_archive(dossier_load(claim=claim, now=timezone.now()))
