"""Read partner files (.xlsx, .xls, .ods, .csv) into ``RawSheet``s.

Spreadsheets are read with fastexcel (calamine, handing back Arrow) with every cell as text;
the typed parsing is the contract's job. fastexcel returns only a sheet's used range, so the
range's top-left corner comes from python-calamine, which exposes it: that is what keeps the
row and column we report identical to what the partner sees in Excel.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import fastexcel
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from python_calamine import CalamineWorkbook

from inclusion_data.intake import columns, corner
from inclusion_data.intake.guard import UnreadableFile, inspect, password_protected
from inclusion_data.intake.isolation import in_child, read_ahead
from inclusion_data.intake.parsing import MIN_HEADER_MATCHES, RawSheet, known_header_count, sheet_label
from inclusion_data.intake.values import is_empty
from inclusion_data.settings import ReadingLimits

HEADER_SEARCH_ROWS = 10  # a title or a note may stand above the header row


def read_file(path: Path, limits: ReadingLimits | None = None) -> list[RawSheet]:
    """The file's sheets, once ``guard.inspect`` has let it through. Raises ``UnreadableFile``
    with the reason."""
    limits = limits or ReadingLimits()
    inspect(path, limits)
    return read_inspected(path, limits)


def read_inspected(path: Path, limits: ReadingLimits) -> list[RawSheet]:
    """The sheets of a file ``guard.inspect`` has already let through (it is not checked
    again); spreadsheets are read in a child process (``isolation.in_child``)."""
    if path.suffix.lower() == ".csv":
        return [_read_csv(path)]
    return in_child(_read_workbook_or_refuse, limits, path)


def ask_ahead(path: Path, limits: ReadingLimits) -> None:
    """Inside ``isolation.reader_child``: have its child read ``path`` now, for the
    ``read_inspected`` that follows, while the caller works on another file. A file
    ``guard.inspect`` refuses is never read ahead (its refusal is the evaluation's to give)."""
    if path.suffix.lower() == ".csv":
        return
    try:
        inspect(path, limits)
    except Exception:  # refused or failing, it is the evaluation's to say: nothing read ahead
        return
    read_ahead(_read_workbook_or_refuse, limits, path)


def _read_workbook_or_refuse(path: Path) -> list[RawSheet]:
    try:
        return _read_workbook(path)
    except Exception as exc:  # the reader's own error: corrupt inside, or encrypted (.xls)
        if any(word in str(exc).lower() for word in ("password", "encrypt")):
            raise password_protected() from exc
        raise UnreadableFile(
            "corrupt_file",
            f"The file could not be read as a {path.suffix.lower()} spreadsheet ({type(exc).__name__}); "
            "it may be damaged. Save it again from Excel or LibreOffice and re-send it.",
            f"Fișierul nu a putut fi citit ca foaie de calcul {path.suffix.lower()}; poate fi deteriorat. "
            "Salvați-l din nou din Excel sau LibreOffice și retrimiteți-l.",
        ) from exc


def _read_workbook(path: Path) -> list[RawSheet]:
    reader = fastexcel.read_excel(path)
    corners = CalamineWorkbook.from_path(str(path))  # opened only; a sheet is read when asked
    sheets = []
    for position, name in enumerate(reader.sheet_names, start=1):
        label = sheet_label(name, position)  # a sheet named after a person is "#<position>"
        loaded = reader.load_sheet(name, header_row=None, dtypes="string")
        table = loaded.to_arrow()
        cells = [
            column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
            for column in table.columns
        ]
        start = _start(path, name, loaded, cells)
        if start is None:  # calamine says, reading the sheet again
            found = corners.get_sheet_by_name(name)
            if found.height == 0 or found.start is None:  # an empty sheet
                sheets.append(RawSheet(label, [], [], []))
                continue
            start = found.start
        top, left = start
        sheets.append(sheet_from_columns(label, cells, first_row=top + 1, first_column=left))
    return sheets


def _start(path: Path, name: str, loaded, cells: list[pa.Array]) -> tuple[int, int] | None:
    """The used range's top-left cell from the sheet's XML (``intake.corner``) and fastexcel,
    when the two agree: the first cell with a value is on fastexcel's first row."""
    columns_read = loaded.available_columns() if loaded.height else []
    first = corner.first_cell(path, name)
    if first is None or not columns_read:
        return None
    top, left = first[0], columns_read[0].absolute_index
    at = first[1] - left
    return (top, left) if 0 <= at < len(cells) and cells[at][0].is_valid else None


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
    # a CSV's sheet is its file, and file names are personal: named like a workbook's tab
    return sheet_from_rows(sheet_label(path.stem, 1), rows, first_row=1, first_column=0)


# Python's own whitespace characters (what ``str.strip``, and so ``values.is_empty``, removes):
# a blank cell is then exactly what it is to the rest of the pipeline, whatever Arrow takes for
# whitespace. Found once on import (~50 ms), so the reader children inherit it.
_WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


def _filled(cells: pa.Array) -> np.ndarray:
    """Per row, whether the cell holds something: ``values.is_empty`` over a text column in
    one Arrow pass (a column of names or CNPs has as many distinct cells as rows); any other
    column once per distinct cell."""
    if pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type):
        kept = pc.utf8_length(pc.utf8_trim(cells, characters=_WHITESPACE))
        return np.asarray(pc.fill_null(pc.greater(kept, 0), False).to_numpy(zero_copy_only=False), dtype=bool)
    return columns.distinct(cells).map(lambda c: not is_empty(c), bool)


