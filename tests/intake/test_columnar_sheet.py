"""A workbook's sheet kept as Arrow columns is the sheet ``sheet_from_rows`` makes of the same
cells: same header row, same data rows and row numbers, blank rows dropped alike."""

import pyarrow as pa
import pytest

from inclusion_data.intake.columns import distinct
from inclusion_data.intake.reading import sheet_from_columns, sheet_from_rows

SHEETS = {
    "a title above the header, blank rows between": [
        ["Raport martie", None, None, None],
        [None, None, None, None],
        ["CNP", "Sex", "Etnie", "Localitate"],
        ["1850314123456", "M", "Romă", "Cojocna"],
        [None, "  ", None, None],
        ["2080101123451", "F", None, "Cara"],
    ],
    "no header row": [["1850314123456", "M", "x", "y"], [None, None, None, None], ["z", None, None, None]],
    "all blank": [[None, " ", None, None]],
    "header only": [["CNP", "Sex", "Etnie", "Nume"]],
}


def _seen(sheet):
    return (
        sheet.headers,
        sheet.rows,
        sheet.row_numbers,
        sheet.row_count,
        sheet.first_column,
        sheet.header_row,
        sheet.header_found,
    )


@pytest.mark.parametrize("layout", SHEETS)
def test_columns_and_rows_make_the_same_sheet(layout):
    rows = SHEETS[layout]
    columns = [pa.array([row[i] for row in rows], type=pa.string()) for i in range(len(rows[0]))]
    columnar = sheet_from_columns("Beneficiari", columns, first_row=3, first_column=1)
    assert _seen(columnar) == _seen(sheet_from_rows("Beneficiari", rows, first_row=3, first_column=1))
    for position in range(len(rows[0]) + 1):  # a column past the sheet's last is empty
        expected = [r[position] if position < len(r) else None for r in columnar.rows]
        cells = columnar.column(position)
        assert (cells.to_pylist() if isinstance(cells, pa.Array) else cells) == expected


def test_distinct_values_keep_types_apart():
    found = distinct([1, 1.0, True, "1", None, 1])
    assert found.values == [1, 1.0, True, "1", None] and found.codes.tolist() == [0, 1, 2, 3, 4, 0]
    text = distinct(pa.array(["a", None, "a", "b"]))
    assert [text.values[c] for c in text.codes] == ["a", None, "a", "b"]


def test_a_text_cell_is_blank_for_the_reader_exactly_when_it_is_for_the_parser():
    """The reader tells blank rows in one Arrow pass over each text column; a cell of only
    Python whitespace (each of its 29 characters, the Unicode ones included) is blank, a
    zero-width space or a letter among spaces is not."""
    import sys

    from inclusion_data.intake.reading import _filled
    from inclusion_data.intake.values import is_empty

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    cells = [None, "", *spaces, "".join(spaces), "\u200b", "\ufeff", " a ", "\u00a0x", "0", "Ș"]
    filled = _filled(pa.array(cells, type=pa.string()))
    assert filled.tolist() == [not is_empty(c) for c in cells]
    assert filled.sum() == 6 and len(spaces) == 29
    assert _filled(pa.array(cells, type=pa.large_string())).tolist() == filled.tolist()


def test_codes_into_values_that_repeat_or_are_missing_become_one_factorization():
    import datetime as dt

    import numpy as np

    from inclusion_data.intake.columns import categorical, refactorize

    day = dt.date(2016, 3, 14)
    codes, values = refactorize(np.array([0, 1, 2, 1, 3, -1]), [day, None, day, (1, 2)])
    assert codes.tolist() == [0, -1, 0, -1, 1, -1] and values.tolist() == [day, (1, 2)]
    column = categorical(np.array([0, 1, 2, -1]), ["M", "F", "M"])  # repeated: merged
    assert [None if v is np.nan else v for v in column] == ["M", "F", "M", None]
    assert list(column.categories) == ["M", "F"]
    assert [type(v) for v in categorical(np.array([0, 1]), [True, day])] == [bool, dt.date]
