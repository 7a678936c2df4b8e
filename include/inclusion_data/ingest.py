"""From a file in the inbox to validated, loaded submissions, a data-quality report, and the
file moved to ``archive/`` or ``rejected/`` beside that report.

The folder a file sits in says who sent it: ``inbox/<project>/<partner>/<file>``, so a partner
cannot report for another. Each (project, partner, dataset, month) in a file is a submission,
accepted or rejected on its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from . import pseudonym
from .checks import Context, apply_checks
from .contracts import Dataset, Kind
from .feedback import write_feedback_workbook
from .findings import ERROR, WARNING, Finding, file_error
from .localities import localities
from .parsing import (
    ParsedSheet,
    RawSheet,
    dataset_for_headers,
    dataset_for_sheet,
    parse_sheet,
)
from .periods import (
    INFO_SHEETS,
    NAMING_HINT_EN,
    NAMING_HINT_RO,
    month_in_file_name,
    month_in_workbook,
)
from .plausibility import monthly_counts, volume_finding
from .reading import UnreadableFile, read_file
from .reference import Network
from .reports import write_file_report
from .settings import Settings
from .template_workbook import TEMPLATE_SHEETS
from .text import fold
from .validation import validate_frame
from .warehouse.load import (
    ACCEPTED,
    REJECTED,
    SubmissionRecord,
    already_processed,
    record_submission,
)

log = logging.getLogger(__name__)

DUPLICATE = "duplicate"


@dataclass
class SheetOutcome:
    dataset: str
    sheet: str
    status: str
    rows: int
    errors: int
    warnings: int
    submission_id: int | None = None


@dataclass
class FileOutcome:
    source: str  # path in the inbox, relative to it
    file_name: str
    project: str | None
    partner: str | None
    period: str | None
    file_hash: str
    status: str  # accepted | rejected | duplicate
    stored_at: str = ""
    report: str = ""
    feedback: str = ""  # the partner's copy with problems marked, next to the file
    received: dt.datetime | None = None  # when the file arrived in the inbox
    findings: list[Finding] = field(default_factory=list)  # about the whole file
    submissions: list[SheetOutcome] = field(default_factory=list)
    sheet_findings: dict[str, list[Finding]] = field(default_factory=dict)

    def summary(self) -> dict:
        """What goes to XCom and the logs: statuses and counts, nothing from the file's cells."""
        return {"source": self.source, "status": self.status, "period": self.period,
                "stored_at": self.stored_at, "report": self.report, "feedback": self.feedback,
                "submissions": [asdict(s) for s in self.submissions]}


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def received_at(path: Path) -> dt.datetime:
    """When a file arrived: its modification time (uploads and copies that keep it)."""
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)


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
    return [paths[i:i + size] for i in range(0, len(paths), size)]


def _destination(settings: Settings, outcome: FileOutcome, received: dt.datetime) -> Path:
    root = settings.rejected if outcome.status == REJECTED else settings.archive
    who = Path(outcome.project or "_unknown", outcome.partner or "_unknown") \
        if outcome.project and outcome.partner else Path("_misplaced")
    return root / who / f"{received:%Y%m%dT%H%M%S}_{outcome.file_name}"


def _dataset_sheets(sheets, outcome: FileOutcome) -> list[tuple[Dataset, object]]:
    found = []
    for sheet in sheets:
        dataset = dataset_for_sheet(sheet.name)
        if dataset is None and len(sheets) == 1:
            dataset = dataset_for_headers(sheet.headers)
        if dataset is not None:
            if not sheet.rows:
                outcome.findings.append(Finding(
                    "empty_sheet", WARNING, "The sheet has no data rows; nothing was loaded from it.",
                    "Foaia nu are rânduri cu date; nu s-a încărcat nimic din ea.", sheet=sheet.name))
                continue
            found.append((dataset, sheet))
        elif fold(sheet.name) not in (*INFO_SHEETS, *TEMPLATE_SHEETS) and sheet.rows:
            outcome.findings.append(Finding(
                "unknown_sheet", WARNING,
                "Sheet not recognised, so not read: name sheets Beneficiari, Instruiri or Voluntari "
                "(or Beneficiaries, Trainings, Volunteers).",
                "Foaie nerecunoscută, necitită: numiți foile Beneficiari, Instruiri sau Voluntari.",
                sheet=sheet.name))
    return found


