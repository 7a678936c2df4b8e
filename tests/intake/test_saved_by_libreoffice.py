"""Files as an office suite saves them, not as our writer typed them: a partner's workbook with
date cells, General-format serial dates, numbers in text cells and decimal numbers, saved again
by real LibreOffice (Debian's ``soffice``) as .xlsx, .xls, .ods and a ``;``-separated CSV, reads
back to the same values."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from inclusion_data.contracts.network import load_network
from inclusion_data.submissions.evaluation import evaluate_file
from workbooks import CNP_F_2008, CNP_M_1985

KEY = b"k" * 32
HEADERS = ["CNP", "Cod persoană", "Data nașterii", "Sex", "Etnie", "Localitate"]
HEADERS += ["Categorie grup vulnerabil", "Serviciu", "Data", "Număr ședințe"]


def _partner_workbook(path: Path) -> None:
    """What a data officer types: a date cell, a General cell holding a serial date, a number
    typed into a text-formatted cell, a birth year as a number."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Beneficiari"
    sheet.append(HEADERS)
    sheet.append(
        [CNP_M_1985, None, dt.date(1985, 3, 14), "Masculin", "Romă", "Cojocna"]
        + ["Părinte", "Școala părinților", dt.date(2016, 3, 10), 2]
    )
    sheet.append(
        [CNP_F_2008, None, 2008, "Feminin", "Nedeclarată", "Cluj-Napoca"]
        + ["Copil în situație de risc", "Logopedie", 42460, "3"]  # 42460 = 2016-03-31
    )
    sheet.append(
        [None, "B-7", "02.01.1990", "F", "Roma", "Cojocna"] + ["Parinte", "Logopedie", "15.03.2016", 1]
    )
    sheet["C2"].number_format = "dd.mm.yyyy"
    sheet["I2"].number_format = "dd.mm.yyyy"
    sheet["I3"].number_format = "General"
    sheet["J3"].number_format = "@"  # a text cell
    book.create_sheet("Info").append(["Luna raportării", "2016-03"])
    book.save(path)


CONVERSIONS = {
    ".xlsx": "xlsx:Calc MS Excel 2007 XML",
    ".xls": "xls:MS Excel 97",
    ".ods": "ods:calc8",
    # 59 = ';', 34 = '"', 76 = UTF-8, 1 = from the first line: what Excel in a Romanian locale writes
    ".csv": "csv:Text - txt - csv (StarCalc):59,34,76,1",
}


def _saved_by_libreoffice(source: Path, suffix: str, out: Path) -> Path:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (Debian's libreoffice-calc-nogui) is required: .ci/run installs it"
    out.mkdir()
    profile = out.parent / f"lo-profile-{suffix[1:]}"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to"]
        + [CONVERSIONS[suffix], "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    [saved] = out.glob(f"*{suffix}")
    return saved


@pytest.mark.slow  # an office suite starts for each file
@pytest.mark.parametrize("suffix", list(CONVERSIONS))
def test_a_workbook_saved_by_libreoffice_reads_back_as_typed(suffix, tmp_path):
    typed = tmp_path / "raport_2016-03.xlsx"
    _partner_workbook(typed)
    saved = _saved_by_libreoffice(typed, suffix, tmp_path / "saved")
    partner_folder = tmp_path / "inbox" / "TWAM" / "asoc-cluj"
    partner_folder.mkdir(parents=True)
    path = partner_folder / ("raport_2016-03" + suffix)
    shutil.move(saved, path)

    evaluation = evaluate_file(path, "TWAM", "asoc-cluj", load_network(), KEY)

    outcome = evaluation.outcome
    assert outcome.status == "accepted", [f.to_dict() for f in outcome.findings] + [
        f.to_dict() for fs in outcome.sheet_findings.values() for f in fs
    ]
    assert outcome.period == "2016-03"  # from the Info sheet (a CSV has none: from its name)
    [frame] = evaluation.frames.values()
    assert list(frame["_row"]) == [2, 3, 4]
    assert list(frame["service_date"]) == [dt.date(2016, 3, 10), dt.date(2016, 3, 31), dt.date(2016, 3, 15)]
    assert [int(s) for s in frame["sessions"]] == [2, 3, 1]
    assert [int(y) for y in frame["birth_year"]] == [1985, 2008, 1990]
    assert list(frame["sex"]) == ["M", "F", "F"] and list(frame["ethnicity"]) == [
        "roma",
        "not_declared",
        "roma",
    ]
    assert frame["person_key"].nunique() == 3
