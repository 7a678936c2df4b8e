"""A partner's file in the portal: received into a private staging folder, checked exactly as
the pipeline checks it (``submissions.evaluation`` with the warehouse's history, so volume
warnings and already-processed files are told too), its feedback workbook written; then, when
the partner sends it, put into ``inbox/<project>/<partner>/`` where the pipeline takes it like
any other file. A month without activity is declared by sending the month's template with
the dataset's sheet left empty and the Info sheet saying so (``submissions.nil_returns``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import openpyxl
from sqlalchemy import Engine

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.contracts.network import Network
from inclusion_data.intake.paths import safe_name, unused
from inclusion_data.intake.sealing import NameSeal
from inclusion_data.portal.accounts import User
from inclusion_data.portal.config import PortalConfig
from inclusion_data.quality.findings import compact_rows
from inclusion_data.submissions.evaluation import evaluate_file
from inclusion_data.submissions.feedback import write_feedback_workbook
from inclusion_data.submissions.outcome import DUPLICATE, NIL, FileOutcome
from inclusion_data.submissions.template_workbook import write_template
from inclusion_data.warehouse.history import WarehouseHistory
from inclusion_data.warehouse.volumes import volume_preview

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
STAGING_LIFETIME = dt.timedelta(days=1)
FEEDBACK = "feedback.xlsx"
OUTCOME = "outcome.json"


class TooBig(ValueError):
    """The upload is larger than a partner file may be (``INCLUSION_MAX_FILE_MB``)."""


@dataclass
class Staged:
    token: str
    user_id: int
    project: str
    partner: str
    file_name: str
    folder: Path

    @property
    def path(self) -> Path:
        return self.folder / self.file_name

    @property
    def feedback(self) -> Path:
        return self.folder / FEEDBACK

    def outcome(self) -> dict:
        return json.loads((self.folder / OUTCOME).read_text("utf-8"))


def upload_name(filename: str | None) -> str:
    """The partner's file name as it will be filed: last path part only, made safe."""
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    return safe_name(name) if name else "upload.xlsx"


def _clean_old(config: PortalConfig) -> None:
    if not config.staging.is_dir():
        return
    limit = dt.datetime.now().timestamp() - STAGING_LIFETIME.total_seconds()
    for folder in config.staging.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)


def stage(config: PortalConfig, user: User, project: str, filename: str | None, data: BinaryIO) -> Staged:
    """Copy the upload into a new staging folder, refusing more than the file-size limit."""
    assert user.partner is not None
    _clean_old(config)
    token = secrets.token_hex(16)
    folder = config.staging / token
    folder.mkdir(parents=True, mode=0o700)
    staged = Staged(token, user.id, project, user.partner, upload_name(filename), folder)
    limit, written = config.settings.limits.max_file_bytes, 0
    with staged.path.open("wb") as out:
        while chunk := data.read(1 << 20):
            written += len(chunk)
            if written > limit:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise TooBig(filename)
            out.write(chunk)
    meta = {k: v for k, v in asdict(staged).items() if k != "folder"}
    (folder / "meta.json").write_text(json.dumps(meta), "utf-8")
    return staged


def staged_for(config: PortalConfig, user: User, token: str) -> Staged | None:
    """The user's own staged upload; None for a malformed, unknown or someone else's token."""
    if not _TOKEN.match(token):
        return None
    folder = config.staging / token
    try:
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if meta["user_id"] != user.id or meta["partner"] != user.partner:
        return None
    return Staged(token, meta["user_id"], meta["project"], meta["partner"], meta["file_name"], folder)


def _finding_rows(outcome: FileOutcome) -> list[dict]:
    """Every problem as one table row: sheet, rows, column, rule, severity, both messages."""
    rows = []
    for finding in outcome.all_findings():
        rows.append(
            {
                "severity": finding.severity,
                "sheet": finding.sheet or "",
                "rows": compact_rows(finding.rows),
                "column": " ".join(filter(None, [finding.column, finding.header])) or "",
                "rule": finding.rule,
                "message_ro": finding.message_ro,
                "message_en": finding.message_en,
            }
        )
    return rows


