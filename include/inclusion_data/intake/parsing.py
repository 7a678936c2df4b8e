"""Turn a sheet as the partner typed it into a typed frame in the contract's columns."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
from openpyxl.utils import get_column_letter

from inclusion_data.contracts.datasets import DATASETS, Dataset, Field, Kind
from inclusion_data.contracts.text import fold
from inclusion_data.contracts.vocabularies import vocabulary
from inclusion_data.intake import columns, values

ROW = "_row"  # the record's row number in the partner's sheet (1-based, as Excel shows it)
FORMAT_FLAG = "__format__{}"  # True where the cell is empty or could be read as its type


class RawSheet:
    """A sheet as read from a file: header cells, data rows and their spreadsheet row numbers.

    A workbook's sheet is kept as its columns (Arrow arrays of text, one per position,
    ``columns``), as the reader hands them; ``rows`` are built from them only when asked for
    (the feedback workbook, the Info sheet). A CSV's or a test's sheet is given as rows."""

    def __init__(
        self,
        name: str,
        headers: list[str],
        rows: list[list[object]] | None = None,
        row_numbers: list[int] | None = None,
        first_column: int = 0,  # 0-based position of the header row's first cell (B = 1)
        header_row: int = 1,  # the header row's number in the sheet
        header_found: bool = True,  # False: no row names enough template columns (rows = every row)
        *,
        columns: list[pa.Array] | None = None,  # the data rows' cells by position, instead of rows
    ):
        self.name, self.headers = name, headers
        self.row_numbers = row_numbers if row_numbers is not None else []
        self.first_column, self.header_row, self.header_found = first_column, header_row, header_found
        self._rows, self._columns = rows, columns
        if rows is None and columns is None:
            self._rows = []

    @property
    def row_count(self) -> int:
        return len(self.row_numbers)

    @property
    def rows(self) -> list[list[object]]:
        if self._rows is None:
            assert self._columns is not None
            self._rows = [list(r) for r in zip(*(c.to_pylist() for c in self._columns), strict=True)]
            if not self._columns:
                self._rows = [[] for _ in self.row_numbers]
        return self._rows

    def column(self, position: int) -> columns.Cells:
        """The cells of one column position, one per data row (None beyond a short row)."""
        if self._columns is not None:
            if position < len(self._columns):
                return self._columns[position]
            return pa.nulls(self.row_count, pa.string())
        return [row[position] if position < len(row) else None for row in self.rows]


@dataclass(frozen=True)
class SourceColumn:
    header: str  # the header as the partner typed it
    letter: str  # the spreadsheet column letter


@dataclass
class ParsedSheet:
    dataset: Dataset
    sheet: str
    frame: pd.DataFrame
    columns: dict[str, SourceColumn]  # contract field -> where it is in the partner's sheet
    ignored_headers: list[SourceColumn] = field(default_factory=list)  # header only if shown_header
    missing_required: list[str] = field(default_factory=list)
    # a typed column's rows as positions among the values its distinct cells parsed to (which
    # may repeat): what the checks and the validation work on instead of hashing the rows again
    cells: dict[str, tuple[np.ndarray, list[object]]] = field(default_factory=dict)


@cache
def _header_index(dataset_name: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in DATASETS[dataset_name].fields:
        for header in f.headers:
            key = fold(header)
            if index.setdefault(key, f.name) != f.name:
                raise ValueError(f"{dataset_name}: header '{header}' names two columns")
    return index


# Words a header or a sheet name may be made of: those of the contracts' headers and sheet
# names, of the template's own sheets, and of the columns partners commonly add. Anything
# else a partner typed in a header cell (a CNP, a name, a date: a data row taken for the
# header) is reported by its column letter, never repeated.
_EXTRA_WORDS = {
    "observatii", "observatie", "comentarii", "comentariu", "note", "nota", "mentiuni",
    "remarks", "comments", "notes", "crt", "no", "total", "telefon", "phone", "email", "e", "mail",
    "adresa", "address", "semnatura", "signature", "info", "informatii", "generale", "general",
    "instructiuni", "instructions", "liste", "lists", "sheet", "foaie", "foaia",
}  # fmt: skip
_MAX_LABEL_CHARACTERS = 60
_MAX_LABEL_WORDS = 6
_LABEL_CHARACTERS = re.compile(r"[^\W\d_]+(?:[ ./()_-]+[^\W\d_]+)*[ ./()_-]*")  # letters, no digits
_DEFAULT_SHEET = re.compile(r"(sheet|foaie|foaia|tabel|table)\s*\d{1,2}")


@cache
def _label_words() -> frozenset[str]:
    words = set(_EXTRA_WORDS)
    for d in DATASETS.values():
        for text in (d.name, *d.sheet_names, *(h for f in d.fields for h in f.headers)):
            words.update(fold(text).split())
    return frozenset(words)


def looks_like_header(text: object) -> bool:
    """Whether a header cell may be repeated in findings and reports: short, letters only (a
    CNP, a phone number, a date or an e-mail address has digits or an ``@``), and made only of
    words of the contracts' headers (a person's name is not). Strict on purpose: a real header
    that fails is still reported, by its column letter."""
    raw = "" if text is None else str(text).strip()
    if not raw or len(raw) > _MAX_LABEL_CHARACTERS or not _LABEL_CHARACTERS.fullmatch(raw):
        return False
    words = fold(raw).split()
    vocabulary = _label_words()
    return (
        0 < len(words) <= _MAX_LABEL_WORDS
        and all(w in vocabulary for w in words)
        and any(len(w) >= 3 for w in words)
    )


def sheet_label(name: str, position: int) -> str:
    """The name a sheet is known by in findings, reports and the warehouse: its own name when
    it looks like a header (``Beneficiari``, ``Info``, ``Sheet1``), else ``#<position>``
    (1-based tab order), because partners name sheets after people too."""
    if looks_like_header(name) or _DEFAULT_SHEET.fullmatch(fold(name)):
        return name
    return f"#{position}"


def match_headers(dataset: Dataset, headers: list[str]) -> tuple[dict[str, int], list[int]]:
    """Contract field -> column position, and the positions of the headers that match no field."""
    index = _header_index(dataset.name)
    positions: dict[str, int] = {}
    ignored = []
    for position, header in enumerate(headers):
        name = index.get(fold(header))
        if name is None or name in positions:
            if fold(header):
                ignored.append(position)
            continue
        positions[name] = position
    return positions, ignored


@cache
def _known_headers() -> frozenset[str]:
    return frozenset(h for d in DATASETS.values() for h in _header_index(d.name))


def known_header_count(row: Sequence[object]) -> int:
    """How many cells of a row are headers of some contract column."""
    known = _known_headers()
    return sum(fold(c) in known for c in row if not values.is_empty(c))


MIN_HEADER_MATCHES = 3  # a header row names at least this many template columns


def dataset_for_sheet(sheet_name: str) -> Dataset | None:
    key = fold(sheet_name)
    return next((d for d in DATASETS.values() if key in {fold(n) for n in (d.name, *d.sheet_names)}), None)


def dataset_for_headers(headers: list[str]) -> Dataset | None:
    """The dataset whose required columns the headers cover best (for single-dataset files)."""
    scores = []
    for dataset in DATASETS.values():
        positions, _ = match_headers(dataset, headers)
        required = [f.name for f in dataset.fields if f.required]
        scores.append((sum(name in positions for name in required) / len(required), dataset.name))
    scores.sort(reverse=True)
    best, runner_up = scores[0], scores[1]
    return DATASETS[best[1]] if best[0] >= 0.5 and best[0] > runner_up[0] else None


_PARSERS = {
    Kind.TEXT: values.parse_text,
    Kind.LOCALITY: values.parse_text,
    Kind.CNP: values.parse_cnp,
    Kind.DATE: values.parse_date,
    Kind.INTEGER: values.parse_integer,
    Kind.DECIMAL: values.parse_decimal,
    Kind.BOOLEAN: values.parse_boolean,
}


def _parse_code(vocabulary_name: str) -> Callable[[object], str | None]:
    vocab = vocabulary(vocabulary_name)

    def parse(value: object) -> str | None:
        # an unknown value is kept as typed so the allowed-values rule reports it
        return vocab.parse(value) or values.parse_text(value)

    return parse


def _field_columns(
    f: Field, cells: columns.Distinct, data: dict[str, np.ndarray], parsed_cells: dict[str, tuple]
) -> None:
    """A field's typed column (and its format flags), each distinct cell parsed once."""
    raw = cells.values
    if f.kind is Kind.CODE:
        codes = [_parse_code(f.vocabulary_name)(c) for c in raw]
        data[f.name], parsed_cells[f.name] = cells.broadcast(codes), (cells.codes, codes)
        return
    parsed: list[object]
    if f.kind is Kind.BIRTH:
        births = [values.parse_birth(c) for c in raw]
        dates, years = [b[0] if b else None for b in births], [b[1] if b else None for b in births]
        data[f.name], parsed_cells[f.name] = cells.broadcast(dates), (cells.codes, dates)
        data["birth_year"], parsed_cells["birth_year"] = cells.broadcast(years), (cells.codes, years)
        parsed = list(births)
    else:
        parsed = [_PARSERS[f.kind](c) for c in raw]
        data[f.name], parsed_cells[f.name] = cells.broadcast(parsed), (cells.codes, parsed)
    if f.typed:
        readable = [values.is_empty(c) or p is not None for c, p in zip(raw, parsed, strict=True)]
        data[FORMAT_FLAG.format(f.name)] = cells.broadcast(readable, bool)


