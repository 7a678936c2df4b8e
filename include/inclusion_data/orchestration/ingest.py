"""From a file in the inbox to validated, loaded submissions, a data-quality report, and the
file moved to ``archive/`` or ``rejected/`` beside that report.

The folder a file sits in says who sent it: ``inbox/<project>/<partner>/<file>``, so a partner
cannot report for another.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from inclusion_data.contracts.network import Network
from inclusion_data.settings import Settings
from inclusion_data.submissions.evaluation import evaluate_file
from inclusion_data.submissions.feedback import write_feedback_workbook
from inclusion_data.submissions.file_report import write_file_report
from inclusion_data.submissions.outcome import ACCEPTED, DUPLICATE, REJECTED, FileOutcome
from inclusion_data.warehouse.history import WarehouseHistory
from inclusion_data.warehouse.load import record_submission

log = logging.getLogger(__name__)


def discover(settings: Settings, settle_seconds: float = 0) -> list[str]:
    """Files waiting in the inbox, oldest first, as paths relative to it. Hidden files, Excel
    lock files (~$…) and files still being written (changed in the last ``settle_seconds``)
    are left for a later run."""
    now = dt.datetime.now().timestamp()
    found = []
    for path in settings.inbox.rglob("*"):
        if not path.is_file() or path.name.startswith((".", "~$")):
            continue
        mtime = path.stat().st_mtime
        if now - mtime >= settle_seconds:
            found.append((mtime, str(path.relative_to(settings.inbox))))
    return [relative for _, relative in sorted(found)]


def batches(paths: list[str], size: int) -> list[list[str]]:
    """Group files so each mapped task pays the Great Expectations start-up once for many."""
    return [paths[i : i + size] for i in range(0, len(paths), size)]


def _destination(settings: Settings, outcome: FileOutcome, received: dt.datetime) -> Path:
    root = settings.rejected if outcome.status == REJECTED else settings.archive
    who = (
        Path(outcome.project or "_unknown", outcome.partner or "_unknown")
        if outcome.project and outcome.partner
        else Path("_misplaced")
    )
    return root / who / f"{received:%Y%m%dT%H%M%S}_{outcome.file_name}"


def process_file(
    relative: str, settings: Settings, engine: Engine, network: Network, key: bytes
) -> FileOutcome:
    path = settings.inbox / relative
    parts = Path(relative).parts
    project, partner = (parts[0], parts[1]) if len(parts) == 3 else (None, None)
    evaluation = evaluate_file(
        path, project, partner, network, key, WarehouseHistory(engine), source=relative
    )
    outcome = evaluation.outcome
    received = outcome.received
    if received is None:  # evaluate_file records every file's arrival; checked before anything moves
        raise RuntimeError(f"{relative}: the evaluation recorded no arrival time")
    destination = _destination(settings, outcome, dt.datetime.now(dt.UTC))
    outcome.stored_at = str(destination.relative_to(settings.home))
    try:
        with engine.begin() as conn:  # all of a file's submissions, or none of them
            for record, sheet_outcome in evaluation.records:
                record.stored_at = outcome.stored_at
                rows = evaluation.frames.get(sheet_outcome.sheet) if record.status == ACCEPTED else None
                sheet_outcome.submission_id = record_submission(conn, record, rows)
    except IntegrityError:  # the same file, loaded meanwhile by a parallel task
        outcome.status = DUPLICATE
        for _, sheet_outcome in evaluation.records:
            sheet_outcome.submission_id = None
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, destination)
    outcome.report = str(write_file_report(outcome, destination, received).relative_to(settings.home))
    if outcome.status != DUPLICATE and outcome.has_findings():
        outcome.feedback = str(write_feedback_workbook(destination, outcome).relative_to(settings.home))
    log.info("%s: %s -> %s", relative, outcome.status, outcome.stored_at)
    return outcome
