"""The beat entries follow MARKETPLACE_SYNC_SECONDS / MARKETPLACE_PUSH_SECONDS (0 turns each off)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = "from supportdesk import settings as s; print(sorted(k for k in s.CELERY_BEAT_SCHEDULE if k.startswith('marketplace')))"


def beat_entries(**env: str) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPLACE_")}
    result = subprocess.run([sys.executable, "-c", SHOW], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip()


def test_both_entries_by_default_and_each_can_be_turned_off() -> None:
    assert beat_entries() == "['marketplace-push-tracking-numbers', 'marketplace-sync-accounts']"
    assert beat_entries(MARKETPLACE_SYNC_SECONDS="0") == "['marketplace-push-tracking-numbers']"
    assert beat_entries(MARKETPLACE_PUSH_SECONDS="0", MARKETPLACE_SYNC_SECONDS="0") == "[]"
