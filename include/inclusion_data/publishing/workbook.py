"""The donor-ready workbook: a Summary sheet first (headline figures per project and the
network, targets, achievement, coverage, the data date), then coverage, what changed, an
About sheet, reach, and one sheet per indicator. Headers are in Romanian and English (two
rows), codes are kept at the right of each indicator sheet for machines; every sheet has
frozen headers, filters and a landscape, fit-to-width print set-up that repeats the headers.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from inclusion_data.indicators.catalogue import ALL, TOTAL, Indicator, catalogue
from inclusion_data.publishing import labels
from inclusion_data.publishing.revisions import describe
from inclusion_data.publishing.status import STATUS_LABELS, STATUS_NOTE, Edition
from inclusion_data.submissions.cells import sheet_title, write_value

SUMMARY = "Rezumat - Summary"
COVERAGE = "Raportare - Coverage"
CHANGES = "Ce s-a schimbat - What changed"
ABOUT = "Despre - About"
REACH = "Acoperire - Reach"
INTEGER, DECIMAL, PERCENT = "#,##0", "#,##0.0", "0%"
SUPPRESSED_TEXT = "suprimat / suppressed"
# Indicator sheets: (ro, en) header, width; the last columns are codes (the CSV's keys).
INDICATOR_COLUMNS = [
    (("Proiect", "Project"), 10),
    (("Partener", "Partner"), 28),
    (("Perioada", "Period"), 12),
    (("Dezagregare", "Breakdown"), 18),
    (("Categorie", "Category (ro)"), 30),
    (("Categorie (en)", "Category"), 30),
    (("Valoare", "Value"), 11),
    (("Suprimat", "Suppressed"), 12),
    (("Stare", "Status"), 13),
    (("Țintă", "Target"), 9),
    (("Realizare", "Achievement"), 11),
    (("Cod partener", "Partner code"), 18),
    (("Cod dezagregare", "Breakdown code"), 16),
    (("Cod categorie", "Category code"), 16),
]
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
_WRAP = Alignment(wrap_text=True, vertical="top")


def sheet_names() -> dict[str, str]:
    """indicator id -> its sheet: "ro - en" where it fits Excel's 31 characters, else the
    Romanian name (the sheet's first row carries both)."""
    taken = {SUMMARY, COVERAGE, CHANGES, ABOUT, REACH}
    out = {}
    for i in catalogue().values():
        both = f"{i.name_ro} - {i.name_en}"
        out[i.id] = sheet_title(both if len(both) <= 31 else i.name_ro, taken)
        taken.add(out[i.id])
    return out


def _number(value: object) -> float | int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    number = float(value)  # type: ignore[arg-type]
    return int(number) if number.is_integer() else number


def _put(sheet: Worksheet, row: int, column: int, value: object, number_format: str | None = None) -> None:
    cell = write_value(sheet, row, column, value)
    if number_format and value is not None:
        cell.number_format = number_format
    if isinstance(value, float) and not value.is_integer() and number_format == INTEGER:
        cell.number_format = DECIMAL


def _headers(sheet: Worksheet, row: int, headers: list[tuple[str, str]], widths: list[int]) -> None:
    for column, ((ro, en), width) in enumerate(zip(headers, widths, strict=True), start=1):
        for offset, text in ((0, ro), (1, en)):
            cell = write_value(sheet, row + offset, column, text)
            cell.font, cell.fill, cell.alignment = Font(bold=True, italic=offset == 1), _HEADER_FILL, _WRAP
        sheet.column_dimensions[get_column_letter(column)].width = width


def _finish(sheet: Worksheet, header_row: int, columns: int) -> None:
    """Frozen headers, a filter on the table, landscape print fit to the page width with the
    header rows repeated on every page."""
    sheet.freeze_panes = f"A{header_row + 2}"
    last = max(sheet.max_row, header_row + 1)
    sheet.auto_filter.ref = f"A{header_row + 1}:{get_column_letter(columns)}{last}"
    sheet.print_title_rows = f"{header_row}:{header_row + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    if sheet.sheet_properties.pageSetUpPr is None:
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties()
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _preamble(sheet: Worksheet, title: str, edition: Edition, lines: list[str]) -> int:
    """Title and the publication's facts above a table; returns the table's first row."""
    sheet["A1"] = title
    sheet["A1"].font = Font(bold=True, size=14)
    facts = [
        f"Date la / Data as of: {edition.data_date}",
        f"Perioada / Period covered: {edition.period}",
        f"Publicarea / Publication: {edition.id} ({edition.published_at:%Y-%m-%d %H:%M} UTC)",
        *lines,
    ]
    for n, text in enumerate(facts, start=2):
        write_value(sheet, n, 1, text).alignment = Alignment(wrap_text=False, vertical="top")
    return len(facts) + 3


def _headline(public: pd.DataFrame) -> pd.DataFrame:
    return public[(public.partner == ALL) & (public.period == TOTAL) & (public.dimension == TOTAL)]


def _summary(book: Workbook, edition: Edition, public: pd.DataFrame) -> None:
    sheet = book.create_sheet(SUMMARY)
    ro, en = edition.coverage_text()
    start = _preamble(
        sheet,
        "Indicatori de incluziune socială / Social-inclusion indicators",
        edition,
        [f"Acoperire: {ro}", f"Coverage: {en}", STATUS_NOTE[0], STATUS_NOTE[1]],
    )
    headers = [
        ("Proiect", "Project"),
        ("Indicator", "Indicator (ro)"),
        ("Indicator (en)", "Indicator"),
        ("Valoare", "Value"),
        ("Țintă", "Target"),
        ("Realizare", "Achievement"),
        ("Stare", "Status"),
        ("Raportări primite", "Submissions received"),
    ]
    _headers(sheet, start, headers, [34, 40, 40, 11, 9, 12, 13, 14])
    coverage = {c.project: c for c in edition.coverage}
    top = _headline(public).set_index(["project", "indicator_id"])
    projects = [p for p in sorted(set(public.project)) if p != ALL] + [ALL]
    row = start + 2
    for project in projects:
        for indicator in catalogue().values():
            if (project, indicator.id) not in top.index:
                continue
            r = top.loc[(project, indicator.id)]
            _put(sheet, row, 1, labels.both(labels.project_label(project)))
            _put(sheet, row, 2, indicator.name_ro)
            _put(sheet, row, 3, indicator.name_en)
            _put(sheet, row, 4, SUPPRESSED_TEXT if r.suppressed else _number(r.value), INTEGER)
            _put(sheet, row, 5, _number(r.target), INTEGER)
            achievement = _number(r.achievement_pct)
            _put(sheet, row, 6, None if achievement is None else achievement / 100, PERCENT)
            _put(sheet, row, 7, labels.both(STATUS_LABELS[r.status]))
            c = coverage.get(project)
            _put(sheet, row, 8, None if c is None else c.received_pct, PERCENT)
            row += 1
    _finish(sheet, start, len(headers))


def _coverage(book: Workbook, edition: Edition) -> None:
    sheet = book.create_sheet(COVERAGE)
    start = _preamble(
        sheet, "Raportări așteptate și primite / Expected and received submissions", edition, []
    )
    headers = [
        ("Proiect", "Project"),
        ("De la", "From"),
        ("Până la", "To"),
        ("Așteptate", "Expected"),
        ("Primite", "Received"),
        ("Fără activitate", "Nil returns"),
        ("Aprobate", "Approved"),
        ("Lipsă sau respinse", "Missing or rejected"),
        ("Primite %", "Received %"),
    ]
    _headers(sheet, start, headers, [34, 10, 10, 11, 10, 12, 10, 14, 11])
    for row, c in enumerate(edition.coverage, start=start + 2):
        values: list[object] = [labels.both(labels.project_label(c.project)), c.period_first, c.period_last]
        values += [c.expected, c.received, c.nil, c.approved, c.missing]
        for column, value in enumerate(values, start=1):
            _put(sheet, row, column, value, INTEGER if column > 3 else None)
        _put(sheet, row, 9, c.received_pct, PERCENT)
    _finish(sheet, start, len(headers))


def _changes(book: Workbook, edition: Edition, diff: pd.DataFrame) -> None:
    sheet = book.create_sheet(CHANGES)
    if edition.previous is None:
        note = "Prima publicare: nimic de comparat. / First publication: nothing to compare with."
    else:
        note = (
            f"Față de publicarea {edition.previous}: {len(diff)} valori schimbate. / "
            f"Since publication {edition.previous}: {len(diff)} values changed."
        )
    start = _preamble(sheet, "Ce s-a schimbat / What changed", edition, [note])
    headers = [
        ("Indicator", "Indicator"),
        ("Proiect", "Project"),
        ("Partener", "Partner"),
        ("Perioada", "Period"),
        ("Dezagregare", "Breakdown"),
        ("Categorie", "Category"),
        ("Valoare anterioară", "Previous value"),
        ("Valoare nouă", "New value"),
        ("Stare anterioară", "Previous status"),
        ("Stare nouă", "New status"),
        ("Cauza (raportări, luni revizuite)", "Cause (submissions, months reviewed)"),
    ]
    _headers(sheet, start, headers, [30, 10, 24, 12, 16, 24, 12, 12, 14, 14, 60])
    names = {i.id: i for i in catalogue().values()}
    for row, r in enumerate(diff.itertuples(index=False), start=start + 2):
        indicator = names.get(r.indicator_id)
        values = [
            labels.both((indicator.name_ro, indicator.name_en)) if indicator else r.indicator_id,
            r.project,
            labels.partner_label(r.partner),
            labels.period_label(r.period),
            labels.both(labels.dimension_label(r.dimension)),
            labels.both(labels.category_label(r.dimension, r.category)),
        ]
        for column, value in enumerate(values, start=1):
            _put(sheet, row, column, value)
        _put(sheet, row, 7, _shown(r.old_value, r.old_state), INTEGER)
        _put(sheet, row, 8, _shown(r.new_value, r.new_state), INTEGER)
        _put(sheet, row, 9, labels.both(STATUS_LABELS.get(r.old_state, ("—", "—"))))
        _put(sheet, row, 10, labels.both(STATUS_LABELS.get(r.new_state, ("—", "—"))))
        _put(sheet, row, 11, describe(r.causes))
        sheet.cell(row=row, column=11).alignment = _WRAP
    _finish(sheet, start, len(headers))


def _shown(value: object, state: str | None) -> object:
    """A value in the revision log: absent (—), suppressed, or the number."""
    if not isinstance(state, str):
        return "—"
    number = _number(value)
    return SUPPRESSED_TEXT if number is None else number


def _about(book: Workbook, edition: Edition, notes: tuple[str, str]) -> None:
    sheet = book.create_sheet(ABOUT)
    start = _preamble(sheet, "Despre aceste date / About these data", edition, [])
    for offset, text in enumerate([notes[0], notes[1], STATUS_NOTE[0], STATUS_NOTE[1]]):
        cell = write_value(sheet, start - 1 + offset, 1, text)
        sheet.merge_cells(
            start_row=start - 1 + offset, end_row=start - 1 + offset, start_column=1, end_column=5
        )
        cell.alignment = _WRAP
        sheet.row_dimensions[start - 1 + offset].height = 75
    start += 4
    headers = [
        ("Cod", "Id"),
        ("Denumire", "Name (ro)"),
        ("Denumire (en)", "Name"),
        ("Definiție", "Definition (ro)"),
        ("Definiție (en)", "Definition"),
    ]
    _headers(sheet, start, headers, [24, 30, 30, 60, 60])
    for row, i in enumerate(catalogue().values(), start=start + 2):
        for column, value in enumerate(
            [i.id, i.name_ro, i.name_en, i.definition_ro, i.definition_en], start=1
        ):
            write_value(sheet, row, column, value).alignment = _WRAP
    _finish(sheet, start, len(headers))


def _reach(book: Workbook, edition: Edition, reach: pd.DataFrame) -> None:
    sheet = book.create_sheet(REACH)
    start = _preamble(
        sheet,
        "Persoane unice și numărate de mai multe ori / Unique persons and persons counted more than once",
        edition,
        [],
    )
    headers = [
        ("Indicator", "Indicator (ro)"),
        ("Indicator (en)", "Indicator"),
        ("Suma partenerilor", "Gross reach (sum of partners)"),
        ("Persoane unice", "Unique reach"),
        ("Numărate de mai multe ori", "Counted more than once"),
    ]
    _headers(sheet, start, headers, [34, 34, 16, 14, 16])
    names = {i.id: i for i in catalogue().values()}
    for row, r in enumerate(reach.itertuples(index=False), start=start + 2):
        i = names[r.indicator_id]
        for column, value in enumerate(
            [
                i.name_ro,
                i.name_en,
                _number(r.gross_reach),
                _number(r.unique_reach),
                _number(r.counted_more_than_once),
            ],
            start=1,
        ):
            _put(sheet, row, column, value, INTEGER if column > 2 else None)
    _finish(sheet, start, len(headers))


def _indicator(book: Workbook, edition: Edition, indicator: Indicator, name: str, rows: pd.DataFrame) -> None:
    sheet = book.create_sheet(name)
    sheet["A1"] = f"{indicator.name_ro} / {indicator.name_en}"
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = f"Date la / Data as of: {edition.data_date} · {edition.id} · {indicator.id}"
    headers = [h for h, _ in INDICATOR_COLUMNS]
    _headers(sheet, 3, headers, [w for _, w in INDICATOR_COLUMNS])
    for row, r in enumerate(
        labels.reading_order(rows, indicator.dimensions).itertuples(index=False), start=5
    ):
        dimension = labels.both(labels.dimension_label(r.dimension))
        ro, en = labels.category_label(r.dimension, r.category)
        achievement = _number(r.achievement_pct)
        values: list[tuple[object, str | None]] = [
            (r.project, None),
            (labels.partner_label(r.partner), None),
            (labels.period_label(r.period), None),
            (dimension, None),
            (ro, None),
            (en, None),
            (_number(r.value), INTEGER),
            (SUPPRESSED_TEXT if r.suppressed else "", None),
            (labels.both(STATUS_LABELS[r.status]), None),
            (_number(r.target), INTEGER),
            (None if achievement is None else achievement / 100, PERCENT),
            (r.partner, None),
            (r.dimension, None),
            (r.category, None),
        ]
        for column, (value, number_format) in enumerate(values, start=1):
            _put(sheet, row, column, value, number_format)
    _finish(sheet, 3, len(INDICATOR_COLUMNS))


def write_workbook(
    path: Path,
    edition: Edition,
    public: pd.DataFrame,
    reach: pd.DataFrame,
    diff: pd.DataFrame,
    notes: tuple[str, str],
) -> None:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    _summary(book, edition, public)
    _coverage(book, edition)
    _changes(book, edition, diff)
    _about(book, edition, notes)
    _reach(book, edition, reach)
    names = sheet_names()
    for indicator_id, rows in public.groupby("indicator_id", sort=False):
        indicator = catalogue().get(str(indicator_id))
        if indicator is not None:
            _indicator(book, edition, indicator, names[indicator.id], rows)
    book.save(path)
