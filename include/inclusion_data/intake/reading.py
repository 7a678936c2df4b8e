"""Read partner files (.xlsx, .xlsm, .xls, .ods, .csv) into ``RawSheet``s.

Spreadsheets are read with fastexcel (calamine, handing back Arrow) with every cell as text;
the typed parsing is the contract's job. fastexcel returns only a sheet's used range, so the
range's top-left corner comes from python-calamine, which exposes it: that is what keeps the
row and column we report identical to what the partner sees in Excel.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import fastexcel
from python_calamine import CalamineWorkbook

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.contracts.text import fold
from inclusion_data.intake.parsing import RawSheet
from inclusion_data.intake.values import is_empty

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
SUFFIXES = SPREADSHEET_SUFFIXES | {".csv"}
_HEADER_SEARCH_ROWS = 10  # a title or a note may stand above the header row


class UnreadableFile(Exception):
    """The file cannot be read at all; the message says why and what to send instead."""


def read_file(path: Path) -> list[RawSheet]:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UnreadableFile(
            f"'{path.name}' is not a spreadsheet this pipeline reads; send .xlsx, .xls, .ods or "
            f".csv. / Fișierul nu este un tip acceptat; trimiteți .xlsx, .xls, .ods sau .csv."
        )
    try:
        return [_read_csv(path)] if suffix == ".csv" else _read_workbook(path)
    except UnreadableFile:
        raise
    except Exception as exc:  # corrupt or password-protected files, wrong extension
        raise UnreadableFile(
            f"'{path.name}' could not be opened ({type(exc).__name__}: {exc}). Save it again from "
            f"Excel or LibreOffice and re-send it. / Fișierul nu a putut fi deschis; salvați-l din "
            f"nou și retrimiteți-l."
        ) from exc


def _read_workbook(path: Path) -> list[RawSheet]:
    reader = fastexcel.read_excel(path)
    corners = CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in reader.sheet_names:
        corner = corners.get_sheet_by_name(name)
        start = corner.start  # the used range's top-left cell; None when the sheet is empty
        if corner.height == 0 or start is None:
            sheets.append(RawSheet(name, [], [], []))
            continue
        table = reader.load_sheet(name, header_row=None, dtypes="string").to_arrow()
        rows = [list(r) for r in zip(*(column.to_pylist() for column in table.columns), strict=True)]
        top, left = start
        sheets.append(sheet_from_rows(name, rows, first_row=top + 1, first_column=left))
    return sheets


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1250")  # Windows-1250, what Romanian Excel saves as "CSV"


def _read_csv(path: Path) -> RawSheet:
    text = _decode(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    # the separator that splits the header line into most fields (quotes respected);
    # csv.Sniffer guesses wrong on one-column files and on "Nume, prenume"-style headers
    delimiter = max(";,\t", key=lambda d: len(next(csv.reader([first_line], delimiter=d))))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[object]] = [list(r) for r in reader]
    return sheet_from_rows(path.stem, rows, first_row=1, first_column=0)


_KNOWN_HEADERS = {fold(h) for d in DATASETS.values() for f in d.fields for h in f.headers}


def sheet_from_rows(name: str, rows: list[list[object]], first_row: int, first_column: int) -> RawSheet:
    """Find the header row (the one naming most contract columns) and keep the data rows below
    it with their spreadsheet row numbers; blank rows are dropped."""
    candidates = [
        (sum(fold(c) in _KNOWN_HEADERS for c in row if not is_empty(c)), -i)
        for i, row in enumerate(rows[:_HEADER_SEARCH_ROWS])
        if any(not is_empty(c) for c in row)
    ]
    if not candidates:
        return RawSheet(name, [], [], [], first_column)
    header_at = -max(candidates)[1]
    headers = ["" if is_empty(c) else str(c).strip() for c in rows[header_at]]
    data, numbers = [], []
    for offset, row in enumerate(rows[header_at + 1 :], start=header_at + 1):
        if any(not is_empty(c) for c in row):
            data.append(row)
            numbers.append(first_row + offset)
    return RawSheet(name, headers, data, numbers, first_column, first_row + header_at)
