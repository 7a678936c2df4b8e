"""Helpers that write real partner files for the tests (xlsx, ods, xls, csv)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.demo.people import make_cnp

CNP_M_1985 = make_cnp("M", dt.date(1985, 3, 14), 12, 1)  # a valid synthetic CNP (Cluj)
CNP_F_2008 = make_cnp("F", dt.date(2008, 6, 2), 12, 2)


def beneficiary(**overrides) -> dict:
    row = {
        "cnp": CNP_M_1985,
        "person_code": None,
        "name": "Ion Testescu",
        "birth_date": "14.03.1985",
        "sex": "M",
        "ethnicity": "Romă",
        "locality": "Cojocna",
        "vulnerable_group": "Părinte",
        "service": "Școala părinților",
        "service_date": dt.date(2016, 3, 10),
        "sessions": 2,
    }
    row.update(overrides)
    return row


def write_xlsx(
    path: Path, sheets: dict[str, list[dict]], language: str = "ro", info_month: str | None = None
) -> Path:
    """Write sheets of rows keyed by contract field, headers in the template's language."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet_name, rows in sheets.items():
        sheet = workbook.create_sheet(sheet_name)
        dataset = next(d for d in DATASETS.values() if sheet_name in d.sheet_names)
        fields = [f for f in dataset.fields if any(f.name in r for r in rows)] or list(dataset.fields)
        sheet.append([f.ro if language == "ro" else f.en for f in fields])
        for row in rows:
            sheet.append([row.get(f.name) for f in fields])
    if info_month:
        workbook.create_sheet("Info").append(["Luna raportării", info_month])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
