"""The partner template: derived from the contracts, and accepted as it is once filled."""

import datetime as dt

import openpyxl
import pytest
from sqlalchemy import func, select

from inclusion_data.contracts.datasets import DATASETS, Kind
from inclusion_data.contracts.network import load_network
from inclusion_data.contracts.vocabularies import vocabulary
from inclusion_data.intake.periods import month_in_file_name
from inclusion_data.intake.reading import read_file
from inclusion_data.orchestration.ingest import discover, process_file
from inclusion_data.quality.findings import ERROR, WARNING
from inclusion_data.submissions import template_workbook
from inclusion_data.submissions.evaluation import _dataset_sheets
from inclusion_data.submissions.outcome import FileOutcome
from inclusion_data.submissions.template_workbook import write_template
from inclusion_data.warehouse import schema
from workbooks import CNP_F_2008, CNP_M_1985

LAST = template_workbook.DATA_ROWS + 1
INSTRUCTIONS, LISTS = "Instrucțiuni", "Liste"  # a Romanian template's (the default)


def _column(sheet, dataset, field_name):
    return [f.name for f in dataset.fields].index(field_name) + 1


def _validation(sheet, dataset, field_name):
    letter = openpyxl.utils.get_column_letter(_column(sheet, dataset, field_name))
    [found] = [
        v
        for v in sheet.data_validations.dataValidation
        if f"{letter}2" in v.sqref and f"{letter}{LAST}" in v.sqref
    ]
    return found


def _choices(workbook, dataset, field_name, language="ro"):
    """The values of a column's drop-down list, read from the range it references."""
    validation = _validation(workbook[dataset.sheet_names[language == "en"]], dataset, field_name)
    assert validation.type == "list"
    sheet, cells = validation.formula1.split("!")
    return [row[0].value for row in workbook[sheet.strip("'")][cells.replace("$", "")]]


def test_the_template_is_derived_from_the_contracts(tmp_path):
    path = write_template("TWAM", "asoc-cluj", "2016-03", tmp_path)
    assert path.name == "TWAM_asoc-cluj_2016-03.xlsx" and month_in_file_name(path.name) == "2016-03"
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [INSTRUCTIONS, "Beneficiari", "Instruiri", "Voluntari", "Info", LISTS]
    assert workbook[LISTS].sheet_state == "hidden"
    assert [r[:2] for r in workbook["Info"].iter_rows(values_only=True)][0] == ("Luna raportării", "2016-03")
    instructions = "\n".join(str(c) for r in workbook[INSTRUCTIONS].iter_rows(values_only=True) for c in r)
    assert "http://127.0.0.1:8000/partner" in instructions and "var/" not in instructions  # no server path
    assert "TWAM/asoc-cluj/" in instructions and "2016-03" in instructions

    for dataset in DATASETS.values():
        sheet = workbook[dataset.sheet_names[0]]
        assert [c.value for c in sheet[1]] == [f.ro for f in dataset.fields]
        assert sheet.freeze_panes == "A2" and sheet.protection.sheet
        assert sheet["A1"].protection.locked and not sheet["A2"].protection.locked
        assert not sheet.cell(LAST, len(dataset.fields)).protection.locked
        for f in dataset.fields:
            assert f.ro in instructions
            header = sheet.cell(1, _column(sheet, dataset, f.name))
            assert f.help_ro in header.comment.text and (
                not f.help_en or f.help_en not in header.comment.text
            )
            assert _validation(sheet, dataset, f.name).prompt
            if f.vocabulary:
                assert _choices(workbook, dataset, f.name) == [t.ro for t in vocabulary(f.vocabulary).terms]
            if f.kind is Kind.DATE:
                assert _validation(sheet, dataset, f.name).type == "date"
                assert sheet.cell(2, _column(sheet, dataset, f.name)).number_format == "dd.mm.yyyy"
            if f.kind in (Kind.INTEGER, Kind.DECIMAL):
                validation = _validation(sheet, dataset, f.name)
                assert (validation.type, float(validation.formula1), float(validation.formula2)) == (
                    "whole" if f.kind is Kind.INTEGER else "decimal",
                    f.minimum,
                    f.maximum,
                )

    beneficiaries = DATASETS["beneficiaries"]
    assert "Masculin" in _choices(workbook, beneficiaries, "sex")
    localities = _choices(workbook, beneficiaries, "locality")
    assert "Cojocna" in localities and "Cluj-Napoca" in localities and "Oradea" not in localities
    assert _validation(workbook["Beneficiari"], beneficiaries, "service_date").formula2 == "DATE(2016,3,31)"


