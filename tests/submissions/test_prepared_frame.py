"""The frame a sheet is validated and loaded as: its columns of values are Categoricals made
from the codes parsing found (nothing hashes a big sheet's rows again), holding the same
Python values the parsing gave, and each row's person key is its pseudonym."""

import datetime as dt

import pandas as pd

from inclusion_data.contracts.datasets import BENEFICIARIES
from inclusion_data.intake import pseudonym
from inclusion_data.intake.localities import localities
from inclusion_data.intake.parsing import RawSheet, parse_sheet
from inclusion_data.quality.checks import Context
from inclusion_data.submissions import evaluation
from inclusion_data.submissions.evaluation import prepare_sheet
from workbooks import CNP_F_2008, CNP_M_1985, beneficiary

CONTEXT = Context("Cluj", "2016-03", localities())
KEY, PARTNER = b"k" * 32, "asoc-cluj"


def _sheet(rows: list[dict]) -> RawSheet:
    fields = BENEFICIARIES.fields
    return RawSheet(
        "Beneficiari",
        [f.ro for f in fields],
        [[r.get(f.name) for f in fields] for r in rows],
        list(range(2, 2 + len(rows))),
    )


def _none(value):
    return None if pd.isna(value) else value


ROWS = [
    beneficiary(),
    beneficiary(sex="m", service_date="10.03.2016", ethnicity=" romă "),  # cells that parse alike
    beneficiary(cnp=CNP_F_2008, sex="F", birth_date=dt.date(2008, 6, 2), service_date="2016-03-11"),
    beneficiary(cnp=CNP_M_1985[:-1] + "0", person_code="B-7", ethnicity=None, service_date=None),  # not valid
    beneficiary(cnp=None, person_code="b-7", locality="Atlantida"),  # the same person as the row above
    beneficiary(cnp=None, name="Ana Pop", birth_date="1990"),
    beneficiary(cnp=None, name=None, person_code=None),  # identifies nobody
]


def test_the_value_columns_are_categoricals_of_what_parsing_gave(monkeypatch):
    monkeypatch.setattr(evaluation, "CATEGORICAL_ROWS", len(ROWS))  # a big sheet's way
    parsed = parse_sheet(BENEFICIARIES, _sheet(ROWS))
    _, frame = prepare_sheet(BENEFICIARIES, _sheet(ROWS), CONTEXT, KEY, PARTNER)
    for name in ("sex", "ethnicity", "locality", "vulnerable_group", "service", "service_date", "birth_year"):
        assert isinstance(frame[name].dtype, pd.CategoricalDtype), name
        assert frame[name].cat.categories.is_unique
        assert [_none(v) for v in frame[name]] == [_none(v) for v in parsed.frame[name]], name
    assert list(frame["sex"]) == ["M", "M", "F", "M", "M", "M", "M"]
    assert [_none(v) for v in frame["ethnicity"]][:4] == ["roma", "roma", "roma", None]
    assert {type(v) for v in frame["service_date"].cat.categories} == {dt.date}  # not Timestamps
    assert {type(v) for v in frame["birth_year"].cat.categories} == {int}
    assert _none(frame["locality_siruta"].iloc[4]) is None and frame["locality_siruta"].iloc[0] > 0
    assert frame["sessions"].dtype.kind in "iuf"  # numbers stay numbers


def test_a_small_sheet_keeps_object_columns_of_the_same_values(monkeypatch):
    monkeypatch.setattr(evaluation, "CATEGORICAL_ROWS", len(ROWS))
    _, big = prepare_sheet(BENEFICIARIES, _sheet(ROWS), CONTEXT, KEY, PARTNER)
    monkeypatch.setattr(evaluation, "CATEGORICAL_ROWS", len(ROWS) + 1)
    _, small = prepare_sheet(BENEFICIARIES, _sheet(ROWS), CONTEXT, KEY, PARTNER)
    assert small["service"].dtype == object and small["person_key"].dtype == object
    assert list(small.columns) == list(big.columns)
    for name in small.columns:
        assert [_none(v) for v in small[name]] == [_none(v) for v in big[name]], name


def test_each_row_is_keyed_by_its_valid_cnp_else_its_code_or_name(monkeypatch):
    monkeypatch.setattr(evaluation, "CATEGORICAL_ROWS", len(ROWS))
    _, frame = prepare_sheet(BENEFICIARIES, _sheet(ROWS), CONTEXT, KEY, PARTNER)

    def key(cnp=None, code=None, name=None, birth=None):
        return pseudonym.person_key(KEY, PARTNER, cnp, code, name, birth)

    assert [_none(k) for k in frame["person_key"]] == [
        key(CNP_M_1985),
        key(CNP_M_1985),
        key(CNP_F_2008),
        key(code="B-7"),  # its CNP is not valid
        key(code="b-7"),
        key(name="Ana Pop", birth=None),
        None,
    ]
    assert frame["person_key"].iloc[3] == frame["person_key"].iloc[4]  # codes are folded
    assert frame["person_key"].cat.categories.is_unique
