"""The used range's corner found in an .xlsx's XML is calamine's, which reads the whole sheet."""

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from inclusion_data.intake import corner
from inclusion_data.intake.reading import read_file


def _book(path, fill):
    book = openpyxl.Workbook()
    fill(book.active)
    book.save(path)
    return path


LAYOUTS = {
    "at A1": lambda s: s.append(["CNP", "Sex", "Etnie"]),
    "at C4 after styled empty cells": lambda s: (
        setattr(s["A1"], "style", "Good"),
        setattr(s["B2"], "style", "Bad"),
        s.cell(4, 3, "CNP"),
        s.cell(4, 4, "Sex"),
        s.cell(6, 2, "later, further left"),
    ),
    "a number first": lambda s: (s.cell(3, 2, 42), s.cell(5, 1, "x")),
    "a formula first": lambda s: (s.cell(2, 2, "=1+1"), s.cell(3, 2, "x")),
}


def _seen(sheet):
    return (sheet.headers, sheet.rows, sheet.row_numbers, sheet.first_column, sheet.header_row)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_corner_is_calamines(layout, tmp_path, monkeypatch):
    path = _book(tmp_path / "b.xlsx", LAYOUTS[layout])
    top, _ = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).start
    first = corner.first_cell(path, "Sheet")
    assert first is None or first[0] == top  # when the XML answers, it is calamine's first row
    fast = read_file(path)
    monkeypatch.setattr(corner, "first_cell", lambda *_: None)  # calamine's corner
    assert [_seen(s) for s in fast] == [_seen(s) for s in read_file(path)]


def test_an_unsure_answer_is_none(tmp_path):
    assert corner.first_cell(tmp_path / "x.ods", "Sheet") is None
    empty = _book(tmp_path / "e.xlsx", lambda s: setattr(s["A1"], "style", "Good"))
    assert corner.first_cell(empty, "Sheet") is None
    assert corner.first_cell(empty, "no such sheet") is None


def test_a_plain_sheet_is_answered_from_its_xml(tmp_path):
    path = _book(tmp_path / "b.xlsx", LAYOUTS["at C4 after styled empty cells"])
    assert corner.first_cell(path, "Sheet") == (3, 2)  # C4, 0-based