def evaluate(
    config: PortalConfig, engine: Engine, network: Network, staged: Staged, language: str | None = None
) -> dict:
    """Check the staged file as the pipeline will, write its feedback workbook (in ``language``,
    the user's; the partner's by default), keep the result."""
    relative = f"{staged.project}/{staged.partner}/{staged.file_name}"
    # a throwaway key: person keys only serve to find repeated rows within the file here
    key = secrets.token_bytes(32)
    evaluation = evaluate_file(
        staged.path,
        staged.project,
        staged.partner,
        network,
        key,
        WarehouseHistory(engine, NameSeal(key)),  # asked only what the warehouse already holds
        source=relative,
        limits=config.settings.limits,
    )
    outcome = evaluation.outcome
    period = outcome.period
    for sheet_outcome in outcome.submissions:  # the volume warning the pipeline will give
        unusual = period and sheet_outcome.status != NIL and volume_preview(
            engine, staged.project, staged.partner, sheet_outcome.dataset, period,
            sheet_outcome.rows, sheet_outcome.sheet,
        )  # fmt: skip
        if unusual:
            outcome.sheet_findings.setdefault(sheet_outcome.sheet, []).append(unusual)
            sheet_outcome.warnings += 1
    has_feedback = outcome.status != DUPLICATE and outcome.has_findings()
    if has_feedback:
        language = language or network.language(staged.partner)
        write_feedback_workbook(evaluation.sheets, outcome, staged.feedback, language)
    result = {
        "status": outcome.status,
        "period": outcome.period,
        "file_name": staged.file_name,
        "project": staged.project,
        "submissions": [asdict(s) for s in outcome.submissions],
        "problems": _finding_rows(outcome),
        "feedback": has_feedback,
    }
    (staged.folder / OUTCOME).write_text(json.dumps(result, ensure_ascii=False), "utf-8")
    return result


def _into_inbox(config: PortalConfig, project: str, partner: str, name: str, source: Path) -> Path:
    """Put a file into the partner's inbox folder in one step: written under a hidden name
    (the pipeline skips those), then renamed. Its time is now: a month is late or on time by
    when it was sent, not when it was first checked."""
    folder = config.settings.inbox / safe_name(project) / safe_name(partner)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".portal-", delete=False) as handle:
        temporary = Path(handle.name)
    shutil.copyfile(source, temporary)
    os.utime(temporary)
    target = unused(folder / safe_name(name))
    os.replace(temporary, target)
    return target


def submit(config: PortalConfig, staged: Staged) -> Path:
    """Send the checked file to the pipeline; the staging folder goes away."""
    target = _into_inbox(config, staged.project, staged.partner, staged.file_name, staged.path)
    shutil.rmtree(staged.folder, ignore_errors=True)
    return target


def nil_return_name(project: str, partner: str, dataset: str, period: str) -> str:
    return f"{project}_{partner}_{period}_{dataset}_fara-activitate.xlsx"


def declare_nil_return(
    config: PortalConfig, network: Network, user: User, project: str, dataset: str, period: str
) -> Path:
    """Send the month's template with ``dataset``'s sheet left empty, no other dataset sheet
    and the Info sheet declaring no activity: the pipeline records a nil return for that
    dataset and month."""
    assert user.partner is not None
    membership = network.memberships[(project, user.partner)]
    if dataset not in membership.reports:
        raise ValueError(f"{dataset} is not reported by {user.partner} in {project}")
    with tempfile.TemporaryDirectory() as directory:
        path = write_template(
            project, user.partner, period, Path(directory) / "nil.xlsx", network, no_activity=[dataset]
        )
        workbook = openpyxl.load_workbook(path)
        for other in membership.reports:
            if other != dataset:
                del workbook[DATASETS[other].sheet_names[0]]
        workbook.save(path)
        return _into_inbox(
            config, project, user.partner, nil_return_name(project, user.partner, dataset, period), path
        )


def pending(config: PortalConfig, project: str, partner: str) -> list[dict]:
    """Files in the partner's inbox folder that the pipeline has not taken yet."""
    folder = config.settings.inbox / safe_name(project) / safe_name(partner)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "~$")) or not path.is_file() or path.is_symlink():
            continue
        sent = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        found.append(
            {
                "project": project,
                "file_name": path.name,
                "sent": f"{sent:%Y-%m-%d %H:%M} UTC",
                "status": "pending",
            }
        )
    return found


def held(config: PortalConfig, project: str, partner: str) -> list[dict]:
    """The partner's files held for a closed month, as their reports beside them tell."""
    folder = config.settings.held / safe_name(project) / safe_name(partner)
    found = []
    for report in sorted(folder.glob("*/*.report.json")) if folder.is_dir() else []:  # <month>/
        if not report.with_name(report.name.removesuffix(".report.json")).is_file():
            continue  # released: the file went back to the inbox
        data = json.loads(report.read_text("utf-8"))
        sent = dt.datetime.fromisoformat(data["received"])
        found.append(
            {"project": project, "file_name": data["file_name"], "sent": f"{sent:%Y-%m-%d %H:%M} UTC",
             "status": "held", "period": data.get("period")}
        )  # fmt: skip
    return found
