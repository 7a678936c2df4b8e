"""The feedback workbook a partner gets back: their own sheets with every problem cell
highlighted (errors red, warnings amber) and a comment saying what is wrong and what is
expected, after a first sheet listing every problem in Romanian and English.

It holds the partner's own values, so it is written only next to the partner's file and
never reaches the shared reports.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from inclusion_data.intake.parsing import RawSheet
from inclusion_data.quality.findings import ERROR, Finding
from inclusion_data.submissions import bounds
from inclusion_data.submissions.cells import append_row, sheet_title, write_value
from inclusion_data.submissions.outcome import FileOutcome

ERRORS_SHEET = "Erori - Errors"  # Excel forbids "/" in sheet names
FILLS = {ERROR: PatternFill("solid", fgColor="FFC7CE"), "warning": PatternFill("solid", fgColor="FFEB9C")}
HEADER = [
    "Gravitate / Severity",
    "Foaie / Sheet",
    "Rând / Row",
    "Coloana / Column",
    "Antet / Header",
    "Regulă / Rule",
    "Mesaj",
    "Message",
]


def feedback_path(stored: Path) -> Path:
    return stored.with_name(stored.name + ".feedback.xlsx")


def _partner_sheets(sheets: list[RawSheet]) -> tuple[openpyxl.Workbook, dict[str, str]]:
    """The partner's sheets rebuilt from what was read, every cell where the partner had it,
    values as data: a formula or macro in the partner's file never comes back. Returns the
    workbook and each sheet's title in it (a title Excel refuses is made safe)."""
    book = openpyxl.Workbook()
    if book.active is not None:
        book.remove(book.active)
    titles: dict[str, str] = {}
    for raw in sheets:
        title = titles[raw.name] = sheet_title(raw.name, set(titles.values()) | {ERRORS_SHEET})
        sheet = book.create_sheet(title)
        for position, header in enumerate(raw.headers):
            write_value(sheet, raw.header_row, raw.first_column + position + 1, header)
        for number, row in zip(raw.row_numbers, raw.rows, strict=True):
            for position, value in enumerate(row):
                write_value(sheet, number, raw.first_column + position + 1, value)
    return book, titles


def problem_cells(outcome: FileOutcome) -> dict[tuple[str, str], list[Finding]]:
    """(sheet, cell such as 'C7') -> the findings about that cell."""
    cells: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for findings in outcome.sheet_findings.values():
        for finding in findings:
            if finding.column and finding.sheet is not None:  # a cell needs both
                for row in finding.rows:
                    cells[(finding.sheet, f"{finding.column}{row}")].append(finding)
    return cells


def write_feedback_workbook(sheets: list[RawSheet], outcome: FileOutcome, destination: Path) -> Path:
    """The partner's ``sheets`` (as evaluated) with the outcome's findings marked on them."""
    book, titles = _partner_sheets(sheets)
    for (sheet_name, cell_name), findings in bounds.marked(problem_cells(outcome)).items():
        if sheet_name not in titles:
            continue
        cell = book[titles[sheet_name]][cell_name]
        worst = ERROR if any(f.severity == ERROR for f in findings) else "warning"
        cell.fill = FILLS[worst]
        text = "\n".join(f"[{f.severity}] {f.message_ro}\n{f.message_en}" for f in findings)
        cell.comment = Comment(text, "inclusion-data", width=320, height=40 + 40 * len(findings))
    errors = book.create_sheet(ERRORS_SHEET, 0)
    line = append_row(errors, list(HEADER))
    for finding in [*outcome.findings, *(f for fs in outcome.sheet_findings.values() for f in fs)]:
        for row in bounds.listed_rows(finding.rows):
            line = append_row(
                errors,
                [
                    finding.severity,
                    finding.sheet,
                    row,
                    finding.column,
                    finding.header,
                    finding.rule,
                    finding.message_ro,
                    finding.message_en,
                ],
                line + 1,
            )
            if finding.severity in FILLS:
                errors.cell(row=line, column=1).fill = FILLS[finding.severity]
    for index, width in enumerate([12, 16, 8, 10, 24, 26, 60, 60], start=1):
        errors.column_dimensions[get_column_letter(index)].width = width
    for cell in errors[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    errors.freeze_panes = "A2"
    book.active = 0
    book.save(destination)
    return destination
