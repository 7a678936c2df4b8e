"""The feedback workbook a partner gets back: their own sheets with every problem cell
highlighted (errors red, warnings amber) and a comment saying what is wrong and what is
expected, after a first sheet listing every problem: all of it in one language, the partner's
(``network.yaml``) or the portal user's.

It holds the partner's own values, so it is written only next to the partner's file and
never reaches the shared reports.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from inclusion_data.contracts.i18n import N_, translator
from inclusion_data.contracts.labels import Labels
from inclusion_data.contracts.network import load_network
from inclusion_data.intake.parsing import RawSheet
from inclusion_data.quality.findings import ERROR, Finding
from inclusion_data.submissions import bounds
from inclusion_data.submissions.cells import sheet_title, streamed
from inclusion_data.submissions.outcome import FileOutcome

ERRORS = N_("Errors")  # the first sheet's title
FILLS = {ERROR: PatternFill("solid", fgColor="FFC7CE"), "warning": PatternFill("solid", fgColor="FFEB9C")}
HEADER = [N_("Severity"), N_("Sheet"), N_("Row"), N_("Column"), N_("Header"), N_("Rule"), N_("Message")]


def errors_sheet(language: str) -> str:
    return translator(language)(ERRORS)


def feedback_path(stored: Path) -> Path:
    return stored.with_name(stored.name + ".feedback.xlsx")


def _marked_cell(sheet: WriteOnlyWorksheet, value: object, findings: list[Finding], L: Labels) -> Cell:
    cell = streamed(sheet, value)
    if not isinstance(cell, Cell):
        cell = WriteOnlyCell(sheet, cell)
    worst = ERROR if any(f.severity == ERROR for f in findings) else "warning"
    cell.fill = FILLS[worst]
    text = "\n".join(f"[{L.severity(f.severity)}] {L.rule(f.rule)}: {L.message(f)}" for f in findings)
    cell.comment = Comment(text, "inclusion-data", width=320, height=40 + 40 * len(findings))
    return cell


def _partner_sheets(
    book: openpyxl.Workbook, sheets: list[RawSheet], marks: dict, reserved: str, L: Labels
) -> None:
    """The partner's sheets rebuilt from what was read, every cell where the partner had it,
    values as data: a formula or macro in the partner's file never comes back; the ``marks``
    (``problem_cells``) coloured and commented. Written row by row (a write-only workbook:
    a cell object only where needed); a title Excel refuses is made safe."""
    cells: dict[str, dict[int, dict[int, list[Finding]]]] = defaultdict(lambda: defaultdict(dict))
    for (sheet_name, name), findings in marks.items():
        letters, number = coordinate_from_string(name)
        cells[sheet_name][number][column_index_from_string(letters)] = findings
    titles: set[str] = {reserved}
    for raw in sheets:
        title = sheet_title(raw.name, titles)
        titles.add(title)
        sheet = book.create_sheet(title)
        lines: dict[int, list] = dict(zip(raw.row_numbers, raw.rows, strict=True))
        if raw.headers:
            lines[raw.header_row] = list(raw.headers)
        marked = cells.get(raw.name, {})
        written = 0
        for number in sorted(lines.keys() | marked.keys()):
            for _ in range(number - written - 1):  # a blank row of the partner's
                sheet.append([])
            row = lines.get(number, [])
            values = [None] * raw.first_column + [streamed(sheet, v) for v in row]
            for column, findings in marked.get(number, {}).items():
                at = column - raw.first_column - 1
                values += [None] * (column - len(values))
                value = row[at] if 0 <= at < len(row) else None
                values[column - 1] = _marked_cell(sheet, value, findings, L)
            sheet.append(values)
            written = number


def problem_cells(outcome: FileOutcome) -> dict[tuple[str, str], list[Finding]]:
    """(sheet, cell such as 'C7') -> the findings about that cell."""
    cells: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for findings in outcome.sheet_findings.values():
        for finding in findings:
            if finding.column and finding.sheet is not None:  # a cell needs both
                for row in finding.rows:
                    cells[(finding.sheet, f"{finding.column}{row}")].append(finding)
    return cells


def write_feedback_workbook(
    sheets: list[RawSheet], outcome: FileOutcome, destination: Path, language: str | None = None
) -> Path:
    """The partner's ``sheets`` (as evaluated) with the outcome's findings marked on them, in
    ``language`` (by default the partner's, from ``network.yaml``)."""
    language = language or load_network().language(outcome.partner)
    _, L = translator(language), Labels(language)
    book = openpyxl.Workbook(write_only=True)
    errors = book.create_sheet(errors_sheet(language))  # the first sheet
    for index, width in enumerate([12, 16, 8, 10, 24, 30, 80], start=1):
        errors.column_dimensions[get_column_letter(index)].width = width
    errors.freeze_panes = "A2"
    header = []
    for text in HEADER:
        cell = WriteOnlyCell(errors, _(text))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
        header.append(cell)
    errors.append(header)
    for finding in outcome.all_findings():
        for row in bounds.listed_rows(finding.rows):
            line = [
                streamed(errors, value)
                for value in [
                    L.severity(finding.severity),
                    finding.sheet,
                    row,
                    finding.column,
                    finding.header,
                    L.rule(finding.rule),
                    L.message(finding),
                ]
            ]
            if finding.severity in FILLS:
                line[0] = WriteOnlyCell(errors, L.severity(finding.severity))
                line[0].fill = FILLS[finding.severity]
            errors.append(line)
    _partner_sheets(book, sheets, bounds.marked(problem_cells(outcome)), errors_sheet(language), L)
    book.save(destination)
    return destination
