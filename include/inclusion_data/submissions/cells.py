"""Writing a partner's values into a workbook as data, never as something a spreadsheet runs.

openpyxl turns any text starting with ``=`` into a formula, and refuses control characters;
a partner's cell ``=HYPERLINK(...)`` or ``=cmd|' /C calc'!A0`` must come back as the text it
was. CSV outputs use ``csv_safe``: OWASP's rule for CSV injection (a leading ``=``, ``+``,
``-``, ``@``, tab or carriage return gets a leading apostrophe).
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def write_value(sheet: Worksheet, row: int, column: int, value: Any) -> Cell | MergedCell:
    """Put ``value`` in a cell; text is always a text cell, whatever it starts with."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        cell.data_type = "s"  # set after the value: openpyxl would otherwise infer a formula
    else:
        cell.value = value
    return cell


def streamed(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """``value`` as a write-only sheet's ``append`` takes it, with ``write_value``'s rule: text
    that openpyxl would take for a formula or an error code, or with control characters, goes
    as a text cell; anything else as it is (no cell object per plain value)."""
    if isinstance(value, str) and (
        value.startswith("=") or value in ERROR_CODES or ILLEGAL_CHARACTERS_RE.search(value)
    ):
        cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
        cell.data_type = "s"
        return cell
    return value


def append_row(sheet: Worksheet, values: list[Any]) -> None:
    row = sheet.max_row + 1 if sheet.max_row > 1 or sheet.cell(1, 1).value is not None else 1
    for column, value in enumerate(values, start=1):
        write_value(sheet, row, column, value)


def sheet_title(name: str, taken: set[str]) -> str:
    """A title Excel accepts (31 characters, none of []:*?/\\), unique in the workbook."""
    base = _TITLE_FORBIDDEN.sub("_", ILLEGAL_CHARACTERS_RE.sub("", name)).strip("'")[:31] or "Sheet"
    title, n = base, 1
    while title.lower() in {t.lower() for t in taken}:
        n += 1
        title = f"{base[: 31 - len(str(n)) - 1]}_{n}"
    return title


def csv_safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
