"""Trap files for the privacy scan: personal values where a partner should not have put them
(headers, file names, sheet names, wrong columns, a sheet with no header row), and a scan of
every shared place for them.

Shared places are what people other than the sending partner see: the warehouse, the
reviewers' site (``reports/``), the published outputs (``published/``), task logs and
Airflow's metadata database (XCom, rendered fields, everything else). The partner's own
zone (``archive/``, ``rejected/``: their original file, its report and feedback workbook) is
not shared and not scanned.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from sqlalchemy import MetaData, create_engine, select

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.demo.people import make_cnp
from workbooks import beneficiary

# valid CNPs (checksum, date, county) of invented people; a CNP in a wrong place is a trap
CNP_HEADER = make_cnp("M", dt.date(1979, 11, 23), 12, 311)
CNP_DATA = make_cnp("F", dt.date(1990, 5, 7), 12, 312)
CNP_FILE = make_cnp("M", dt.date(1968, 1, 30), 5, 313)
CNP_SHEET = make_cnp("F", dt.date(2001, 9, 12), 12, 314)
CNP_WRONG_COLUMN = make_cnp("M", dt.date(1955, 2, 2), 12, 315)
# names nobody else in the tests has
NAME_HEADER = "Vulpescu Sandu"
NAME_DATA = "Capcanaru Elena"
NAME_FILE = "Zmeuranu Petrica"
NAME_SHEET = "Brustureanu Florica"
NAME_WRONG_COLUMN = "Porumbaru Ilie"
EMAIL = "elena.capcanaru@example.ro"
PHONE = "0745123987"

# what a partner put inside a file: headers, sheet names, cells (the surnames alone too: a
# name split or reordered is still a hit)
CONTENT_VALUES = [
    CNP_HEADER,
    CNP_DATA,
    CNP_SHEET,
    CNP_WRONG_COLUMN,
    NAME_HEADER,
    NAME_DATA,
    NAME_SHEET,
    NAME_WRONG_COLUMN,
    EMAIL,
    PHONE,
    "Vulpescu",
    "Capcanaru",
    "Brustureanu",
    "Porumbaru",
]
FILE_NAME_VALUES = [CNP_FILE, NAME_FILE, "Zmeuranu"]  # what a partner put in a file's name
TRAP_VALUES = CONTENT_VALUES + FILE_NAME_VALUES

BENEFICIARIES = DATASETS["beneficiaries"]


def _row(cnp: str, name: str, day: int, month: int) -> dict:
    birth = f"{int(cnp[5:7]):02d}.{int(cnp[3:5]):02d}.{(1900 if cnp[0] in '12' else 2000) + int(cnp[1:3])}"
    sex = "M" if cnp[0] in "135" else "F"
    return beneficiary(cnp=cnp, name=name, birth_date=birth, sex=sex, service_date=dt.date(2016, month, day))


def _sheet(workbook: openpyxl.Workbook, title: str, header: list | None, rows: list[list]) -> None:
    sheet = workbook.create_sheet(title)
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)


def _values(row: dict) -> list:
    return [row.get(f.name) for f in BENEFICIARIES.fields]


HEADERS = [f.ro for f in BENEFICIARIES.fields]


def write_trap_files(inbox: Path) -> list[Path]:
    """The trap files in ``inbox/TWAM/asoc-cluj/``, one month each (so none supersedes another)."""
    folder = inbox / "TWAM" / "asoc-cluj"
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    # 1. a good file whose name is a person's name and CNP: accepted, loaded
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "Beneficiari", HEADERS, [_values(_row(CNP_DATA, NAME_DATA, 3, 2))])
    path = folder / f"{NAME_FILE} {CNP_FILE} 2016-02.xlsx"
    workbook.save(path)
    written.append(path)

    # 2. no header row: the first row is a person
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    _sheet(
        workbook,
        "Beneficiari",
        None,
        [_values(_row(CNP_HEADER, NAME_HEADER, 4, 3)), _values(_row(CNP_DATA, NAME_DATA, 5, 3))],
    )
    path = folder / "fara_antet_2016-03.xlsx"
    workbook.save(path)
    written.append(path)

    # 3. a header row with personal values among the headers, and values in wrong columns
    header = [*HEADERS, CNP_HEADER, NAME_HEADER, EMAIL, PHONE, "23.11.1979", "1979-11-23", "42"]
    wrong = _row(CNP_DATA, NAME_DATA, 6, 4)
    wrong.update(locality=NAME_WRONG_COLUMN, service=CNP_WRONG_COLUMN, ethnicity=EMAIL, sessions=PHONE)
    extra = [CNP_HEADER, NAME_HEADER, EMAIL, PHONE, "x", "y", "z"]
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "Beneficiari", header, [[*_values(wrong), *extra]])
    path = folder / "antet_gresit_2016-04.xlsx"
    workbook.save(path)
    written.append(path)

    # 4. sheets named after people: an unknown sheet with rows, and a single-dataset sheet
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, NAME_SHEET, HEADERS, [_values(_row(CNP_DATA, NAME_DATA, 7, 5))])
    _sheet(workbook, CNP_SHEET, ["a"], [[NAME_SHEET]])
    path = folder / "foi_2016-05.xlsx"
    workbook.save(path)
    written.append(path)
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, NAME_SHEET, HEADERS, [_values(_row(CNP_DATA, NAME_DATA, 8, 6))])
    path = folder / "o_foaie_2016-06.xlsx"
    workbook.save(path)
    written.append(path)

    # 5. a CSV named after a person (a CSV's sheet is its file): accepted
    row = _values(_row(CNP_DATA, NAME_DATA, 9, 7))
    text = ";".join(HEADERS) + "\n" + ";".join("" if v is None else str(v) for v in row) + "\n"
    path = folder / f"{NAME_FILE} iulie 2016.csv"
    path.write_text(text, encoding="utf-8")
    written.append(path)
    return written


@dataclass(frozen=True)
class Hit:
    place: str  # e.g. "warehouse submissions.findings", "reports/index.html", "log"
    value: str

    def __str__(self) -> str:
        return f"{self.value!r} in {self.place}"


def find(text: str, place: str, values=TRAP_VALUES) -> list[Hit]:
    folded = text.casefold()
    return [Hit(place, v) for v in values if v.casefold() in folded]


def scan_database(url: str, label: str, values=TRAP_VALUES) -> list[Hit]:
    """Every column of every table, as text."""
    engine = create_engine(url)
    hits = []
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                for row in conn.execute(select(table)):
                    for column, value in zip(table.columns, row, strict=True):
                        if value is None:
                            continue
                        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                        hits += find(text, f"{label} {table.name}.{column.name}", values)
    finally:
        engine.dispose()
    return sorted(set(hits), key=str)


def _file_text(path: Path) -> str:
    if path.suffix in (".xlsx", ".zip"):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return path.read_bytes().decode("utf-8", "replace")


def scan_tree(root: Path, label: str, values=TRAP_VALUES) -> list[Hit]:
    """Every file's path (relative to ``root``) and content under ``root``."""
    hits = []
    for path in sorted(root.rglob("*")) if root.exists() else []:
        relative = path.relative_to(root).as_posix()
        hits += find(relative, f"{label}/ (path) {relative}", values)
        if path.is_file():
            hits += find(_file_text(path), f"{label}/{relative}", values)
    return sorted(set(hits), key=str)


def scan_shared_places(
    settings, warehouse_url: str, metadata_url: str, logs: dict[str, str], values=TRAP_VALUES
) -> dict[str, list[Hit]]:
    """Hits per kind of place: the warehouse with the reviewers' site and the published
    outputs (``data``), and Airflow's side: task logs, XCom, rendered fields (``airflow``)."""
    data = (
        scan_database(warehouse_url, "warehouse", values)
        + scan_tree(settings.reports, "reports", values)
        + scan_tree(settings.published, "published", values)
    )
    airflow = scan_database(metadata_url, "airflow metadata", values)
    for place, text in logs.items():
        airflow += find(text, place, values)
    return {"data": data, "airflow": airflow}


def report(hits: list[Hit]) -> str:
    return f"{len(hits)} hits:\n" + "\n".join(map(str, hits))
