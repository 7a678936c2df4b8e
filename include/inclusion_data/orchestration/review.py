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
import sys

from inclusion_data.contracts.network import load_network
from inclusion_data.settings import Settings
from inclusion_data.warehouse.engine import make_engine, migrate
from inclusion_data.warehouse.period_close import approve, approve_complete, reopen, status
from inclusion_data.warehouse.review import ReviewError


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
        for row in status(engine, settings, load_network(), args.project):
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
