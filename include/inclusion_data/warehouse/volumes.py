"""The ``unusual_volume`` warning, decided over the warehouse as it stands after a run.

Checked while a file is evaluated, the warning would compare a month with whatever months
happened to be loaded already, so the same files in another batch order would get other
warnings. Here every accepted month of a partner's dataset is compared with the partner's
other accepted months, at the end of each ingest run: the same files always give the same
warnings. A submission that is no longer accepted carries none. The file report of a
submission whose warning changed is rewritten from its recorded outcome (the feedback
workbook, built from the cells, keeps the findings it was written with).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from sqlalchemy import Connection, Engine, select, update

from inclusion_data.intake.sealing import NameSeal
from inclusion_data.quality.findings import WARNING, Finding
from inclusion_data.quality.plausibility import volume_finding
from inclusion_data.submissions.file_report import write_file_report
from inclusion_data.submissions.outcome import ACCEPTED, FileOutcome
from inclusion_data.warehouse import schema

RULE = "unusual_volume"


def refresh_volume_findings(engine: Engine, home: Path, seal: NameSeal) -> int:
    """Recompute the warning for every submission; returns how many changed."""
    s = schema.submissions
    query = select(
        s.c.id, s.c.project, s.c.partner, s.c.dataset, s.c.period, s.c.status, s.c.sheet,
        s.c.row_count, s.c.warning_count, s.c.findings, s.c.file_hash,
    ).order_by(s.c.id)  # fmt: skip
    changed: dict[str, dict[str, list[dict]]] = defaultdict(dict)  # file hash -> sheet -> findings
    with engine.begin() as conn:
        rows = conn.execute(query).all()
        months: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
        for r in rows:
            if r.status == ACCEPTED:
                months[(r.project, r.partner, r.dataset)][r.period] = r.row_count
        for r in rows:
            findings = json.loads(r.findings)
            kept = [f for f in findings if f["rule"] != RULE]
            if r.status == ACCEPTED:
                others = {p: n for p, n in months[(r.project, r.partner, r.dataset)].items() if p != r.period}
                unusual = volume_finding(others, r.row_count, r.sheet)
                kept += [unusual.to_dict()] if unusual else []
            if kept != findings:
                warnings = r.warning_count + len(kept) - len(findings)  # the rule is a warning
                conn.execute(
                    update(s)
                    .where(s.c.id == r.id)
                    .values(findings=json.dumps(kept, ensure_ascii=False), warning_count=warnings)
                )
                changed[r.file_hash][r.sheet] = kept
        for file_hash, sheets in changed.items():
            _rewrite_report(conn, home, seal, file_hash, sheets)
    return sum(len(sheets) for sheets in changed.values())


def _rewrite_report(
    conn: Connection, home: Path, seal: NameSeal, file_hash: str, sheets: dict[str, list[dict]]
) -> None:
    f = schema.file_outcomes
    record = conn.execute(
        select(f.c.outcome).where((f.c.file_hash == file_hash) & f.c.filed_at.is_not(None))
    ).scalar_one_or_none()
    if not record or record == "{}":  # filed before outcomes were recorded
        return
    outcome = FileOutcome.from_record(seal.open(record))  # kept sealed: it names the file
    for sheet, findings in sheets.items():
        outcome.sheet_findings[sheet] = [Finding.from_dict(x) for x in findings]
        for submission in outcome.submissions:
            if submission.sheet == sheet:
                submission.warnings = sum(x["severity"] == WARNING for x in findings)
    stored = home / outcome.stored_at
    if stored.parent.is_dir() and outcome.received is not None:
        write_file_report(outcome, stored, outcome.received)
    conn.execute(update(f).where(f.c.file_hash == file_hash).values(outcome=seal.seal(outcome.to_record())))


def volume_preview(
    engine: Engine, project: str, partner: str, dataset: str, period: str, rows: int, sheet: str
):
    """The warning a month of ``rows`` rows would get against the partner's accepted months as
    they stand (for a pre-check, before the file is sent: ``portal``)."""
    s = schema.submissions
    query = select(s.c.period, s.c.row_count).where(
        (s.c.project == project)
        & (s.c.partner == partner)
        & (s.c.dataset == dataset)
        & (s.c.status == ACCEPTED)
        & (s.c.period != period)
    )
    with engine.connect() as conn:
        others = {p: n for p, n in conn.execute(query).all()}
    return volume_finding(others, rows, sheet)
