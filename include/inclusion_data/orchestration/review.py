"""A coordinator's review of a project's month, as the command, the ``review_month`` DAG and
the portal do it: approve (the month is final and closed: its files are held from then on),
reopen with a reason (its held files go back to the inbox with their first arrival time, so
the next ingest run loads them in the order they came), or approve every complete month.

    python -m inclusion_data.orchestration.review approve TWAM 2016-03 --by ana@example.org
    python -m inclusion_data.orchestration.review reopen TWAM 2016-03 --by ana@example.org \
        --note "a late correction"
    python -m inclusion_data.orchestration.review approve-complete --by ana@example.org
    python -m inclusion_data.orchestration.review status [TWAM]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from inclusion_data.contracts.network import Network, load_network
from inclusion_data.intake.paths import inside
from inclusion_data.intake.sealing import NameSeal
from inclusion_data.settings import Settings
from inclusion_data.submissions.outcome import short_id
from inclusion_data.warehouse.completeness import COMPLETE, compute_completeness
from inclusion_data.warehouse.engine import make_engine, migrate
from inclusion_data.warehouse.holding import forget_held, held_files
from inclusion_data.warehouse.key_binding import load_bound_key
from inclusion_data.warehouse.review import (
    Review,
    ReviewError,
    approve_month,
    closed_months,
    reopen_month,
    review_history,
)

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


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
    if not _MONTH.fullmatch(period):
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
    """Move the month's held files back into the inbox, each dated when it first arrived, and
    drop their held records (a record left by a stop in between is dropped when it loads)."""
    seal = NameSeal(load_bound_key(settings, engine))
    with engine.connect() as conn:
        outcomes = held_files(conn, seal, project, period)
    released = []
    for outcome in outcomes:
        stored = settings.home / outcome.stored_at
        if stored.is_file():
            target = _free(inside(settings.inbox, outcome.source))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(stored, target)
            if outcome.received is not None:  # arrival is the file's time: newest-wins keeps its order
                arrived = outcome.received.timestamp()
                os.utime(target, (arrived, arrived))
        with engine.begin() as conn:
            forget_held(conn, outcome.file_hash)
        released.append(short_id(outcome.file_hash))
    return released


def _free(path: Path) -> Path:
    """``path``, or a numbered name beside it when a newer file took its place in the inbox."""
    candidate, n = path, 1
    while os.path.lexists(candidate):
        n += 1
        candidate = path.with_name(f"{path.stem}_{n}{path.suffix}")
    return candidate


def approve_complete(engine: Engine, settings: Settings, network: Network, by: str, note: str = "") -> Done:
    """Approve every open month whose expected submissions are all in (accepted or nil)."""
    months: dict[tuple[str, str], bool] = defaultdict(lambda: True)
    for row in compute_completeness(engine, network, settings.due_day):
        key = (row["project"], row["period"])
        months[key] = months[key] and row["status"] in COMPLETE
    with engine.connect() as conn:
        closed = closed_months(conn)
    ready = sorted(key for key, complete in months.items() if complete and key not in closed)
    for project, period in ready:
        approve_month(engine, project, period, by, note)
    return Done("approved", ready)


def status(engine: Engine, settings: Settings, project: str | None = None) -> list[dict]:
    """Every month of the completeness table with its review state and held files."""
    seal = NameSeal(load_bound_key(settings, engine))
    with engine.connect() as conn:
        closed = closed_months(conn)
        history = review_history(conn, project)
        latest: dict[tuple[str, str], Review] = {(r.project, r.period): r for r in history}
        held: dict[tuple[str | None, str | None], int] = defaultdict(int)
        for outcome in held_files(conn, seal, project):
            held[(outcome.project, outcome.period)] += 1
    months: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in compute_completeness(engine, load_network(), settings.due_day):
        if project is None or row["project"] == project:
            months[(row["project"], row["period"])].append(row["status"])
    return [
        {
            "project": p,
            "period": m,
            "complete": all(s in COMPLETE for s in statuses),
            "closed": (p, m) in closed,
            "last_action": latest[(p, m)].action if (p, m) in latest else None,
            "by": latest[(p, m)].by if (p, m) in latest else None,
            "at": latest[(p, m)].at.isoformat() if (p, m) in latest else None,
            "held_files": held[(p, m)],
        }
        for (p, m), statuses in sorted(months.items())
    ]


def run(action: str, project: str | None, period: str | None, by: str, note: str = "") -> dict:
    """One review action on the configured warehouse (what the DAG and the command call)."""
    settings = Settings.from_env()
    migrate(settings.warehouse_url)
    engine = make_engine(settings.warehouse_url)
    network = load_network()
    try:
        if action == "approve-complete":
            return approve_complete(engine, settings, network, by, note).summary()
        if not project or not period:
            raise ReviewError(f"{action} needs a project and a month")
        if action == "approve":
            return approve(engine, network, project, period, by, note).summary()
        if action == "reopen":
            return reopen(engine, settings, network, project, period, by, note).summary()
        raise ReviewError(f"unknown action {action!r}; allowed: approve, reopen, approve-complete")
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inclusion_data.orchestration.review", description=(__doc__ or "").split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="action", required=True)
    for name in ("approve", "reopen"):
        command = commands.add_parser(name)
        command.add_argument("project")
        command.add_argument("period", help="YYYY-MM")
        command.add_argument("--by", required=True, help="who decides (a coordinator's e-mail)")
        command.add_argument("--note", default="", help="why (required to reopen)")
    command = commands.add_parser("approve-complete", help="approve every open month that is complete")
    command.add_argument("--by", required=True)
    command.add_argument("--note", default="")
    command = commands.add_parser("status", help="the months, their review and held files")
    command.add_argument("project", nargs="?")
    args = parser.parse_args(argv)
    if args.action == "status":
        settings = Settings.from_env()
        engine = make_engine(settings.warehouse_url)
        for row in status(engine, settings, args.project):
            state = "closed" if row["closed"] else ("reopened" if row["last_action"] else "open")
            print(
                f"{row['project']:8} {row['period']}  {'complete' if row['complete'] else 'incomplete':10} "
                f"{state:8} {row['by'] or '':28} held files: {row['held_files']}"
            )
        return 0
    try:
        project, period = getattr(args, "project", None), getattr(args, "period", None)
        done = run(args.action, project, period, args.by, args.note)
    except ReviewError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    months = ", ".join(f"{p} {m}" for p, m in done["months"]) or "no month"
    print(f"{done['action']}: {months}")
    if done["released"]:
        print(f"{len(done['released'])} held files back in the inbox; the next ingest run loads them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
