"""Turn a sheet as the partner typed it into a typed frame in the contract's columns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

import pandas as pd
from openpyxl.utils import get_column_letter

from inclusion_data.contracts.datasets import DATASETS, Dataset, Kind
from inclusion_data.contracts.text import fold
from inclusion_data.contracts.vocabularies import vocabulary
from inclusion_data.intake import values

ROW = "_row"  # the record's row number in the partner's sheet (1-based, as Excel shows it)
FORMAT_FLAG = "__format__{}"  # True where the cell is empty or could be read as its type


@dataclass(frozen=True)
class RawSheet:
    """A sheet as read from a file: header cells, data rows and their spreadsheet row numbers."""

    name: str
    headers: list[str]
    rows: list[list[object]]
    row_numbers: list[int]
    first_column: int = 0  # 0-based position of the header row's first cell (B = 1)
    header_row: int = 1  # the header row's number in the sheet


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
    ignored_headers: list[str] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)


@cache
def _header_index(dataset_name: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in DATASETS[dataset_name].fields:
        for header in f.headers:
            key = fold(header)
            if index.setdefault(key, f.name) != f.name:
                raise ValueError(f"{dataset_name}: header '{header}' names two columns")
    return index


def match_headers(dataset: Dataset, headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Contract field -> column position, and the headers that match no field."""
    index = _header_index(dataset.name)
    positions: dict[str, int] = {}
    ignored = []
    for position, header in enumerate(headers):
        name = index.get(fold(header))
        if name is None or name in positions:
            if fold(header):
                ignored.append(str(header))
            continue
        positions[name] = position
    return positions, ignored


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


def parse_sheet(dataset: Dataset, raw: RawSheet) -> ParsedSheet:
    positions, ignored = match_headers(dataset, raw.headers)
    data: dict[str, Sequence[object]] = {ROW: raw.row_numbers}
    columns: dict[str, SourceColumn] = {}
    missing = []
    for f in dataset.fields:
        cells: list[object]
        if f.name not in positions:
            if f.required:
                missing.append(f.name)  # left out so that the column-exists rule fails
                continue
            cells = [None] * len(raw.rows)
        else:
            position = positions[f.name]
            columns[f.name] = SourceColumn(
                str(raw.headers[position]), get_column_letter(raw.first_column + position + 1)
            )
            cells = [row[position] if position < len(row) else None for row in raw.rows]
        if f.kind is Kind.CODE:
            data[f.name] = [_parse_code(f.vocabulary_name)(c) for c in cells]
            continue
        parsed: Sequence[object]
        if f.kind is Kind.BIRTH:
            births = [values.parse_birth(c) for c in cells]
            data[f.name] = [b[0] if b else None for b in births]
            data["birth_year"] = [b[1] if b else None for b in births]
            parsed = births
        else:
            parsed = [_PARSERS[f.kind](c) for c in cells]
            data[f.name] = parsed
        if f.typed:
            data[FORMAT_FLAG.format(f.name)] = [
                values.is_empty(c) or p is not None for c, p in zip(cells, parsed, strict=True)
            ]
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})
    frame[ROW] = frame[ROW].astype("int64")
    for name in [c for c in frame.columns if c.startswith("__format__")]:
        frame[name] = frame[name].astype(bool)
    return ParsedSheet(dataset, raw.name, frame, columns, ignored, missing)