def sheet_from_columns(name: str, cells: list[pa.Array], first_row: int, first_column: int) -> RawSheet:
    """``sheet_from_rows`` for a sheet read as columns (a workbook's, from Arrow): the header
    row is looked for in the first rows alone, and the blank rows are dropped column-wise, so
    the sheet stays columnar."""
    height = len(cells[0]) if cells else 0
    top = [list(r) for r in zip(*(c.slice(0, HEADER_SEARCH_ROWS).to_pylist() for c in cells), strict=True)]
    found = _header(top)
    if found is None:
        return RawSheet(name, [], [], [], first_column)
    filled = np.zeros(height, dtype=bool)
    for column in cells:
        filled |= _filled(column)
    header_at, headers = found
    start = 0 if headers is None else header_at + 1
    kept = np.flatnonzero(filled[start:]) + start
    if len(kept) and kept[-1] - kept[0] + 1 == len(kept):  # no blank row among them: a slice
        data = [column.slice(int(kept[0]), len(kept)) for column in cells]
    else:
        taken = pa.array(kept, type=pa.int64())
        data = [column.take(taken) for column in cells]
    numbers = (kept + first_row).tolist()
    if headers is None:
        return RawSheet(
            name, [], None, numbers, first_column, first_row - 1, header_found=False, columns=data
        )
    return RawSheet(name, headers, None, numbers, first_column, first_row + header_at, columns=data)


def _header(top: list[list[object]]) -> tuple[int, list[str] | None] | None:
    """Of a sheet's first rows: None when all are blank; else the header row's position and
    its cells, or (0, None) when no row names enough contract columns."""
    candidates = [
        (known_header_count(row), -i) for i, row in enumerate(top) if any(not is_empty(c) for c in row)
    ]
    if not candidates:
        return None
    if max(candidates)[0] < MIN_HEADER_MATCHES:
        return 0, None
    header_at = -max(candidates)[1]
    return header_at, ["" if is_empty(c) else str(c).strip() for c in top[header_at]]


def sheet_from_rows(name: str, rows: list[list[object]], first_row: int, first_column: int) -> RawSheet:
    """Find the header row (the one naming most contract columns, at least
    ``MIN_HEADER_MATCHES``) and keep the data rows below it with their spreadsheet row
    numbers; blank rows are dropped. Without such a row nothing is taken for the header:
    every row is data and ``header_found`` is False."""
    found = _header(rows[:HEADER_SEARCH_ROWS])
    if found is None:
        return RawSheet(name, [], [], [], first_column)
    header_at, headers = found
    if headers is None:
        kept = [(first_row + i, row) for i, row in enumerate(rows) if any(not is_empty(c) for c in row)]
        numbers = [n for n, _ in kept]
        return RawSheet(
            name, [], [r for _, r in kept], numbers, first_column, first_row - 1, header_found=False
        )
    data, numbers = [], []
    for offset, row in enumerate(rows[header_at + 1 :], start=header_at + 1):
        if any(not is_empty(c) for c in row):
            data.append(row)
            numbers.append(first_row + offset)
    return RawSheet(name, headers, data, numbers, first_column, first_row + header_at)
