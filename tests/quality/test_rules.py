"""Each validation rule fails on a row crafted to break it, and only there."""

import datetime as dt

import pytest

from inclusion_data.contracts.datasets import BENEFICIARIES, TRAININGS, VOLUNTEERS
from inclusion_data.intake.localities import localities
from inclusion_data.intake.parsing import RawSheet
from inclusion_data.quality.checks import Context
from inclusion_data.submissions.evaluation import evaluate_sheet
from workbooks import CNP_F_2008, CNP_M_1985, beneficiary

CONTEXT = Context("Cluj", "2016-03", localities())
KEY = b"k"


def _sheet(dataset, rows: list[dict], drop: tuple[str, ...] = ()) -> RawSheet:
    fields = [f for f in dataset.fields if f.name not in drop]
    return RawSheet(
        dataset.sheet_names[0],
        [f.ro for f in fields],
        [[row.get(f.name) for f in fields] for row in rows],
        list(range(2, 2 + len(rows))),
    )


def _findings(dataset, rows, drop=()):
    _, findings = evaluate_sheet(dataset, _sheet(dataset, rows, drop), CONTEXT, KEY, "asoc-cluj")
    return findings


def test_a_clean_row_has_no_findings():
    assert _findings(BENEFICIARIES, [beneficiary()]) == []


@pytest.mark.parametrize(
    "rule, severity, field, overrides",
    [
        ("required_value", "error", "sex", {"sex": None}),
        ("format", "error", "service_date", {"service_date": "31.02.2016"}),
        ("format", "error", "sessions", {"sessions": "două"}),
        ("format", "error", "birth_date", {"birth_date": "ieri"}),
        ("allowed_value", "error", "service", {"service": "Dans popular"}),
        ("allowed_value", "error", "ethnicity", {"ethnicity": "marțian"}),
        ("range", "error", "sessions", {"sessions": 40}),
        ("unusual_value", "warning", "sessions", {"sessions": 25}),
        ("identifier_present", "error", "person_code", {"cnp": None, "person_code": None}),
        ("cnp_valid", "error", "cnp", {"cnp": CNP_M_1985[:-1] + str((int(CNP_M_1985[-1]) + 1) % 10)}),
        ("cnp_valid", "error", "cnp", {"cnp": "12345"}),
        ("cnp_matches_sex", "error", "sex", {"sex": "F"}),
        ("cnp_matches_birth", "error", "birth_date", {"birth_date": "15.03.1985"}),
        ("cnp_matches_birth", "error", "birth_date", {"birth_date": 1986}),
        ("locality_in_county", "error", "locality", {"locality": "Oradea"}),  # in Bihor, not Cluj
        ("locality_in_county", "error", "locality", {"locality": "Atlantida"}),
        ("child_is_minor", "warning", "birth_date", {"vulnerable_group": "Copil în situație de risc"}),
        ("service_date_in_reporting_month", "error", "service_date", {"service_date": dt.date(2016, 4, 1)}),
        # born after the reporting month, or more than 110 years before it (no CNP to compare)
        (
            "birth_date_plausible",
            "error",
            "birth_date",
            {"cnp": None, "person_code": "P", "birth_date": 2017},
        ),
        (
            "birth_date_plausible",
            "error",
            "birth_date",
            {"cnp": None, "person_code": "P", "birth_date": "02.04.2016"},
        ),
        (
            "birth_date_plausible",
            "error",
            "birth_date",
            {"cnp": None, "person_code": "P", "birth_date": "28.02.1906"},
        ),
    ],
)
def test_each_beneficiary_rule_fails_on_its_row(rule, severity, field, overrides):
    findings = _findings(
        BENEFICIARIES,
        [
            beneficiary(),
            beneficiary(**overrides, service="Logopedie")
            if "service" not in overrides
            else beneficiary(**overrides),
        ],
    )
    assert [(f.rule, f.severity, f.field, f.rows) for f in findings] == [(rule, severity, field, [3])]
    [finding] = findings
    position = [f.name for f in BENEFICIARIES.fields].index(field)
    assert finding.column == "ABCDEFGHIJK"[position] and finding.header == BENEFICIARIES.field(field).ro
    assert finding.sheet == "Beneficiari" and finding.message_en and finding.message_ro


