"""How many times processing has started on an inbox file without finishing.

A file that takes its worker down with it (killed for memory, a native crash the reader's
child process did not contain) would otherwise be retried on every run and hold up the
files behind it. Each start is counted in a small file under ``<home>/state/attempts``
(one per inbox entry, so parallel tasks never share one); a finished file, or one whose
processing failed for the infrastructure's sake, is forgotten.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

MAX_ATTEMPTS = 3


class Attempts:
    def __init__(self, home: Path):
        self.root = home / "state" / "attempts"

    def _marker(self, relative: str) -> Path:
        return self.root / hashlib.sha256(relative.encode("utf-8", "surrogateescape")).hexdigest()

    def begin(self, relative: str) -> int:
        """Count one more start on ``relative``; returns how many there have been."""
        marker = self._marker(relative)
        marker.parent.mkdir(parents=True, exist_ok=True)
        count = int(marker.read_text() or 0) + 1 if marker.exists() else 1
        marker.write_text(str(count))
        return count

    def finish(self, relative: str) -> None:
        self._marker(relative).unlink(missing_ok=True)
