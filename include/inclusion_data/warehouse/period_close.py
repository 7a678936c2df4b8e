"""Period close, as the review command, the ``review_month`` DAG and the portal's coordinator
pages do it: approve a project's month (its figures are final and it is closed: files for it
are held from then on), reopen it with a reason (its held files go back to the inbox with
their first arrival time, so the next ingest run loads them in the order they came), or
approve every complete month at once."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from inclusion_data.contracts.network import Network, is_month
from inclusion_data.intake.paths import inside, unused
from inclusion_data.settings import Settings
from inclusion_data.submissions.file_report import report_paths
from inclusion_data.submissions.outcome import short_id
from inclusion_data.warehouse.completeness import COMPLETE, compute_completeness
from inclusion_data.warehouse.holding import HeldFile, forget_held, held_files
from inclusion_data.warehouse.review import (
    APPROVED,
    Review,
    ReviewError,
    approve_month,
    closed_months,
    reopen_month,
    review_history,
)


@dataclass
class Done:
    """What a review action did, in codes and counts (what tasks return and the portal shows)."""

    action: str
    months: list[tuple[str, str]] = field(default_factory=list)
    released: list[str] = field(default_factory=list)  # short ids of the files back in the inbox

    def summary(self) -> dict:
        return asdict(self)


def _check_month(network: Network, project: str, period: str) -> None:
    if project not in network.projects:
        raise ReviewError(f"unknown project {project!r}; allowed: {', '.join(network.projects)}")
    if not is_month(period):
        raise ReviewError(f"{period!r} is not a month (YYYY-MM)")
    p = network.projects[project]
    if not p.start <= period <= p.end:
        raise ReviewError(f"{project} reports from {p.start} to {p.end}, not {period}")


def approve(engine: Engine, network: Network, project: str, period: str, by: str, note: str = "") -> Done:
    _check_month(network, project, period)
    approve_month(engine, project, period, by, note)
    return Done("approved", [(project, period)])


def reopen(
    engine: Engine, settings: Settings, network: Network, project: str, period: str, by: str, note: str
) -> Done:
    _check_month(network, project, period)
    reopen_month(engine, project, period, by, note)
    return Done("reopened", [(project, period)], release_held(engine, settings, project, period))


def release_held(engine: Engine, settings: Settings, project: str, period: str) -> list[str]:
    """Move the month's held files back into the inbox where they came, each dated when it
    first arrived (as its report says), and drop their held records (a record left by a stop
    in between is dropped when the file loads)."""
    with engine.connect() as conn:
        held = held_files(conn, project, period)
    released = []
    for h in held:
        stored = settings.home / h.stored_at
        if stored.is_file():
            source, arrived = _as_sent(stored, h)
            target = unused(inside(settings.inbox, source))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(stored, target)
            if arrived is not None:  # arrival is the file's time: newest wins keeps its order
                os.utime(target, (arrived, arrived))
        with engine.begin() as conn:
            forget_held(conn, h.file_hash)
        released.append(short_id(h.file_hash))
    return released


def _as_sent(stored: Path, held: HeldFile) -> tuple[str, float | None]:
    """Where in the inbox a held file came from, and when it arrived, from its report."""
    try:
        report = json.loads(report_paths(stored)[1].read_text("utf-8"))
        return str(report["source"]), dt.datetime.fromisoformat(report["received"]).timestamp()
    except (OSError, ValueError, KeyError, TypeError):  # no report: its folder, its stored name
        return f"{held.project}/{held.partner}/{stored.name}", None


def _complete(engine: Engine, settings: Settings, network: Network) -> dict[tuple[str, str], bool]:
    """Each (project, month) of the completeness table: are all its expected submissions in
    (accepted or nil)?"""
    months: dict[tuple[str, str], bool] = defaultdict(lambda: True)
    for row in compute_completeness(engine, network, settings.due_day):
        key = (row["project"], row["period"])
        months[key] = months[key] and row["status"] in COMPLETE
    return dict(months)


def approve_complete(engine: Engine, settings: Settings, network: Network, by: str, note: str = "") -> Done:
    """Approve every open month whose expected submissions are all in (accepted or nil)."""
    months = _complete(engine, settings, network)
    with engine.connect() as conn:
        closed = closed_months(conn)
    ready = sorted(key for key, complete in months.items() if complete and key not in closed)
    for project, period in ready:
        approve_month(engine, project, period, by, note)
    return Done("approved", ready)


def status(engine: Engine, settings: Settings, network: Network, project: str | None = None) -> list[dict]:
    """Every month of the completeness table with its review state and held files."""
    with engine.connect() as conn:
        latest: dict[tuple[str, str], Review] = {
            (r.project, r.period): r for r in review_history(conn, project)
        }
        held: dict[tuple[str, str], int] = defaultdict(int)
        for h in held_files(conn, project):
            held[(h.project, h.period)] += 1
    months = _complete(engine, settings, network)
    return [
        {
            "project": p,
            "period": m,
            "complete": complete,
            "closed": review is not None and review.action == APPROVED,  # a month's state: its latest entry
            "last_action": review.action if review else None,
            "by": review.by if review else None,
            "at": review.at.isoformat() if review else None,
            "held_files": held[(p, m)],
        }
        for (p, m), complete in sorted(months.items())
        if project is None or p == project
        for review in [latest.get((p, m))]
    ]
