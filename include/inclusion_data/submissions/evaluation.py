"""A partner's file checked as the pipeline checks it: read, parsed, checked row by row,
validated by the Great Expectations suites, its month and sender established. Nothing is
written here; the pipeline and the pre-check decide what to do with the result.

Each (project, partner, dataset, month) in a file is a submission, accepted or rejected on its
own. What the evaluation needs to know of the past (was this file seen) it asks a
``History``, which the warehouse provides.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from inclusion_data.contracts.datasets import DATASETS, Dataset, Kind
from inclusion_data.contracts.network import Network
from inclusion_data.contracts.text import fold
from inclusion_data.intake import columns, pseudonym
from inclusion_data.intake.declarations import no_activity
from inclusion_data.intake.guard import UnreadableFile, inspect
from inclusion_data.intake.localities import localities
from inclusion_data.intake.parsing import (
    MIN_HEADER_MATCHES,
    ParsedSheet,
    RawSheet,
    dataset_for_headers,
    dataset_for_sheet,
    parse_sheet,
)
from inclusion_data.intake.periods import (
    INFO_SHEETS,
    NAMING_HINT_EN,
    NAMING_HINT_RO,
    month_in_file_name,
    month_in_workbook,
)
from inclusion_data.intake.reading import HEADER_SEARCH_ROWS, read_inspected
from inclusion_data.quality.checks import CHECK_FLAG, Context, check_columns
from inclusion_data.quality.findings import ERROR, WARNING, Finding, file_error
from inclusion_data.quality.validation import validate_frame, validate_frames
from inclusion_data.settings import ReadingLimits
from inclusion_data.submissions.nil_returns import declarations, findings_for_rows, has_template_headers
from inclusion_data.submissions.outcome import (
    ACCEPTED,
    DUPLICATE,
    NIL,
    REJECTED,
    FileOutcome,
    SheetOutcome,
    SubmissionRecord,
)
from inclusion_data.submissions.template_workbook import TEMPLATE_SHEETS


class History(Protocol):
    """What is known of earlier submissions (the warehouse's ``WarehouseHistory``)."""

    def already_processed(self, file_hash: str) -> list[int]: ...


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def received_at(path: Path) -> dt.datetime:
    """When a file arrived: its modification time (uploads and copies that keep it)."""
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def already_processed(earlier: list[int]) -> Finding:
    """A file whose exact bytes were recorded before, as ``earlier`` submissions."""
    ids = ", ".join(map(str, earlier))
    return Finding(
        "already_processed",
        WARNING,
        f"This exact file was processed before (submission {ids}); nothing changed.",
        f"Acest fișier a mai fost procesat (depunerea {ids}); nu s-a schimbat nimic.",
    )


def _empty_sheet(sheet: RawSheet, dataset: Dataset) -> Finding:
    label_ro, label_en = dataset.no_activity
    return Finding(
        "empty_sheet",
        WARNING,
        "The sheet has no data rows; nothing was loaded from it. If there was no activity this "
        f"month, answer Yes (Da) to '{label_en}' in the Info sheet.",
        "Foaia nu are rânduri cu date; nu s-a încărcat nimic din ea. Dacă nu a fost activitate "
        f"luna aceasta, răspundeți Da la „{label_ro}” în foaia Info.",
        sheet=sheet.name,
    )


def _dataset_sheets(sheets: list[RawSheet], outcome: FileOutcome) -> list[tuple[Dataset, RawSheet]]:
    found: list[tuple[Dataset, RawSheet]] = []
    for sheet in sheets:
        dataset = dataset_for_sheet(sheet.name)
        if dataset is None and len(sheets) == 1:
            dataset = dataset_for_headers(sheet.headers)
        if not sheet.header_found and sheet.row_count and (dataset is not None or len(sheets) == 1):
            outcome.findings.append(_no_header_row(sheet, dataset))
            continue
        if dataset is not None:
            if not sheet.row_count and not has_template_headers(dataset, sheet):  # else a nil return
                outcome.findings.append(_empty_sheet(sheet, dataset))
                continue
            found.append((dataset, sheet))
        elif fold(sheet.name) not in (*INFO_SHEETS, *TEMPLATE_SHEETS) and sheet.row_count:
            outcome.findings.append(
                Finding(
                    "unknown_sheet",
                    WARNING,
                    "Sheet not recognised, so not read: name sheets Beneficiari, Instruiri or Voluntari "
                    "(or Beneficiaries, Trainings, Volunteers).",
                    "Foaie nerecunoscută, necitită: numiți foile Beneficiari, Instruiri sau Voluntari.",
                    sheet=sheet.name,
                )
            )
    return found


def _locate(parsed: ParsedSheet, findings: list[Finding]) -> None:
    for finding in findings:
        finding.sheet = parsed.sheet
        if finding.field is None:  # about the sheet, not one of its columns
            continue
        source = parsed.columns.get(finding.field)
        if source is not None:
            finding.header, finding.column = source.header, source.letter
        elif finding.rule == "required_column":
            finding.header = parsed.dataset.field(finding.field).ro


def _prepare(parsed: ParsedSheet, context: Context, key: bytes, partner: str) -> pd.DataFrame:
    """Checks, pseudonymous key, defaults; the personal columns left out. Built as one frame
    from columns: a monthly sheet is small, and pandas' cost per frame operation (a drop, a
    concat, a ``where``) is what a small file pays. The columns of values (text, codes, dates)
    come out as Categoricals made from the codes the parsing and the checks found, so nothing
    downstream hashes a big sheet's rows again."""
    dataset, source = parsed.dataset, parsed.frame
    known = columns.Factorizations(parsed.cells)
    checked = check_columns(dataset, source, context, known)
    data = {name: source[name].to_numpy() for name in source.columns if name not in checked}
    data.update(checked)
    nobody = np.full(len(source), None, dtype=object)
    cnp = known.of("cnp", data.get("cnp", nobody))
    others = [data.get(n, nobody) for n in _NO_CNP]
    person_codes, person_keys = _person_keys(
        key, partner, cnp, data.get(CHECK_FLAG.format("cnp_valid")), others
    )
    big = len(source) >= CATEGORICAL_ROWS
    data["person_key"] = (
        columns.categorical(person_codes, person_keys)
        if big
        else columns.Distinct([], person_codes + 1).broadcast([None, *person_keys])
    )
    as_read = set(parsed.cells) | set(known)  # factorized and kept as parsed: as Categoricals
    for f in dataset.fields:
        if f.name not in data:
            continue
        if f.personal:
            del data[f.name]
            continue
        if f.default is not None:
            filled = data[f.name].copy()
            filled[pd.isna(filled)] = f.default
            data[f.name] = filled
            as_read.discard(f.name)
        if f.kind in (Kind.INTEGER, Kind.DECIMAL):
            data[f.name] = pd.to_numeric(data[f.name], errors="coerce")
            as_read.discard(f.name)
    for name in as_read & set(data) if big else ():
        data[name] = columns.categorical(*known[name])
    return columns.frame(data, source.index)


_NO_CNP = ("person_code", "name", "birth_date")  # who a person is without a valid CNP
# from this many rows a sheet's value columns are handed on as Categoricals: below it, a batch's
# small sheets are validated as one frame, where pandas joins their categories into objects
CATEGORICAL_ROWS = 5_000


def _person_keys(
    key: bytes,
    partner: str,
    cnp: tuple[np.ndarray, np.ndarray],
    valid: np.ndarray | None,
    others: list[np.ndarray],
) -> tuple[np.ndarray, list[str | None]]:
    """Each row's ``pseudonym.person_key``, once per person: by the CNP alone where it is
    valid (the key is then the CNP's, whatever the other columns say), so the names and birth
    dates (``others``: ``_NO_CNP``'s columns) are looked at only on the rows without one,
    usually none. ``cnp``: the column's factorization; ``valid``: the rows whose CNP is.
    Returns each row's position among the keys (-1: the row identifies nobody) and the keys."""
    codes, cnps = cnp
    if valid is not None:
        codes = np.where(valid, codes, -1)
    used = np.flatnonzero(np.bincount(codes + 1, minlength=len(cnps) + 1)[1:])  # CNPs a row keys by
    keys: list[str | None] = [
        pseudonym.person_key(key, partner, c, None, None, None) for c in cnps[used].tolist()
    ]
    position = np.full(len(cnps) + 1, -1, dtype=np.int64)  # code -1 finds the last: none
    position[used] = np.arange(len(used))
    rows = position[codes]
    rest = rows < 0
    if rest.any():
        theirs = columns.per_row(
            lambda c, n, b: pseudonym.person_key(key, partner, None, c, n, b), *(o[rest] for o in others)
        )
        their_codes, their_keys = columns.factorize(theirs)  # None: the row identifies nobody
        rows[rest] = np.where(their_codes >= 0, their_codes + len(keys), -1)
        keys += their_keys.tolist()
    return rows, keys


def _no_header_row(sheet: RawSheet, dataset: Dataset | None) -> Finding:
    """A sheet in which no row names the template's columns: nothing of it is taken for a
    header (its first row may well be a person), and the partner is told what was expected."""
    datasets = [dataset] if dataset is not None else list(DATASETS.values())
    expected_ro = "; ".join(f"{d.sheet_names[0]}: " + ", ".join(f.ro for f in d.fields) for d in datasets)
    expected_en = "; ".join(f"{d.sheet_names[1]}: " + ", ".join(f.en for f in d.fields) for d in datasets)
    return Finding(
        "no_header_row",
        ERROR,
        f"No header row found in the first {HEADER_SEARCH_ROWS} rows: a header row names at least "
        f"{MIN_HEADER_MATCHES} of the template's columns. Nothing was loaded from this sheet. "
        f"Expected headers ({expected_en}).",
        f"Nu s-a găsit rândul de antet în primele {HEADER_SEARCH_ROWS} rânduri: antetul numește cel "
        f"puțin {MIN_HEADER_MATCHES} coloane ale șablonului. Nu s-a încărcat nimic din foaie. "
        f"Antetele așteptate ({expected_ro}).",
        sheet=sheet.name,
    )


def _unknown_headers(parsed: ParsedSheet) -> list[Finding]:
    """Unknown columns by letter; the header text only when it looks like a header
    (``parsing.looks_like_header``): a data row taken for headers never reaches a report."""
    findings = []
    for source in parsed.ignored_headers:
        shown_en = f" ('{source.header}')" if source.header else ""
        shown_ro = f" („{source.header}”)" if source.header else ""
        findings.append(
            Finding(
                "unknown_column",
                WARNING,
                f"Column {source.letter}{shown_en} is not part of the {parsed.dataset.name} template "
                "and was ignored.",
                f"Coloana {source.letter}{shown_ro} nu face parte din șablon și a fost ignorată.",
                sheet=parsed.sheet,
                header=source.header or None,
                column=source.letter,
            )
        )
    return findings


@dataclass
class Evaluation:
    """A file checked as the pipeline checks it, nothing written yet."""

    outcome: FileOutcome
    frames: dict[str, pd.DataFrame]  # sheet -> rows to load (no personal columns)
    records: list[tuple[SubmissionRecord, SheetOutcome]]
    sheets: list[RawSheet] = field(default_factory=list)  # as read: the feedback is written from them


# What an evaluation asks for before it can decide: each of its sheets validated by Great
# Expectations (``quality.validation``). ``evaluation_steps`` yields the sheets and is sent
# their findings, so that a batch of files can have its sheets validated together.
Sheets = list[tuple[Dataset, pd.DataFrame]]
Steps = Generator[Sheets, list[list[Finding]], "Evaluation"]


def evaluate_file(
    path: Path,
    project: str | None,
    partner: str | None,
    network: Network,
    key: bytes,
    history: History | None = None,
    source: str | None = None,
    limits: ReadingLimits | None = None,
) -> Evaluation:
    """Read, check and validate a file sent by ``partner`` for ``project``. With a history, a
    file already processed is recognised as a duplicate. Nothing a file holds makes this raise: a file that
    cannot be read comes back rejected with the reason (``intake.guard``)."""
    steps = evaluation_steps(path, project, partner, network, key, history, source, limits)
    [(_, result)] = evaluate_together([steps])
    if isinstance(result, Exception):  # not the file's doing (see evaluation_steps): the caller's
        raise result
    return result


def evaluation_steps(
    path: Path,
    project: str | None,
    partner: str | None,
    network: Network,
    key: bytes,
    history: History | None = None,
    source: str | None = None,
    limits: ReadingLimits | None = None,
    known_hash: str | None = None,
) -> Steps:
    """``evaluate_file`` as steps: yields the file's sheets to validate (at most once), is sent
    their findings, and returns the evaluation. ``known_hash``: the file's SHA-256 when the
    caller took it already (a batch does, to look its files up at once)."""
    limits = limits or ReadingLimits()
    outcome = FileOutcome(source or path.name, path.name, project, partner, None, "", ACCEPTED)
    evaluation = Evaluation(outcome, {}, [])
    try:
        inspect(path, limits)  # before hashing: a link or an unreadable file is refused as such
        outcome.file_hash = known_hash or file_hash(path)
        outcome.received = received = received_at(path)
        yield from _evaluate(path, outcome, received, history, network, key, evaluation, limits)
    except UnreadableFile as exc:
        outcome.findings.append(file_error(exc.rule, exc.message_en, exc.message_ro))
    if outcome.status != DUPLICATE and (
        any(f.severity == ERROR for f in outcome.findings)
        or any(s.status == REJECTED for s in outcome.submissions)
    ):
        outcome.status = REJECTED
    return evaluation


ROWS_TOGETHER = 50_000  # rows of a batch's sheets validated together at most: memory stays bounded


def evaluate_together(
    files: Iterable[Steps], max_rows: int = ROWS_TOGETHER
) -> Iterator[tuple[int, Evaluation | Exception]]:
    """Drive the evaluations of a batch of files, each (its index, its evaluation) as soon
    as it is decided: the sheets they ask for are validated together, one Great Expectations
    call per dataset for up to ``max_rows`` rows. What a file's own steps raise comes back in
    its place, and the other files go on."""
    waiting: list[tuple[int, Steps, Sheets]] = []
    rows = 0
    for i, steps in enumerate(files):
        result = _step(steps, None)
        if isinstance(result, list):  # its sheets, to validate
            waiting.append((i, steps, result))
            rows += sum(len(frame) for _, frame in result)
            if rows >= max_rows:
                yield from _validated(waiting)
                waiting, rows = [], 0
        else:
            yield i, result
    yield from _validated(waiting)


def _step(steps: Steps, answer: list[list[Finding]] | None) -> Sheets | Evaluation | Exception:
    try:
        return next(steps) if answer is None else steps.send(answer)
    except StopIteration as done:
        return done.value
    except Exception as exc:  # this file's failure, for the caller to set it aside
        return exc


def _validated(waiting: list[tuple[int, Steps, Sheets]]) -> Iterator[tuple[int, Evaluation | Exception]]:
    places: dict[str, list[tuple[int, int]]] = {}  # dataset -> (waiting's index, sheet's index)
    for w, (_, _, sheets) in enumerate(waiting):
        for j, (dataset, _) in enumerate(sheets):
            places.setdefault(dataset.name, []).append((w, j))
    answers: list[list[list[Finding]]] = [[[] for _ in sheets] for _, _, sheets in waiting]
    for name, where in places.items():
        frames = [waiting[w][2][j][1] for w, j in where]
        for (w, j), findings in zip(where, validate_frames(DATASETS[name], frames), strict=True):
            answers[w][j] = findings
    for (i, steps, _), answer in zip(waiting, answers, strict=True):
        result = _step(steps, answer)
        while isinstance(result, list):  # asked again (not how files are evaluated): alone
            result = _step(steps, [validate_frame(dataset, frame) for dataset, frame in result])
        yield i, result


def _evaluate(
    path: Path,
    outcome: FileOutcome,
    received: dt.datetime,
    history: History | None,
    network: Network,
    key: bytes,
    evaluation: Evaluation,
    limits: ReadingLimits,
) -> Generator[Sheets, list[list[Finding]], None]:
    frames = evaluation.frames
    project, partner_code = outcome.project, outcome.partner
    if project is None:
        outcome.findings.append(
            file_error(
                "misplaced_file",
                "Files go in inbox/<project>/<partner>/, the folder given to your organisation.",
                "Fișierele se pun în inbox/<proiect>/<partener>/, dosarul primit de organizația dvs.",
            )
        )
        return
    membership = network.memberships.get((project, partner_code)) if partner_code is not None else None
    if partner_code is None or membership is None:
        outcome.findings.append(
            file_error(
                "unknown_partner",
                f"'{outcome.partner}' is not a partner of project '{outcome.project}' in the network's "
                "reference data; ask the network's data team to register it.",
                f"„{outcome.partner}” nu este partener al proiectului „{outcome.project}” în datele "
                "de referință; cereți echipei de date a rețelei să-l înregistreze.",
            )
        )
        return
    earlier = history.already_processed(outcome.file_hash) if history is not None else []
    if earlier:
        outcome.status = DUPLICATE
        outcome.findings.append(already_processed(earlier))
        return
    sheets = evaluation.sheets = read_inspected(path, limits)  # inspected in evaluate_file
    in_workbook, in_name = month_in_workbook(sheets), month_in_file_name(path.name)
    if in_workbook and in_name and in_workbook != in_name:
        outcome.findings.append(
            file_error(
                "conflicting_month",
                f"The workbook says the month is {in_workbook} but the file name says {in_name}.",
                f"Registrul indică luna {in_workbook}, dar numele fișierului indică {in_name}.",
            )
        )
        return
    outcome.period = in_workbook or in_name
    if outcome.period is None:
        outcome.findings.append(
            file_error(
                "unknown_month",
                "The reporting month cannot be told. " + NAMING_HINT_EN,
                "Luna raportării nu poate fi stabilită. " + NAMING_HINT_RO,
            )
        )
        return
    if not membership.start <= outcome.period <= membership.end:
        outcome.findings.append(
            file_error(
                "month_outside_project",
                f"{outcome.period} is outside the partner's reporting period in the project "
                f"({membership.start} to {membership.end}).",
                f"{outcome.period} este în afara perioadei de raportare a partenerului "
                f"({membership.start} – {membership.end}).",
            )
        )
        return
    dataset_sheets = _dataset_sheets(sheets, outcome)
    declared = no_activity(sheets)
    with_rows = {d.name for d, s in dataset_sheets if s.row_count}
    empty = [(d, s) for d, s in dataset_sheets if not s.row_count]
    if with_rows:
        # a template filled in part: its untouched sheets are no word of "no activity" (that
        # would silently replace a month sent in another file); the Info sheet's answer is
        outcome.findings += [_empty_sheet(s, d) for d, s in empty if d.name not in declared.declared]
        empty = []
    nil = declarations(empty, with_rows, declared)
    dataset_sheets = [(d, s) for d, s in dataset_sheets if s.row_count]
    if not dataset_sheets and not nil and not any(f.severity == ERROR for f in outcome.findings):
        outcome.findings.append(
            file_error(
                "no_dataset",
                "No sheet holds a dataset: name the sheets Beneficiari, Instruiri or Voluntari "
                "(Beneficiaries, Trainings, Volunteers) and keep the template's header row.",
                "Nicio foaie nu conține date: numiți foile Beneficiari, Instruiri sau Voluntari și "
                "păstrați rândul de antet al șablonului.",
            )
        )
    partner = network.partners[partner_code]
    context = Context(partner.county, outcome.period, localities())
    prepared = [(dataset, sheet, *prepare_sheet(dataset, sheet, context, key, partner_code))
                for dataset, sheet in dataset_sheets]  # fmt: skip
    validated = (yield [(dataset, frame) for dataset, _, _, frame in prepared]) if prepared else []
    for (dataset, sheet, parsed, frame), found in zip(prepared, validated, strict=True):
        # the month's volume against the partner's other months is judged once the whole
        # run is loaded (``warehouse.volumes``): here it would depend on the batch order
        findings = located(parsed, found)
        findings += findings_for_rows(dataset, outcome.period, declared, sheet.name)
        frames[sheet.name] = frame
        _add(evaluation, dataset.name, sheet.name, len(frame), findings, ACCEPTED)
    for declaration in nil:  # no rows: nothing to load, but the month is answered
        _add(evaluation, declaration.dataset, declaration.sheet, 0, declaration.findings, NIL)


def _add(
    evaluation: Evaluation, dataset: str, sheet: str, rows: int, findings: list[Finding], status: str
) -> None:
    """Record one submission of the file: ``status`` (accepted, or nil for a declaration of no
    activity), or rejected when its findings hold an error."""
    outcome = evaluation.outcome
    assert outcome.project and outcome.partner and outcome.period and outcome.received
    errors = sum(f.severity == ERROR for f in findings)
    warnings = sum(f.severity == WARNING for f in findings)
    status = REJECTED if errors else status
    outcome.sheet_findings.setdefault(sheet, []).extend(findings)
    sheet_outcome = SheetOutcome(dataset, sheet, status, rows, errors, warnings)
    outcome.submissions.append(sheet_outcome)
    record = SubmissionRecord(
        outcome.project,
        outcome.partner,
        dataset,
        outcome.period,
        outcome.file_name,
        outcome.file_hash,
        sheet,
        outcome.received,
        status,
        rows,
        errors,
        warnings,
        [f.to_dict() for f in findings],
        "",
    )
    evaluation.records.append((record, sheet_outcome))


def evaluate_sheet(
    dataset: Dataset, sheet: RawSheet, context: Context, key: bytes, partner: str
) -> tuple[pd.DataFrame, list[Finding]]:
    """Parse, check and validate one sheet: the rows to load (no personal columns) and the
    findings, located at the partner's sheet, column and rows."""
    parsed, frame = prepare_sheet(dataset, sheet, context, key, partner)
    return frame, located(parsed, validate_frame(dataset, frame))


def prepare_sheet(
    dataset: Dataset, sheet: RawSheet, context: Context, key: bytes, partner: str
) -> tuple[ParsedSheet, pd.DataFrame]:
    """A sheet parsed and checked, as Great Expectations validates it."""
    parsed = parse_sheet(dataset, sheet)
    return parsed, _prepare(parsed, context, key, partner)


def located(parsed: ParsedSheet, validated: list[Finding]) -> list[Finding]:
    """The sheet's findings (its suite's and its unknown headers) at the partner's sheet,
    columns and rows."""
    findings = validated + _unknown_headers(parsed)
    _locate(parsed, findings)
    return findings
