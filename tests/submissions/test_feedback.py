"""Pre-check and feedback workbook: exactly the failing cells are marked, nothing else."""

import datetime as dt

import openpyxl
import pandas as pd

from inclusion_data.contracts.labels import Labels
from inclusion_data.contracts.network import load_network
from inclusion_data.orchestration.ingest import discover, process_file
from inclusion_data.submissions.feedback import errors_sheet
from inclusion_data.submissions.precheck import main as precheck
from workbooks import CNP_M_1985, beneficiary, write_xlsx

BAD_CNP = CNP_M_1985[:-1] + str((int(CNP_M_1985[-1]) + 1) % 10)
# columns of the written sheet: A cnp, B person_code, C name, D birth_date, E sex, F ethnicity,
# G locality, H vulnerable_group, I service, J service_date, K sessions
ROWS = [
    beneficiary(),  # row 2: fine
    beneficiary(cnp=BAD_CNP, service="Logopedie"),  # row 3: A (error)
    beneficiary(locality="Oradea", service="Dans", sessions=25),  # row 4: G, I (errors), K (warning)
    beneficiary(service_date=dt.date(2016, 4, 2), service="Alfabetizare"),
]  # row 5: J (error)
EXPECTED = {
    ("Beneficiari", "A3"): "error",
    ("Beneficiari", "G4"): "error",
    ("Beneficiari", "I4"): "error",
    ("Beneficiari", "K4"): "warning",
    ("Beneficiari", "J5"): "error",
}


def _marked(path):
    book = openpyxl.load_workbook(path)
    marked = {}
    for sheet in book.worksheets:
        if sheet.title in (errors_sheet("ro"), errors_sheet("en")):
            continue
        for row in sheet.iter_rows():
            for cell in row:
                color = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type == "solid" else None
                if color or cell.comment:
                    assert color and cell.comment, (sheet.title, cell.coordinate)
                    marked[(sheet.title, cell.coordinate)] = (
                        "error" if color.endswith("FFC7CE") else "warning"
                    )
    return book, marked


def _file(tmp_path, rows, name="beneficiari_2016-03.xlsx"):
    return write_xlsx(tmp_path / "TWAM" / "asoc-cluj" / name, {"Beneficiari": rows})


def test_precheck_marks_exactly_the_failing_cells_and_exits_1(tmp_path, capsys):
    path = _file(tmp_path, ROWS)
    assert precheck([str(path)]) == 1
    printed = capsys.readouterr().out
    assert "respins" in printed and "CNP invalid" in printed and "localitate din afara județului" in printed
    book, marked = _marked(path.with_name(path.name + ".feedback.xlsx"))
    assert marked == EXPECTED
    assert "CNP" in book["Beneficiari"]["A3"].comment.text
    assert "Se așteaptă" in book["Beneficiari"]["I4"].comment.text
    listed = pd.read_excel(path.with_name(path.name + ".feedback.xlsx"), sheet_name="Erori")
    assert {
        (s, f"{c}{r}")
        for s, c, r in zip(listed.iloc[:, 1], listed.iloc[:, 3], listed.iloc[:, 2], strict=True)
    } == set(EXPECTED)
    assert book.sheetnames[0] == "Erori"  # the partner's language: Romanian by default
    assert book["Beneficiari"]["C3"].value == "Ion Testescu"  # the partner's own values, unchanged


def test_precheck_exits_0_on_the_corrected_file(tmp_path):
    fixed = [
        ROWS[0],
        beneficiary(service="Logopedie"),
        beneficiary(service="Alfabetizare"),
        beneficiary(service="Dans", sessions=3) | {"service": "Activități creative"},
    ]
    path = _file(tmp_path, fixed, "beneficiari_2016-03_corectat.xlsx")
    assert precheck([str(path), "--lang", "ro"]) == 0
    _, marked = _marked(path.with_name(path.name + ".feedback.xlsx"))
    assert marked == {}


def test_feedback_of_an_ods_file_points_at_the_same_cells(tmp_path):
    frame = pd.read_excel(_file(tmp_path, ROWS), sheet_name="Beneficiari", dtype=object)
    path = tmp_path / "TWAM" / "asoc-cluj" / "beneficiari_2016-03.ods"
    with pd.ExcelWriter(path, engine="odf") as writer:
        frame.to_excel(writer, sheet_name="Beneficiari", index=False)
    out = tmp_path / "feedback.xlsx"
    assert precheck([str(path), "--feedback", str(out)]) == 1
    assert _marked(out)[1] == EXPECTED


def test_the_pipeline_leaves_feedback_next_to_a_rejected_file(settings, engine):
    write_xlsx(settings.inbox / "TWAM" / "asoc-cluj" / "b_2016-03.xlsx", {"Beneficiari": ROWS})
    [relative] = discover(settings)
    outcome = process_file(relative, settings, engine, load_network(), b"k")
    assert outcome.status == "rejected" and outcome.feedback.endswith(".feedback.xlsx")
    assert _marked(settings.home / outcome.feedback)[1] == EXPECTED
    assert (settings.home / outcome.stored_at).exists()


def test_a_file_flagged_beyond_the_bounds_marks_the_first_cells_and_lists_every_row(
    settings, engine, monkeypatch
):
    from inclusion_data.submissions import bounds

    monkeypatch.setattr(bounds, "MAX_MARKED_CELLS", 3)
    monkeypatch.setattr(bounds, "MAX_LISTED_ROWS", 2)
    monkeypatch.setattr(bounds, "_ROWS_PER_LINE", 2)
    rows = [beneficiary(cnp=BAD_CNP, service_date=dt.date(2016, 3, d)) for d in (2, 3, 4)]  # rows 2-4
    rows += [beneficiary(sessions=25)]  # row 5: K (warning)
    rows += [beneficiary(cnp=BAD_CNP, service_date=dt.date(2016, 3, d)) for d in (5, 6, 7)]  # rows 6-8
    _file(settings.inbox, rows)
    [outcome] = [process_file(r, settings, engine, load_network(), b"k") for r in discover(settings)]
    _, marked = _marked(settings.home / outcome.feedback)
    assert marked == {
        ("Beneficiari", "A2"): "error",
        ("Beneficiari", "A3"): "error",
        ("Beneficiari", "A4"): "error",
    }
    listed = pd.read_excel(settings.home / outcome.feedback, sheet_name=errors_sheet("ro"))
    lines = [
        str(r)
        for rule, r in zip(listed.iloc[:, 5], listed.iloc[:, 2], strict=True)
        if rule == Labels("ro").rule("cnp_valid")
    ]
    assert lines == ["2", "3", "4, 6", "7–8"]  # the first two one per line, the rest two rows a line
    report = (settings.home / outcome.report).read_text("utf-8")
    assert "colorează primele 3 celule cu probleme (întâi erorile); alte 4 sunt enumerate" in report