def test_a_missing_required_column_is_reported_once():
    findings = _findings(BENEFICIARIES, [beneficiary()], drop=("sex",))
    assert [(f.rule, f.field, f.header) for f in findings] == [("required_column", "sex", "Sex")]


def test_duplicate_rows():
    findings = _findings(
        BENEFICIARIES, [beneficiary(), beneficiary(name="Ion T."), beneficiary(service="Logopedie")]
    )
    assert [(f.rule, f.rows) for f in findings] == [("duplicate_row", [2, 3])]


def test_the_same_person_without_cnp_is_identified_by_the_partner_code():
    rows = [
        beneficiary(cnp=None, person_code="B-7", sex="F", birth_date=None),
        beneficiary(cnp=None, person_code="b-7", sex="F", birth_date=None),
    ]
    assert [(f.rule, f.rows) for f in _findings(BENEFICIARIES, rows)] == [("duplicate_row", [2, 3])]


def _training(**overrides):
    row = {
        "person_code": "S1",
        "name": "A B",
        "activity_type": "Seminar",
        "title": "Legislație",
        "start_date": "01.03.2016",
        "end_date": "02.03.2016",
        "hours": "8",
        "participant_category": "Specialist",
        "institution_type": "ONG",
        "completed": "Da",
        "certified": "Nu",
    }
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    "rule, field, overrides",
    [
        (None, None, {}),
        ("dates_in_order", "end_date", {"start_date": "05.03.2016"}),
        ("certified_completed", "certified", {"completed": "Nu", "certified": "Da"}),
        ("format", "completed", {"completed": "poate"}),
        ("end_date_in_reporting_month", "end_date", {"end_date": "01.04.2016"}),
        ("range", "hours", {"hours": "0"}),
        ("cnp_matches_sex", "sex", {"cnp": CNP_F_2008, "sex": "M"}),
        # started more than three years before the reporting month: a typo, not a course
        ("start_date_plausible", "start_date", {"start_date": "28.02.2013"}),
        ("start_date_plausible", "start_date", {"start_date": 41333}),  # 2013-02-28 as Excel keeps it
        (None, None, {"start_date": "01.03.2013"}),
    ],
)
def test_training_rules(rule, field, overrides):
    findings = _findings(TRAININGS, [_training(**overrides)])
    assert [(f.rule, f.field, f.rows) for f in findings] == ([(rule, field, [2])] if rule else [])


@pytest.mark.parametrize(
    "rule, severity, overrides",
    [
        (None, None, {}),
        ("range", "error", {"age": 12}),
        ("unusual_value", "warning", {"hours": "170"}),
        ("allowed_value", "error", {"role": "Bucătar"}),
    ],
)
def test_volunteer_rules(rule, severity, overrides):
    row = {
        "person_code": "V1",
        "sex": "F",
        "age": 30,
        "locality": "Huedin",
        "role": "Organizare evenimente",
        "hours": "12,5",
        **overrides,
    }
    findings = _findings(VOLUNTEERS, [row])
    assert [(f.rule, f.severity, f.rows) for f in findings] == ([(rule, severity, [2])] if rule else [])


@pytest.mark.parametrize("born", [1906, "01.03.1906", "31.03.2016", 2016])
def test_birth_dates_at_the_edges_of_the_window_are_plausible(born):
    row = beneficiary(cnp=None, person_code="P", birth_date=born, vulnerable_group="Părinte")
    assert _findings(BENEFICIARIES, [row]) == []


def test_validation_results_carry_no_cell_values():
    secret_name, secret_cnp = "Zamfira Secretescu", CNP_M_1985[:-1] + "0"
    frame, findings = evaluate_sheet(
        BENEFICIARIES,
        _sheet(BENEFICIARIES, [beneficiary(name=secret_name, cnp=secret_cnp, locality="Atlantida")]),
        CONTEXT,
        KEY,
        "x",
    )
    dumped = repr([f.to_dict() for f in findings])
    assert findings and secret_name not in dumped and secret_cnp not in dumped and "Atlantida" not in dumped
    assert not {"name", "cnp", "person_code", "birth_date"} & set(frame.columns)