def _fill(workbook, dataset, rows):
    sheet = workbook[dataset.sheet_names[0]]
    for number, row in enumerate(rows, start=2):
        for name, value in row.items():
            if dataset.field(name).vocabulary or dataset.field(name).kind is Kind.LOCALITY:
                assert value in _choices(workbook, dataset, name), (name, value)
            sheet.cell(number, _column(sheet, dataset, name), value)


def test_a_filled_template_is_accepted_as_it_is(settings, engine, tmp_path):
    path = write_template("TWAM", "asoc-cluj", "2016-03", tmp_path)
    workbook = openpyxl.load_workbook(path)
    _fill(
        workbook,
        DATASETS["beneficiaries"],
        [
            dict(
                cnp=CNP_M_1985,
                name="Ion Testescu",
                birth_date=dt.date(1985, 3, 14),
                sex="Masculin",
                ethnicity="Romă",
                locality="Cojocna",
                vulnerable_group="Părinte",
                service="Școala părinților",
                service_date=dt.date(2016, 3, 10),
                sessions=2,
            ),
            dict(
                cnp=CNP_F_2008,
                sex="Feminin",
                ethnicity="Nedeclarată",
                locality="Cluj-Napoca",
                vulnerable_group="Copil în situație de risc",
                service="Logopedie",
                service_date=dt.date(2016, 3, 31),
            ),
        ],
    )
    _fill(
        workbook,
        DATASETS["trainings"],
        [
            dict(
                cnp=CNP_M_1985,
                sex="Masculin",
                ethnicity="Romă",
                locality="Cojocna",
                activity_type="Atelier de lucru",
                title="Drepturi sociale",
                start_date=dt.date(2016, 2, 29),
                end_date=dt.date(2016, 3, 1),
                hours=12.5,
                participant_category="Beneficiar",
                institution_type="Niciuna",
                completed="Da",
                certified="Da",
            ),
            dict(
                person_code="S-17",
                sex="Feminin",
                activity_type="Seminar",
                title="Mediere școlară",
                start_date=dt.date(2016, 3, 8),
                end_date=dt.date(2016, 3, 8),
                hours=4,
                participant_category="Specialist",
                institution_type="Școală",
                completed="Da",
                certified="Nu",
            ),
        ],
    )
    _fill(
        workbook,
        DATASETS["volunteers"],
        [
            dict(
                person_code="V-1",
                name="Ana Voluntar",
                sex="Feminin",
                age=24,
                locality="Cojocna",
                role="Organizare evenimente",
                hours=10.5,
            ),
        ],
    )
    target = settings.inbox / "TWAM" / "asoc-cluj" / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    from inclusion_data.submissions.precheck import main as precheck

    assert precheck([str(target), "--feedback", str(tmp_path / "feedback.xlsx")]) == 0

    [relative] = discover(settings)
    outcome = process_file(relative, settings, engine, load_network(), b"k")

    findings = outcome.findings + [f for fs in outcome.sheet_findings.values() for f in fs]
    assert [f for f in findings if f.severity == ERROR] == []
    assert outcome.status == "accepted" and outcome.period == "2016-03"
    assert {s.dataset: (s.status, s.rows, s.warnings) for s in outcome.submissions} == {
        "beneficiaries": ("accepted", 2, 0),
        "trainings": ("accepted", 2, 0),
        "volunteers": ("accepted", 1, 0),
    }
    # the instructions and the hidden lists are not datasets: at most the unknown-sheet note
    assert [
        (f.rule, f.sheet) for f in findings if f.severity == WARNING and f.sheet not in (INSTRUCTIONS, LISTS)
    ] == []
    with engine.connect() as conn:
        for s in outcome.submissions:
            table = schema.dataset_tables[s.dataset]
            assert (
                conn.scalar(
                    select(func.count()).select_from(table).where(table.c.submission_id == s.submission_id)
                )
                == s.rows
            )


