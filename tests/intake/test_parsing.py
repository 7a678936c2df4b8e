"""Contract parsing: header variants (language, case, spacing, diacritics) and value formats."""

import datetime as dt

import pytest

from inclusion_data.contracts.datasets import BENEFICIARIES, TRAININGS, VOLUNTEERS
from inclusion_data.intake.parsing import FORMAT_FLAG, RawSheet, match_headers, parse_sheet
from inclusion_data.intake.values import parse_date, parse_decimal


@pytest.mark.parametrize(
    "header, field",
    [
        ("Data nașterii", "birth_date"),  # comma-below ș
        ("Data naşterii", "birth_date"),  # cedilla ş
        ("data nasterii", "birth_date"),  # no diacritics, lower case
        ("  DATA   NAȘTERII ", "birth_date"),  # spacing and case
        ("Birth date", "birth_date"),  # English
        ("Nume și prenume", "name"),
        ("Full name", "name"),
        ("Număr ședințe", "sessions"),
        ("Numar sedinte", "sessions"),
        ("Număr şedinţe", "sessions"),
        ("Categorie grup vulnerabil", "vulnerable_group"),
        ("VULNERABLE GROUP", "vulnerable_group"),
        ("cnp", "cnp"),
    ],
)
def test_beneficiary_headers_match_whatever_the_spelling(header, field):
    positions, ignored = match_headers(BENEFICIARIES, [header])
    assert positions == {field: 0} and ignored == []


@pytest.mark.parametrize(
    "dataset, header, field",
    [
        (TRAININGS, "Tip instituție", "institution_type"),
        (TRAININGS, "Tip institutie", "institution_type"),
        (TRAININGS, "Data sfârșit", "end_date"),
        (TRAININGS, "Data sfarsit", "end_date"),
        (TRAININGS, "Data sfîrşit", None),  # pre-1993 î is not â in headers: not matched, reported
        (VOLUNTEERS, "Vârstă", "age"),
        (VOLUNTEERS, "Volunteer hours", "hours"),
    ],
)
def test_training_and_volunteer_headers(dataset, header, field):
    positions, ignored = match_headers(dataset, [header])
    assert positions == ({field: 0} if field else {})
    assert ignored == ([] if field else [0])


def _parse(dataset, header_values):
    headers = list(header_values)
    rows = [[header_values[h] for h in headers]]
    return parse_sheet(dataset, RawSheet("S", headers, rows, [7])).frame.iloc[0]


@pytest.mark.parametrize(
    "raw, expected",
    [
        (dt.datetime(2016, 3, 14), dt.date(2016, 3, 14)),  # Excel date cell (python-calamine)
        ("2016-03-14 00:00:00", dt.date(2016, 3, 14)),  # Excel date cell read as text
        ("2016-03-14T00:00:00", dt.date(2016, 3, 14)),  # ODS date read as text
        ("14.03.2016", dt.date(2016, 3, 14)),
        ("14/03/2016", dt.date(2016, 3, 14)),
        ("2016-03-14", dt.date(2016, 3, 14)),
        (42443, dt.date(2016, 3, 14)),  # Excel serial number
        ("31.02.2016", None),
        ("martie", None),
    ],
)
def test_dates(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("2,5", 2.5), ("2.5", 2.5), (" 1.234,5 ", 1234.5), ("1,234.5", 1234.5), (3, 3.0), ("trei", None)],
)
def test_decimals(raw, expected):
    assert parse_decimal(raw) == expected


def test_a_row_is_typed_and_keeps_its_spreadsheet_row():
    row = _parse(
        BENEFICIARIES,
        {
            "Sex": "Masculin",
            "Etnie": "rromă",
            "Serviciu": "Scoala parintilor",
            "Data": "14.03.2016",
            "Număr ședințe": "2,0",
            "Data nașterii": "1985",
            "Categorie grup vulnerabil": "Parinte",
        },
    )
    assert (row["sex"], row["ethnicity"], row["service"]) == ("M", "roma", "parents_school")
    assert row["service_date"] == dt.date(2016, 3, 14)
    assert row["sessions"] == 2 and row["birth_year"] == 1985 and row["birth_date"] is None
    assert row["_row"] == 7


@pytest.mark.parametrize(
    "typed, expected",
    [("M", "M"), ("F", "F"), ("Masculin", "M"), ("Feminin", "F"), ("feminin", "F"), ("Female", "F")],
)
def test_sex_values(typed, expected):
    assert _parse(VOLUNTEERS, {"Sex": typed})["sex"] == expected


@pytest.mark.parametrize(
    "typed, expected",
    [("Da", True), ("DA", True), ("Nu", False), ("Yes", True), ("no", False), ("poate", None)],
)
def test_yes_no_values(typed, expected):
    row = _parse(TRAININGS, {"Absolvit": typed})
    assert row["completed"] is expected
    assert bool(row[FORMAT_FLAG.format("completed")]) is (expected is not None)


def test_an_unknown_vocabulary_value_is_kept_for_the_allowed_values_rule():
    assert _parse(VOLUNTEERS, {"Rol": "Dans popular"})["role"] == "Dans popular"


def test_an_iso_date_reads_as_the_formats_in_turn_would():
    import datetime as dt

    from inclusion_data.intake import values

    def by_formats(text):
        for fmt in values._DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        return None

    texts = ["2016-03-14", "2016-02-29", "2015-02-29", "2016-13-01", "2016-00-10", "0000-01-01", "0001-01-01"]
    texts += ["9999-12-31", "1984-07-24", "2016-04-31", "1900-02-29", "2000-02-29"]
    for text in texts:
        assert values.parse_date(text) == by_formats(text), text
        assert values.parse_date(text + " 00:00:00") == by_formats(text), text
