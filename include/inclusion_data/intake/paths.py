"""Names partners control (folder and file names, bucket keys) made into paths that stay
inside their root. Nothing built from such a name is used before ``unsafe_reason`` has passed
it, and what is written under a partner's name goes through ``safe_name``."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME = 200  # characters of a file name kept in archive/ and rejected/


def unsafe_reason(relative: str) -> str | None:
    """Why a relative name (``TWAM/asoc-cluj/file.xlsx`` or a bucket key) cannot be used as a
    path under a root, or None when it can."""
    if not relative or relative.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", relative):
        return "an absolute path"
    if any(unicodedata.category(c) == "Cc" for c in relative):
        return "control characters"
    if any(part in ("", ".", "..") for part in relative.replace("\\", "/").split("/")):
        return "'..', '.' or an empty folder name (a way out of the folder)"
    return None


def inside(root: Path, relative: str) -> Path:
    """``root / relative``, refused (ValueError) unless it resolves to a place under ``root``."""
    reason = unsafe_reason(relative)
    if reason:
        raise ValueError(f"{relative!r}: {reason}")
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError(f"{relative!r} leads outside {root}")
    return path


def safe_name(name: str) -> str:
    """A name to file something under: no control characters, separators or leading dots."""
    cleaned = _CONTROL.sub("_", name).replace("/", "_").replace("\\", "_").lstrip(".")
    return cleaned[:MAX_NAME] or "_"


def unused(target: Path) -> Path:
    """``target``, or with a counter before its suffix when taken (``a.xlsx``, ``a_2.xlsx``):
    two files filed under one name in the same second, or a newer file in the inbox where a
    held one returns, must not overwrite each other."""
    candidate, n = target, 1
    while os.path.lexists(candidate):
        n += 1
        candidate = target.with_name(f"{target.stem}_{n}{target.suffix}")
    return candidate
