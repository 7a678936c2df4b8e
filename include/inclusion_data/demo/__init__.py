"""Synthetic sample data and the end-to-end demo (``make demo``)."""

from __future__ import annotations

import shutil
from pathlib import Path

# what the demo's coordinator does before the nightly publication (the review_month DAG's params)
APPROVE_COMPLETE = {"action": "approve-complete", "by": "coordonator@retea.example.org", "note": "demo"}


def drop_files(source: Path, inbox: Path) -> int:
    """Copy a tree of partner files into an inbox as a partner would drop them (keeping
    their modification times, which say when they arrived); returns how many."""
    count = 0
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = inbox / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            count += 1
    return count