def _locate(parsed: ParsedSheet, findings: list[Finding]) -> None:
    for finding in findings:
        finding.sheet = parsed.sheet
        source = parsed.columns.get(finding.field)
        if source is not None:
            finding.header, finding.column = source.header, source.letter
        elif finding.rule == "required_column":
            finding.header = parsed.dataset.field(finding.field).ro


def _prepare(parsed: ParsedSheet, context: Context, key: bytes, partner: str) -> pd.DataFrame:
    """Checks, pseudonymous key, defaults; then the personal columns are dropped."""
    dataset = parsed.dataset
    frame = apply_checks(dataset, parsed.frame, context)
    valid_cnp = frame.get("cnp", pd.Series([None] * len(frame))).where(
        frame.get("__check__cnp_valid", True), None)
    frame["person_key"] = [
        pseudonym.person_key(key, partner, c, code, name, birth)
        for c, code, name, birth in zip(valid_cnp, frame.get("person_code", [None] * len(frame)),
                                        frame.get("name", [None] * len(frame)),
                                        frame.get("birth_date", [None] * len(frame)))]
    for f in dataset.fields:
        if f.default is not None and f.name in frame:
            frame[f.name] = frame[f.name].where(frame[f.name].notna(), f.default)
        if f.kind in (Kind.INTEGER, Kind.DECIMAL) and f.name in frame:
            frame[f.name] = pd.to_numeric(frame[f.name], errors="coerce")
    return frame.drop(columns=[f.name for f in dataset.fields if f.personal and f.name in frame])


def _unknown_headers(parsed: ParsedSheet) -> list[Finding]:
    return [Finding("unknown_column", WARNING,
                    f"Column '{header}' is not part of the {parsed.dataset.name} template and was ignored.",
                    f"Coloana „{header}” nu face parte din șablon și a fost ignorată.",
                    sheet=parsed.sheet, header=header) for header in parsed.ignored_headers]


@dataclass
class Evaluation:
    """A file checked as the pipeline checks it, nothing written yet."""

    outcome: FileOutcome
    frames: dict[str, pd.DataFrame]  # sheet -> rows to load (no personal columns)
    records: list[tuple[SubmissionRecord, SheetOutcome]]


def evaluate_file(path: Path, project: str | None, partner: str | None, network: Network,
                  key: bytes, engine: Engine | None = None, source: str | None = None) -> Evaluation:
    """Read, check and validate a file sent by ``partner`` for ``project``. With an engine, a
    file already processed is recognised as a duplicate."""
    outcome = FileOutcome(source or path.name, path.name, project, partner, None, file_hash(path), ACCEPTED)
    outcome.received = received_at(path)
    evaluation = Evaluation(outcome, {}, [])
    try:
        _evaluate(path, outcome, engine, network, key, evaluation.frames, evaluation.records)
    except UnreadableFile as exc:
        outcome.findings.append(file_error("unreadable_file", str(exc), str(exc)))
    if outcome.status != DUPLICATE and (
            any(f.severity == ERROR for f in outcome.findings)
            or any(s.status == REJECTED for s in outcome.submissions)):
        outcome.status = REJECTED
    return evaluation


def process_file(relative: str, settings: Settings, engine: Engine, network: Network,
                 key: bytes) -> FileOutcome:
    path = settings.inbox / relative
    parts = Path(relative).parts
    project, partner = (parts[0], parts[1]) if len(parts) == 3 else (None, None)
    evaluation = evaluate_file(path, project, partner, network, key, engine, source=relative)
    outcome = evaluation.outcome
    destination = _destination(settings, outcome, dt.datetime.now(dt.timezone.utc))
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
    outcome.report = str(write_file_report(outcome, destination, outcome.received).relative_to(settings.home))
    if outcome.status != DUPLICATE and _has_findings(outcome):
        outcome.feedback = str(write_feedback_workbook(destination, outcome).relative_to(settings.home))
    log.info("%s: %s -> %s", relative, outcome.status, outcome.stored_at)
    return outcome


def _has_findings(outcome: FileOutcome) -> bool:
    return bool(outcome.findings) or any(outcome.sheet_findings.values())


