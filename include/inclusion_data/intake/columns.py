"""Rules run once per distinct value of a column, then broadcast to its rows.

A partner's column has few distinct values (a month of dates, a county's localities, a
vocabulary's labels; even a CNP repeats on each of a person's rows), so the cell-level rules
of ``values``, ``localities`` and ``quality.checks`` stay the one source of truth and run on
each distinct value (or combination of values, for rules over several columns) once, in
Python; finding the distinct values and spreading the results over the rows is Arrow's and
numpy's, never a Python loop per cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

Cells: TypeAlias = "pa.Array | pa.ChunkedArray | Sequence[object] | np.ndarray"


@dataclass(frozen=True)
class Distinct:
    """A column as its distinct values and, per row, the position of its value among them."""

    values: list[object]
    codes: np.ndarray  # int64, one per row

    def broadcast(self, results: Sequence[object], dtype: type | str = object) -> np.ndarray:
        """Each row's result, from ``results`` (one per distinct value)."""
        if dtype is object:
            table = np.empty(len(results), dtype=object)
            for position, result in enumerate(results):  # a tuple stays one element
                table[position] = result
        else:
            table = np.asarray(results, dtype=dtype)
        return table[self.codes] if len(table) else np.empty(len(self.codes), dtype=dtype)

    def map(self, rule: Callable[[object], object], dtype: type | str = object) -> np.ndarray:
        return self.broadcast([rule(value) for value in self.values], dtype)


def _from_arrow(cells: pa.Array | pa.ChunkedArray) -> Distinct:
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    encoded = pc.dictionary_encode(cells, null_encoding="encode")
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return Distinct(encoded.dictionary.to_pylist(), codes)


def _from_python(cells: Sequence[object]) -> Distinct:
    """Cells as Python values: of the types a reader or a test hands (text, numbers, dates),
    told apart by type as well as value (True, 1 and 1.0 are equal in Python, not here)."""
    try:  # text only (a CSV): Arrow finds the distinct values
        return _from_arrow(pa.array(cells, type=pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    seen: dict[object, int] = {}
    values: list[object] = []
    codes = np.empty(len(cells), dtype=np.int64)
    for row, cell in enumerate(cells):
        try:
            key: object = (type(cell), cell)
            code = seen.get(key)
        except TypeError:  # unhashable: its own value
            key, code = (type(cell), id(cell)), None
        if code is None:
            code = seen[key] = len(values)
            values.append(cell)
        codes[row] = code
    return Distinct(values, codes)


def distinct(cells: Cells) -> Distinct:
    """The distinct cells of a column as read (Arrow, or Python values)."""
    if isinstance(cells, (pa.Array, pa.ChunkedArray)):
        return _from_arrow(cells)
    return _from_python(list(cells) if isinstance(cells, np.ndarray) else cells)


def missing_as_none(values: pd.Series | np.ndarray) -> np.ndarray:
    """A parsed column as an object array, None where pandas holds a missing value (NaN)."""
    array = np.array(values, dtype=object, copy=True)
    array[pd.isna(array)] = None
    return array


def factorize(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A parsed column (an object array of one kind of value, None for missing) as each row's
    code (-1 for None) and the distinct values, by pandas' hashing."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def combine(*factorized: tuple[np.ndarray, np.ndarray]) -> tuple[list[tuple], np.ndarray]:
    """The distinct combinations of factorized columns and each row's combination."""
    length = len(factorized[0][0]) if factorized else 0
    combined = np.zeros(length, dtype=np.int64)
    for codes, uniques in factorized:
        combined = combined * (len(uniques) + 1) + (codes + 1)
        combined = pd.factorize(combined)[0].astype(np.int64)  # keeps the numbers small
    _, first = np.unique(combined, return_index=True)  # code k's first row (codes are 0..k)
    values = [_with_none(uniques)[codes[first]] for codes, uniques in factorized]
    return list(zip(*values, strict=True)) if factorized else [], combined


def refactorize(codes: np.ndarray, values: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    """A column given as each row's position among ``values`` (-1: missing), which may repeat
    or hold None (two cells parsed alike, an unreadable one), as ``factorize`` gives it:
    only the values are hashed, never the rows."""
    merged, uniques = factorize(np.fromiter(values, dtype=object, count=len(values)))  # a tuple stays one
    return np.append(merged, -1)[codes], uniques


def categorical(codes: np.ndarray, values: Sequence[object]) -> pd.Categorical:
    """A column given as codes into its distinct values (``factorize``) as a pandas Categorical
    of the same Python values (object categories: a date stays a date, True stays True),
    without hashing its rows: Great Expectations and the load then work on codes (a 1M-row
    sheet's validation: 1.2 -> 0.3 CPU-s). Values that repeat or hold None are merged first
    (``refactorize``)."""
    try:
        return pd.Categorical.from_codes(codes, categories=pd.Index(values, dtype=object))
    except ValueError:  # not distinct, or a missing value among them
        merged, uniques = refactorize(codes, values)
        return pd.Categorical.from_codes(merged, categories=pd.Index(uniques, dtype=object))


class Factorizations(dict):
    """Columns' factorizations (``factorize``) by name, shared by the steps that read them;
    a column whose parsed cells are known (``ParsedSheet.cells``) is factorized from them on
    first use (``refactorize``). A missing name is a KeyError: the reader factorizes it."""

    def __init__(self, cells: dict[str, tuple[np.ndarray, list[object]]] | None = None):
        super().__init__()
        self._cells = cells or {}

    def __missing__(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in self._cells:
            raise KeyError(name)
        self[name] = found = refactorize(*self._cells[name])
        return found

    def of(self, name: str, column: np.ndarray | pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """The column's factorization: known, or made from ``column`` and kept."""
        try:
            return self[name]
        except KeyError:
            self[name] = found = factorize(missing_as_none(column))
            return found


def _with_none(uniques: np.ndarray) -> np.ndarray:
    """The distinct values and None last, where code -1 finds it."""
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = uniques
    return table


def distinct_rows(*columns: np.ndarray) -> tuple[list[tuple], np.ndarray]:
    """The distinct combinations of parsed columns (object arrays of one kind each: dates,
    codes, numbers, None) and each row's combination."""
    return combine(*(factorize(column) for column in columns))


def per_row(rule: Callable[..., object], *columns: np.ndarray, dtype: type | str = object) -> np.ndarray:
    """``rule(*values)`` for each row, computed once per distinct combination of values."""
    combos, codes = distinct_rows(*(missing_as_none(c) for c in columns))
    return Distinct([], codes).broadcast([rule(*combo) for combo in combos], dtype)


def frame(data: dict[str, np.ndarray], index: pd.Index | None = None) -> pd.DataFrame:
    """Columns as one frame, each keeping its dtype: an object column stays object (pandas
    would infer text from it), and nothing is copied or aligned."""
    index = pd.RangeIndex(len(next(iter(data.values())))) if index is None and data else index
    series = {name: pd.Series(v, index=index, dtype=v.dtype, copy=False) for name, v in data.items()}
    return pd.DataFrame(series, index=index, copy=False)
