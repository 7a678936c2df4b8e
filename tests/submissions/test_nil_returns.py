"""Nil returns as the evaluation sees them, on real files written and read back: the template's
Info field, an empty sheet with headers, and what stays as before (a sheet without headers,
rows sent with a declaration, an answer that is neither Da nor Nu)."""

import openpyxl

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.contracts.network import load_network
from inclusion_data.submissions import precheck
from inclusion_data.submissions.evaluation import evaluate_file
from inclusion_data.submissions.template_workbook import write_template
from workbooks import beneficiary, write_xlsx


def _evaluate(path):
    return evaluate_file(path, "TWAM", "asoc-cluj", load_network(), b"k").outcome


def _statuses(outcome):
    return sorted((s.dataset, s.sheet, s.status, s.rows) for s in outcome.submissions)


def _info_answers(path, answers):
    workbook = openpyxl.load_workbook(path)
    for row in workbook["Info"].iter_rows():
        for name, answer in answers.items():
            if row[0].value == DATASETS[name].no_activity[0]:
                row[1].value = answer
    workbook.save(path)


def test_the_template_asks_per_dataset_with_a_drop_down_and_an_unlocked_answer(tmp_path):
    path = write_template("TWAM", "asoc-cluj", "2016-03", tmp_path, no_activity=["trainings"])
    info = openpyxl.load_workbook(path)["Info"]
    rows = {r[0].value: r for r in info.iter_rows()}
    for name in ("beneficiaries", "trainings", "volunteers"):
        ro, _ = DATASETS[name].no_activity
        cells = rows[ro]
        assert cells[1].value == ("Da" if name == "trainings" else "Nu")
        assert not cells[1].protection.locked and info.protection.sheet
        [validation] = [v for v in info.data_validations.dataValidation if cells[1].coordinate in v.sqref]
        assert validation.type == "list" and validation.formula1.startswith("'Liste'!")
    english = openpyxl.load_workbook(
        write_template("TWAM", "asoc-cluj", "2016-03", tmp_path / "en.xlsx", language="en")
    )
    answers = {r[0].value: r[1].value for r in english["Info"].iter_rows()}
    assert answers["No activity: Trainings"] == "No"  # the English template asks in English


def test_the_info_declaration_and_an_empty_sheet_with_headers_are_nil_returns(tmp_path):
    path = write_template("TWAM", "asoc-cluj", "2016-03", tmp_path / "t.xlsx", no_activity=["volunteers"])
    workbook = openpyxl.load_workbook(path)
    del workbook["Voluntari"], workbook["Instruiri"]  # only the Info sheet speaks of volunteers
    workbook.save(path)
    outcome = _evaluate(path)
    assert outcome.status == "accepted" and outcome.findings == []
    assert _statuses(outcome) == [
        ("beneficiaries", "Beneficiari", "nil", 0),
        ("volunteers", "Info", "nil", 0),
    ]

    csv = tmp_path / "TWAM" / "asoc-cluj" / "instruiri_2016-03.csv"
    csv.parent.mkdir(parents=True)
    headers = ";".join(f.ro for f in DATASETS["trainings"].fields)
    # Windows-1250 has only the cedilla ş ţ, which is what such files contain
    csv.write_bytes((headers.translate(str.maketrans("șț", "şţ")) + "\r\n").encode("cp1250"))
    assert _statuses(_evaluate(csv)) == [("trainings", "#1", "nil", 0)]


def test_a_sheet_without_headers_or_with_rows_stays_as_before(tmp_path):
    path = tmp_path / "martie_2016-03.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Instruiri"  # no headers, no rows
    workbook.create_sheet("Beneficiari").append(["CNP", "Sex", "Etnie"])  # required columns missing
    workbook.save(path)
    outcome = _evaluate(path)
    assert [f.rule for f in outcome.findings] == ["empty_sheet", "empty_sheet", "no_dataset"]
    assert outcome.submissions == [] and outcome.status == "rejected"

    write_xlsx(path, {"Beneficiari": [beneficiary()]}, info_month="2016-03")
    assert _statuses(_evaluate(path)) == [("beneficiaries", "Beneficiari", "accepted", 1)]


def test_rows_with_a_declaration_or_an_unclear_answer_are_rejected_with_the_reason(tmp_path):
    path = write_template("TWAM", "asoc-cluj", "2016-03", tmp_path / "t.xlsx", no_activity=["beneficiaries"])
    workbook = openpyxl.load_workbook(path)
    fields = [f.name for f in DATASETS["beneficiaries"].fields]
    workbook["Beneficiari"].append([beneficiary().get(name) for name in fields])
    del workbook["Instruiri"], workbook["Voluntari"]
    workbook.save(path)
    _info_answers(path, {"volunteers": "poate"})
    outcome = _evaluate(path)
    assert outcome.status == "rejected"
    assert _statuses(outcome) == [
        ("beneficiaries", "Beneficiari", "rejected", 1),
        ("volunteers", "Info", "rejected", 0),
    ]
    rules = {(f.sheet, f.rule) for fs in outcome.sheet_findings.values() for f in fs}
    assert rules == {("Beneficiari", "no_activity_with_rows"), ("Info", "no_activity_answer")}
    [with_rows] = outcome.sheet_findings["Beneficiari"]
    assert "Fără activitate: Beneficiari" in with_rows.message_ro and "2016-03" in with_rows.message_en


def test_the_precheck_names_a_nil_return(tmp_path, capsys):
    path = write_xlsx(tmp_path / "TWAM" / "asoc-cluj" / "voluntari_2016-03.xlsx", {"Voluntari": []})
    assert precheck.main([str(path), "--lang", "en", "--feedback", str(tmp_path / "f.xlsx")]) == 0
    assert "Sheet Voluntari (Volunteers): no activity declared, 0 rows" in capsys.readouterr().out
    assert precheck.main([str(path), "--feedback", str(tmp_path / "f.xlsx")]) == 0  # Romanian
    assert "Foaia Voluntari (Voluntari): fără activitate (declarat), 0 rânduri" in capsys.readouterr().out


def test_the_empty_sheets_of_a_template_filled_in_part_declare_nothing(tmp_path):
    """A partner who fills only Beneficiari leaves the other sheets with their headers: that is
    no word of "no activity" (it would supersede a trainings file sent separately); the Info
    sheet's answer is, and the warning says where to give it."""
    path = write_xlsx(
        tmp_path / "martie_2016-03.xlsx",
        {"Beneficiari": [beneficiary()], "Instruiri": [], "Voluntari": []},
        info_month="2016-03",
    )
    outcome = _evaluate(path)
    assert _statuses(outcome) == [("beneficiaries", "Beneficiari", "accepted", 1)]
    empty = [f for f in outcome.findings if f.rule == "empty_sheet"]
    assert sorted(f.sheet for f in empty) == ["Instruiri", "Voluntari"]
    assert all("Info" in f.message_en and "Da" in f.message_ro for f in empty)

    workbook = openpyxl.load_workbook(path)
    workbook["Info"].append([DATASETS["trainings"].no_activity[0], "Da"])
    workbook.save(path)
    outcome = _evaluate(path)
    assert _statuses(outcome) == [
        ("beneficiaries", "Beneficiari", "accepted", 1),
        ("trainings", "Info", "nil", 0),
    ]
    assert [f.sheet for f in outcome.findings if f.rule == "empty_sheet"] == ["Voluntari"]