def _evaluate(path: Path, outcome: FileOutcome, engine: Engine | None, network: Network, key: bytes,
              frames: dict, records: list) -> None:
    if outcome.project is None:
        outcome.findings.append(file_error(
            "misplaced_file",
            "Files go in inbox/<project>/<partner>/, the folder given to your organisation.",
            "Fișierele se pun în inbox/<proiect>/<partener>/, dosarul primit de organizația dvs."))
        return
    membership = network.memberships.get((outcome.project, outcome.partner))
    if membership is None:
        outcome.findings.append(file_error(
            "unknown_partner",
            f"'{outcome.partner}' is not a partner of project '{outcome.project}' in the network's "
            "reference data; ask the network's data team to register it.",
            f"„{outcome.partner}” nu este partener al proiectului „{outcome.project}” în datele "
            "de referință; cereți echipei de date a rețelei să-l înregistreze."))
        return
    earlier = already_processed(engine, outcome.file_hash) if engine is not None else []
    if earlier:
        outcome.status = DUPLICATE
        outcome.findings.append(Finding(
            "already_processed", WARNING,
            f"This exact file was processed before (submission {', '.join(map(str, earlier))}); "
            "nothing changed.",
            f"Acest fișier a mai fost procesat (depunerea {', '.join(map(str, earlier))}); "
            "nu s-a schimbat nimic."))
        return
    sheets = read_file(path)
    in_workbook, in_name = month_in_workbook(sheets), month_in_file_name(path.name)
    if in_workbook and in_name and in_workbook != in_name:
        outcome.findings.append(file_error(
            "conflicting_month",
            f"The workbook says the month is {in_workbook} but the file name says {in_name}.",
            f"Registrul indică luna {in_workbook}, dar numele fișierului indică {in_name}."))
        return
    outcome.period = in_workbook or in_name
    if outcome.period is None:
        outcome.findings.append(file_error("unknown_month", "The reporting month cannot be told. "
                                           + NAMING_HINT_EN, "Luna raportării nu poate fi stabilită. "
                                           + NAMING_HINT_RO))
        return
    if not membership.start <= outcome.period <= membership.end:
        outcome.findings.append(file_error(
            "month_outside_project",
            f"{outcome.period} is outside the partner's reporting period in the project "
            f"({membership.start} to {membership.end}).",
            f"{outcome.period} este în afara perioadei de raportare a partenerului "
            f"({membership.start} – {membership.end})."))
        return
    dataset_sheets = _dataset_sheets(sheets, outcome)
    if not dataset_sheets and not any(f.severity == ERROR for f in outcome.findings):
        outcome.findings.append(file_error(
            "no_dataset",
            "No sheet holds a dataset: name the sheets Beneficiari, Instruiri or Voluntari "
            "(Beneficiaries, Trainings, Volunteers) and keep the template's header row.",
            "Nicio foaie nu conține date: numiți foile Beneficiari, Instruiri sau Voluntari și "
            "păstrați rândul de antet al șablonului."))
    partner = network.partners[outcome.partner]
    context = Context(partner.county, outcome.period, localities())
    for dataset, sheet in dataset_sheets:
        frame, findings = evaluate_sheet(dataset, sheet, context, key, outcome.partner)
        if engine is not None:
            history = monthly_counts(engine, outcome.project, outcome.partner, dataset.name, outcome.period)
            unusual = volume_finding(history, len(frame), sheet.name)
            findings += [unusual] if unusual else []
        errors = sum(f.severity == ERROR for f in findings)
        warnings = sum(f.severity == WARNING for f in findings)
        status = REJECTED if errors else ACCEPTED
        outcome.sheet_findings[sheet.name] = findings
        sheet_outcome = SheetOutcome(dataset.name, sheet.name, status, len(frame), errors, warnings)
        outcome.submissions.append(sheet_outcome)
        frames[sheet.name] = frame
        records.append((SubmissionRecord(
            outcome.project, outcome.partner, dataset.name, outcome.period, outcome.file_name,
            outcome.file_hash, sheet.name, outcome.received, status, len(frame),
            errors, warnings, [f.to_dict() for f in findings], ""), sheet_outcome))


def evaluate_sheet(dataset: Dataset, sheet: RawSheet, context: Context, key: bytes,
                   partner: str) -> tuple[pd.DataFrame, list[Finding]]:
    """Parse, check and validate one sheet: the rows to load (no personal columns) and the
    findings, located at the partner's sheet, column and rows."""
    parsed = parse_sheet(dataset, sheet)
    frame = _prepare(parsed, context, key, partner)
    findings = validate_frame(dataset, frame) + _unknown_headers(parsed)
    _locate(parsed, findings)
    return frame, findings
