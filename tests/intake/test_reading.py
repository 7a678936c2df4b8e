"""Reading real files of every accepted format back, with the row numbers Excel shows."""

import datetime as dt

import openpyxl
import pandas as pd
import pytest
import xlwt

from inclusion_data.intake.reading import UnreadableFile, read_file

HEADERS = ["Nume și prenume", "Data", "Ore"]


def test_xlsx_keeps_excel_row_and_column_positions(tmp_path):
    path = tmp_path / "f.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Voluntari"
    sheet["B2"] = "Raport lunar voluntari"  # a title above the header row
    for column, header in zip("BCD", HEADERS, strict=True):
        sheet[f"{column}4"] = header
    sheet["B5"], sheet["C5"], sheet["D5"] = "Ana", dt.date(2016, 3, 1), 2.5
    sheet["B7"], sheet["C7"], sheet["D7"] = "Ion", "02.03.2016", "3,5"  # row 6 left blank
    book.save(path)
    [raw] = read_file(path)
    assert raw.headers == HEADERS and raw.first_column == 1
    assert raw.row_numbers == [5, 7]
    assert raw.rows[0][1].startswith("2016-03-01") and raw.rows[1][2] == "3,5"


def test_ods(tmp_path):
    path = tmp_path / "f.ods"
    frame = pd.DataFrame([["Ana", "01.03.2016", 2.5]], columns=HEADERS)
    with pd.ExcelWriter(path, engine="odf") as writer:
        frame.to_excel(writer, sheet_name="Volunteers", index=False)
    [raw] = read_file(path)
    assert raw.name == "Volunteers" and raw.headers == HEADERS
    assert raw.rows == [["Ana", "01.03.2016", "2.5"]] and raw.row_numbers == [2]


def test_xls(tmp_path):
    path = tmp_path / "f.xls"
    book = xlwt.Workbook()
    sheet = book.add_sheet("Voluntari")
    for column, header in enumerate(HEADERS):
        sheet.write(0, column, header)
    sheet.write(1, 0, "Ana")
    sheet.write(1, 1, dt.datetime(2016, 3, 1), xlwt.easyxf(num_format_str="DD.MM.YYYY"))
    sheet.write(1, 2, 2.5)
    book.save(str(path))
    [raw] = read_file(path)
    assert raw.headers == HEADERS and raw.row_numbers == [2]
    assert raw.rows[0][0] == "Ana" and raw.rows[0][1].startswith("2016-03-01")


@pytest.mark.parametrize("encoding, separator", [("cp1250", ";"), ("utf-8-sig", ","), ("utf-8", ";")])
def test_csv_encodings_and_separators(tmp_path, encoding, separator):
    text = (
        f'Nume şi prenume{separator}Data{separator}Ore\nŞtefan Ţugui{separator}01.03.2016{separator}"2,5"\n'
    )
    path = tmp_path / "voluntari_2016-03.csv"
    path.write_bytes(text.encode(encoding))
    [raw] = read_file(path)
    assert raw.headers == ["Nume şi prenume", "Data", "Ore"]
    assert raw.rows == [["Ştefan Ţugui", "01.03.2016", "2,5"]] and raw.row_numbers == [2]


def test_an_unreadable_file_says_what_to_send(tmp_path):
    path = tmp_path / "raport.xlsx"
    path.write_bytes(b"not a spreadsheet")
    with pytest.raises(UnreadableFile, match="not a spreadsheet") as refused:
        read_file(path)
    assert refused.value.rule == "not_a_spreadsheet"
    other = tmp_path / "raport.pdf"
    other.write_bytes(b"%PDF")
    with pytest.raises(UnreadableFile, match=".xlsx, .xls, .ods or .csv") as refused:
        read_file(other)
    assert refused.value.rule == "unsupported_type"
