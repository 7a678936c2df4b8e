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

from inclusion_data.intake.reading import read_file
from inclusion_data.quality.findings import ERROR, Finding
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


def _partner_sheets(source: Path) -> openpyxl.Workbook:
    """The partner's sheets: the workbook itself for .xlsx, a faithful rebuild otherwise."""
    if source.suffix.lower() in (".xlsx", ".xlsm"):
        return openpyxl.load_workbook(source)
    book = openpyxl.Workbook()
    default = book.active
    assert default is not None  # a new workbook has one (active) sheet
    book.remove(default)
    for raw in read_file(source):
        sheet = book.create_sheet(raw.name[:31])
        for position, header in enumerate(raw.headers):
            sheet.cell(row=raw.header_row, column=raw.first_column + position + 1, value=header)
        for number, row in zip(raw.row_numbers, raw.rows, strict=True):
            for position, value in enumerate(row):
                sheet.cell(row=number, column=raw.first_column + position + 1, value=value)
    return book


def problem_cells(outcome: FileOutcome) -> dict[tuple[str, str], list[Finding]]:
    """(sheet, cell such as 'C7') -> the findings about that cell."""
    cells: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for findings in outcome.sheet_findings.values():
        for finding in findings:
            if finding.column and finding.sheet is not None:  # a cell needs both
                for row in finding.rows:
                    cells[(finding.sheet, f"{finding.column}{row}")].append(finding)
    return cells


def write_feedback_workbook(source: Path, outcome: FileOutcome, destination: Path | None = None) -> Path:
    book = _partner_sheets(source)
    for (sheet_name, cell_name), findings in problem_cells(outcome).items():
        if sheet_name not in book.sheetnames:
            continue
        cell = book[sheet_name][cell_name]
        worst = ERROR if any(f.severity == ERROR for f in findings) else "warning"
        cell.fill = FILLS[worst]
        text = "\n".join(f"[{f.severity}] {f.message_ro}\n{f.message_en}" for f in findings)
        cell.comment = Comment(text, "inclusion-data", width=320, height=40 + 40 * len(findings))
    errors = book.create_sheet(ERRORS_SHEET, 0)
    errors.append(HEADER)
    for finding in [*outcome.findings, *(f for fs in outcome.sheet_findings.values() for f in fs)]:
        rows: list[int | None] = [*finding.rows] or [None]  # one line for a finding without rows
        for row in rows:
            errors.append(
                [
                    finding.severity,
                    finding.sheet,
                    row,
                    finding.column,
                    finding.header,
                    finding.rule,
                    finding.message_ro,
                    finding.message_en,
                ]
            )
            if finding.severity in FILLS:
                errors.cell(row=errors.max_row, column=1).fill = FILLS[finding.severity]
    for index, width in enumerate([12, 16, 8, 10, 24, 26, 60, 60], start=1):
        errors.column_dimensions[get_column_letter(index)].width = width
    for cell in errors[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    errors.freeze_panes = "A2"
    book.active = 0
    target = destination or feedback_path(source)
    book.save(target)
    return target
