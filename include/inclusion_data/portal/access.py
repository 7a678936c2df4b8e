"""What a signed-in user may see: a partner user only its own organisation's projects,
submissions, reports and feedback; a coordinator everything except the partners' feedback
workbooks (they hold the partners' own values, names and CNPs included).

Everything a URL names (project, submission id, upload, publication) is looked up and checked
here; anything not the user's is answered as "not found", so ids of others cannot be probed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi import HTTPException
from sqlalchemy import Engine, select

from inclusion_data.contracts.network import Membership, Network
from inclusion_data.intake.paths import inside
from inclusion_data.portal.accounts import User
from inclusion_data.settings import Settings
from inclusion_data.warehouse import schema


def not_found() -> HTTPException:
    return HTTPException(status_code=404)


def memberships(network: Network, user: User) -> list[Membership]:
    """The projects the user's partner reports in (every membership for a coordinator)."""
    return [m for m in network.memberships.values() if user.is_coordinator or m.partner == user.partner]


def membership_for(network: Network, user: User, project: str) -> Membership:
    """The user's own partner in ``project``; 404 unless the partner is a member of it."""
    if user.partner is None:
        raise not_found()
    found = network.memberships.get((project, user.partner))
    if found is None:
        raise not_found()
    return found


def submission_for(engine: Engine, user: User, submission_id: int) -> dict:
    """The submission, if the user may see it: its partner's users and coordinators."""
    s = schema.submissions
    with engine.connect() as conn:
        row = conn.execute(select(s).where(s.c.id == submission_id)).mappings().first()
    if row is None or (not user.is_coordinator and row["partner"] != user.partner):
        raise not_found()
    submission = dict(row)
    submission["findings"] = json.loads(submission["findings"])
    return submission


def stored_file(settings: Settings, submission: dict, suffix: str) -> Path:
    """A file filed next to the submission's (``.report.html``, ``.feedback.xlsx``): it must
    lie under archive/ or rejected/ in the submission's own project and partner folder."""
    stored = submission["stored_at"]
    try:
        path = inside(settings.home, stored + suffix)
    except ValueError:
        raise not_found() from None
    folders = [
        (root / submission["project"] / submission["partner"]).resolve()
        for root in (settings.archive, settings.rejected)
    ]
    if not any(path.is_relative_to(folder) for folder in folders) or not path.is_file():
        raise not_found()
    return path


def sent_name(settings: Settings, submission: dict) -> str:
    """The name the partner sent the file under, for the partner's own pages: the warehouse
    keeps names sealed (they are personal), the file's report beside it keeps the name."""
    try:
        report = json.loads(stored_file(settings, submission, ".report.json").read_text("utf-8"))
        return str(report["file_name"])
    except Exception:  # no report (yet), or not ours: the file's short hash
        return f"sha256:{submission['file_hash'][:12]}"


_PUBLICATION = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def publication_file(settings: Settings, date: str, name: str) -> Path:
    """An output of ``published/<date>/``; names are checked before any path is built."""
    if not _PUBLICATION.match(date) or not _FILE_NAME.match(name) or ".." in name:
        raise not_found()
    path = inside(settings.published, f"{date}/{name}")
    if not path.is_file():
        raise not_found()
    return path
