"""Inbox, archive, rejected and published locations on object storage.

Each may be a URL read through Airflow's ObjectStoragePath: ``file://…``, or
``s3://<connection id>@bucket/prefix`` (with the Amazon provider and s3fs installed), and
likewise for the other fsspec-backed stores. Files arriving in the remote inbox are moved into
the local working inbox before a run (so a crash never loses one: it waits locally for the
next run); processed files, their reports and the published outputs are copied out after it.
Without these settings everything stays in the local folders under ``INCLUSION_HOME``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import time
from pathlib import Path

from inclusion_data.intake.paths import inside, safe_name
from inclusion_data.settings import Settings
from inclusion_data.submissions.outcome import short_id

log = logging.getLogger(__name__)
UNSAFE_KEYS = "_unsafe_keys"  # inbox folder for objects whose key points outside it


def _path(url: str):
    from airflow.sdk import ObjectStoragePath

    return ObjectStoragePath(url)


def _modified(info: dict) -> float:
    """An object's modification time, as local files and object stores report it."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(key)
        if isinstance(value, dt.datetime):
            return value.timestamp()
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return time.time()


def _is_local_link(item) -> bool:
    return item.protocol == "file" and os.path.islink(item.path)


def pull_inbox(settings: Settings) -> list[str]:
    """Move files that have settled in the remote inbox into the local one; returns them."""
    if not settings.inbox_url:
        return []
    root = _path(settings.inbox_url)
    now = time.time()
    moved = []
    for item in root.rglob("*"):
        if item.name.startswith((".", "~$")) or _is_local_link(item) or not item.is_file():
            continue  # a link in a file:// inbox is never followed: it could point anywhere
        modified = _modified(item.stat())
        if now - modified < settings.settle_seconds:
            continue  # may still be uploading
        # the key as the store has it, not normalised: "a/../../x" must be seen as it is
        relative = str(item.path).removeprefix(str(root.path).rstrip("/") + "/")
        try:
            local = inside(settings.inbox, relative)
        except ValueError:
            # a key such as a/../../x or /etc/x: never written where it points; kept, safely named
            local = settings.inbox / UNSAFE_KEYS / safe_name(relative.replace("/", "_"))
            # named by a short hash: keys, like file names, can name people
            log.warning("an object key leads outside the inbox; pulled as %s", short_id(relative))
        local.parent.mkdir(parents=True, exist_ok=True)
        partial = local.with_name(f".{local.name}.part")  # hidden: discover() skips it
        with item.open("rb") as source, partial.open("wb") as target:
            shutil.copyfileobj(source, target)
        os.utime(partial, (modified, modified))  # arrival time, for timeliness
        partial.rename(local)
        item.unlink()
        moved.append(relative)
    return moved


def push_tree(local: Path, url: str | None) -> list[str]:
    """Copy the files under ``local`` that ``url`` does not have yet; returns them."""
    if not url or not local.exists():
        return []
    root = _path(url)
    copied = []
    for path in sorted(local.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(local).as_posix()
        target = root / relative
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with path.open("rb") as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink)
        copied.append(relative)
    return copied


def push_processed(settings: Settings) -> None:
    push_tree(settings.archive, settings.archive_url)
    push_tree(settings.rejected, settings.rejected_url)


def push_published(settings: Settings) -> None:
    push_tree(settings.published, settings.published_url)
