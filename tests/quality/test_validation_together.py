"""A batch's sheets validated in one Great Expectations call give each sheet the findings it
gets alone: rows told apart, a row repeated in two files is no duplicate, and a column one
sheet lacks fails that sheet only."""

from dataclasses import asdict

from inclusion_data.contracts.datasets import BENEFICIARIES, VOLUNTEERS
from inclusion_data.intake.localities import localities
from inclusion_data.intake.parsing import RawSheet
from inclusion_data.quality.checks import Context
from inclusion_data.quality.validation import validate_frame, validate_frames
from inclusion_data.submissions.evaluation import prepare_sheet
from workbooks import CNP_F_2008, beneficiary

CONTEXT = Context("Cluj", "2016-03", localities())


def _frame(rows: list[dict], drop: tuple[str, ...] = (), first_row: int = 2):
    fields = [f for f in BENEFICIARIES.fields if f.name not in drop]
    sheet = RawSheet(
        "Beneficiari",
        [f.ro for f in fields],
        [[row.get(f.name) for f in fields] for row in rows],
        list(range(first_row, first_row + len(rows))),
    )
    return prepare_sheet(BENEFICIARIES, sheet, CONTEXT, b"k", "asoc-cluj")[1]


def _plain(findings):
    return sorted((f["rule"], f["field"], tuple(f["rows"])) for f in map(asdict, findings))


def test_sheets_validated_together_get_what_each_gets_alone():
    same_person = beneficiary()
    frames = [
        _frame([same_person, beneficiary(sex=None), beneficiary(locality="Atlantida")]),
        _frame([same_person, same_person]),  # a duplicate within this sheet only
        _frame([beneficiary(service="Zbor"), beneficiary(cnp=CNP_F_2008)], first_row=7),
        _frame([beneficiary()], drop=("sessions",)),  # another set of columns
        _frame([beneficiary(), beneficiary(service_date="01.01.2015")], drop=("sessions",)),
        _frame([beneficiary()] * 3),
        _frame([same_person]),  # the same row in two sheets: no duplicate in either
        _frame([same_person]),
    ]
    alone = [_plain(validate_frame(BENEFICIARIES, f)) for f in frames]
    together = [_plain(found) for found in validate_frames(BENEFICIARIES, frames)]
    assert together == alone
    assert alone[0] and alone[1] and alone[2] and alone[4]  # the sheets do have findings
    assert ("duplicate_row", (2, 3)) in [(rule, rows) for rule, _, rows in alone[1]]
    assert together[6] == together[7] == []


def test_a_lone_frame_or_another_dataset_is_validated_as_before():
    frame = _frame([beneficiary(sex=None)])
    assert _plain(validate_frames(BENEFICIARIES, [frame])[0]) == _plain(validate_frame(BENEFICIARIES, frame))
    assert validate_frames(VOLUNTEERS, []) == []


def test_gx_is_not_asked_to_fingerprint_the_sheets():
    """GX hashes every cell of a batch for a marker nothing reads (half of a 1M-row sheet's
    validation); ``validation`` turns that off. Fails if a GX upgrade brings it back."""
    from inclusion_data.quality import validation

    frame = _frame([beneficiary(), beneficiary(sex=None)])
    batch = validation._batch_definition().get_batch(batch_parameters={"dataframe": frame.set_index("_row")})
    assert "pandas_data_fingerprint" not in batch.batch_markers
    assert ("required_value", "sex", (3,)) in _plain(validate_frame(BENEFICIARIES, frame))  # still validates