def parse_sheet(dataset: Dataset, raw: RawSheet) -> ParsedSheet:
    """The sheet in the contract's columns, typed column by column: headers are matched once,
    and each distinct cell of a column is parsed once (``intake.columns``)."""
    positions, ignored = match_headers(dataset, raw.headers)
    ignored_columns = [
        SourceColumn(
            str(raw.headers[p]) if looks_like_header(raw.headers[p]) else "",
            get_column_letter(raw.first_column + p + 1),
        )
        for p in ignored
    ]
    count = raw.row_count
    data: dict[str, np.ndarray] = {ROW: np.asarray(raw.row_numbers, dtype=np.int64)}
    found: dict[str, SourceColumn] = {}
    parsed_cells: dict[str, tuple[np.ndarray, list[object]]] = {}
    missing = []
    empty = columns.Distinct([None], np.zeros(count, dtype=np.int64))
    for f in dataset.fields:
        if f.name not in positions:
            if f.required:
                missing.append(f.name)  # left out so that the column-exists rule fails
                continue
            cells = empty
        else:
            position = positions[f.name]
            found[f.name] = SourceColumn(
                str(raw.headers[position]), get_column_letter(raw.first_column + position + 1)
            )
            cells = columns.distinct(raw.column(position))
        _field_columns(f, cells, data, parsed_cells)
    frame = columns.frame(data)  # typed columns are object arrays (dates, numbers, None)
    return ParsedSheet(dataset, raw.name, frame, found, ignored_columns, missing, parsed_cells)