def test_the_instructions_and_lists_sheets_raise_no_warning(tmp_path):
    path = write_template("TWAM", "asoc-cluj", "2016-03", tmp_path)
    outcome = FileOutcome("x", path.name, "TWAM", "asoc-cluj", "2016-03", "", "accepted")
    _dataset_sheets(read_file(path), outcome)
    assert [(f.rule, f.sheet) for f in outcome.findings if f.sheet in (INSTRUCTIONS, LISTS)] == []


def test_a_national_partner_gets_only_its_datasets_and_no_locality_list(tmp_path):
    path = write_template("PNCR", "pncr", "2016-03", tmp_path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [INSTRUCTIONS, "Instruiri", "Info", LISTS]
    trainings = DATASETS["trainings"]
    assert _validation(workbook["Instruiri"], trainings, "locality").type is None  # input help only
    assert "locality" not in [c.value for c in workbook[LISTS][1]]
    assert "Seminar" in _choices(workbook, trainings, "activity_type")


def test_an_english_template_is_english_throughout_and_accepted_as_it_is(tmp_path):
    path = write_template("TWAM", "asoc-cluj", "2016-03", tmp_path, language="en")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [
        "Instructions",
        "Beneficiaries",
        "Trainings",
        "Volunteers",
        "Info",
        "Lists",
    ]
    assert [r[:2] for r in workbook["Info"].iter_rows(values_only=True)][0] == ("Reporting month", "2016-03")
    instructions = "\n".join(str(c) for r in workbook["Instructions"].iter_rows(values_only=True) for c in r)
    assert "Monthly reporting template" in instructions and "Șablon" not in instructions
    beneficiaries = DATASETS["beneficiaries"]
    sheet = workbook["Beneficiaries"]
    assert [c.value for c in sheet[1]] == [f.en for f in beneficiaries.fields]
    assert _choices(workbook, beneficiaries, "service", "en") == [t.en for t in vocabulary("service").terms]
    values = dict(
        cnp=CNP_M_1985,
        birth_date=dt.date(1985, 3, 14),
        sex="Male",
        ethnicity="Roma",
        locality="Cojocna",
        vulnerable_group="Parent",
        service="Parents' school",
        service_date=dt.date(2016, 3, 10),
    )
    for name, value in values.items():
        sheet.cell(2, _column(sheet, beneficiaries, name), value)
    workbook.save(path)
    outcome = FileOutcome("x", path.name, "TWAM", "asoc-cluj", "2016-03", "", "accepted")
    found = _dataset_sheets(read_file(path), outcome)
    assert [d.name for d, _ in found] == ["beneficiaries", "trainings", "volunteers"]
    assert outcome.findings == []  # instructions and lists in English are not datasets either


def test_the_command_writes_into_the_templates_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INCLUSION_HOME", str(tmp_path))
    template_workbook.main(["--project", "TWAM", "--partner", "asoc-cluj", "--month", "2016-03"])
    assert (tmp_path / "templates" / "TWAM_asoc-cluj_2016-03.xlsx").exists()
    assert capsys.readouterr().out.strip().endswith("TWAM_asoc-cluj_2016-03.xlsx")
    with pytest.raises(SystemExit):
        template_workbook.main(["--project", "TWAM", "--partner", "pncr", "--month", "2016-03"])
