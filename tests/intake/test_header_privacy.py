"""A header row must be one: a data row is never taken for it, and a header or sheet name is
repeated in findings only when it cannot be a person's CNP, name, date, e-mail or phone."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from inclusion_data.contracts.datasets import BENEFICIARIES
from inclusion_data.contracts.network import load_network
from inclusion_data.intake.parsing import looks_like_header, sheet_label
from inclusion_data.intake.reading import read_file, sheet_from_rows
from inclusion_data.submissions.evaluation import evaluate_file
from workbooks import CNP_F_2008, CNP_M_1985, beneficiary

TRAPS = [
    CNP_M_1985,
    CNP_F_2008,
    f"CNP {CNP_M_1985}",
    "Popescu Ion",
    "Ion Popescu",
    "POPESCU ION",
    "Maria-Ioana Vasilescu",
    "Vasilescu",
    "Ana",
    "14.03.1985",
    "1985-03-14",
    "14/03/1985",
    "2016-03-10 00:00:00",
    "ion.popescu@example.ro",
    "0745 123 456",
    "+40745123456",
    "42",
    "3.5",
    "Str. Florilor nr. 3",
    "Cojocna",  # a locality: a beneficiary's value, not a header
    "Masculin",
    "",
    "x" * 70,
]

HEADERS = [
    "Observații",
    "Nr. crt.",
    "Data nașterii",
    "Telefon",
    "E-mail",
    "Localitate",
    "Vârstă (ani)",
    "Nume și prenume",
    "Beneficiari",
    "Info",
    "Instrucțiuni - Instructions",
]


@pytest.mark.parametrize("value", TRAPS)
def test_a_cnp_a_name_a_date_an_email_or_a_phone_does_not_look_like_a_header(value):
    assert not looks_like_header(value)
    assert sheet_label(value, 3) == "#3"


@pytest.mark.parametrize("value", HEADERS)
def test_real_headers_and_sheet_names_do(value):
    assert looks_like_header(value)
    assert sheet_label(value, 2) == value


@pytest.mark.parametrize("value", ["Sheet1", "Foaie1", "Sheet 2", "Table 3"])
def test_default_sheet_names_are_kept(value):
    assert sheet_label(value, 1) == value


def _person(cnp=CNP_M_1985, name="Popescu Ion"):
    row = beneficiary(cnp=cnp, name=name, service_date=dt.date(2016, 3, 10))
    return [row.get(f.name) for f in BENEFICIARIES.fields]


def test_a_sheet_without_a_header_row_takes_no_row_for_it():
    rows = [_person(), _person(CNP_F_2008, "Vasilescu Ana")]
    sheet = sheet_from_rows("Beneficiari", rows, first_row=1, first_column=0)
    assert not sheet.header_found and sheet.headers == [] and sheet.row_numbers == [1, 2]


def test_a_header_row_needs_three_template_columns():
    assert sheet_from_rows("x", [["CNP", "Sex", "Oarecare"], _person()], 1, 0).header_found is False
    found = sheet_from_rows("x", [["CNP", "Sex", "Vârstă"], _person()], 1, 0)
    assert found.header_found and found.header_row == 1 and found.row_numbers == [2]


def _workbook(path, sheets: dict[str, list[list]]):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _all_text(evaluation) -> str:
    outcome = evaluation.outcome
    findings = [*outcome.findings, *(f for fs in outcome.sheet_findings.values() for f in fs)]
    return repr([f.to_dict() for f in findings]) + repr([s.sheet for s in outcome.submissions])


def test_a_sheet_without_a_header_row_is_rejected_saying_what_was_expected(tmp_path):
    path = _workbook(tmp_path / "TWAM/asoc-cluj/b_2016-03.xlsx", {"Beneficiari": [_person(), _person()]})
    evaluation = evaluate_file(path, "TWAM", "asoc-cluj", load_network(), b"k" * 32)
    [finding] = evaluation.outcome.findings
    assert evaluation.outcome.status == "rejected" and finding.rule == "no_header_row"
    assert finding.sheet == "Beneficiari" and "Data nașterii" in finding.message_ro
    assert "Birth date" in finding.message_en and not evaluation.outcome.submissions
    assert CNP_M_1985 not in _all_text(evaluation) and "Popescu" not in _all_text(evaluation)


def test_unknown_headers_are_reported_by_column_letter_and_only_real_headers_by_text(tmp_path):
    headers = [f.ro for f in BENEFICIARIES.fields]
    path = _workbook(
        tmp_path / "TWAM/asoc-cluj/b_2016-03.xlsx",
        {"Beneficiari": [[*headers, CNP_F_2008, "Vasilescu Ana", "Observații"], [*_person(), "", "", ""]]},
    )
    evaluation = evaluate_file(path, "TWAM", "asoc-cluj", load_network(), b"k" * 32)
    unknown = [f for f in evaluation.outcome.sheet_findings["Beneficiari"] if f.rule == "unknown_column"]
    n = len(headers)
    letters = [openpyxl.utils.get_column_letter(n + i) for i in (1, 2, 3)]
    assert [(f.column, f.header) for f in unknown] == [
        (letters[0], None),
        (letters[1], None),
        (letters[2], "Observații"),
    ]
    assert f"Column {letters[0]} is not part" in unknown[0].message_en
    text = _all_text(evaluation)
    assert CNP_F_2008 not in text and "Vasilescu" not in text


def test_sheets_and_csv_files_named_after_people_are_known_by_position(tmp_path):
    headers = [f.ro for f in BENEFICIARIES.fields]
    path = _workbook(
        tmp_path / "x.xlsx", {"Info": [["Luna", "2016-03"]], "Popescu Ion": [headers, _person()]}
    )
    assert [s.name for s in read_file(path)] == ["Info", "#2"]
    csv = tmp_path / f"Popescu Ion {CNP_M_1985}.csv"
    csv.write_text(";".join(headers) + "\n" + ";".join(str(v or "") for v in _person()) + "\n")
    [sheet] = read_file(csv)
    assert sheet.name == "#1" and sheet.header_found
