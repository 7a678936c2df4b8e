"""Published outputs of ``indicator_values``: a CSV and an Excel workbook per day.

They hold aggregates only: no person key, name, CNP or row-level value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine, select

from .indicators import catalogue, published_on
from .settings import Settings
from .warehouse import schema

COLUMNS = ["indicator_id", "project", "partner", "period", "dimension", "category", "value"]


@dataclass(frozen=True)
class Published:
    directory: Path
    csv: Path
    workbook: Path


def indicator_frame(engine: Engine) -> pd.DataFrame:
    table = schema.indicator_values
    with engine.connect() as conn:
        rows = conn.execute(select(*[table.c[c] for c in COLUMNS]).order_by(*[table.c[c] for c in COLUMNS[:6]]))
        frame = pd.DataFrame(rows.fetchall(), columns=COLUMNS)
    names = {i.id: (i.name_ro, i.name_en) for i in catalogue().values()}
    frame.insert(1, "name_ro", frame["indicator_id"].map(lambda i: names.get(i, ("", ""))[0]))
    frame.insert(2, "name_en", frame["indicator_id"].map(lambda i: names.get(i, ("", ""))[1]))
    return frame


def publish(engine: Engine, settings: Settings) -> Published:
    directory = settings.published / published_on()
    directory.mkdir(parents=True, exist_ok=True)
    frame = indicator_frame(engine)
    csv_path = directory / "indicator_values.csv"
    frame.to_csv(csv_path, index=False, encoding="utf-8")
    workbook = directory / "indicator_values.xlsx"
    with pd.ExcelWriter(workbook, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="indicator_values", index=False)
        sheet = writer.sheets["indicator_values"]
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for index, column in enumerate(frame.columns, start=1):
            width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(500)])
            sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 50)
        about = pd.DataFrame([{"indicator_id": i.id, "name_ro": i.name_ro, "name_en": i.name_en,
                               "definition_ro": i.definition_ro, "definition_en": i.definition_en}
                              for i in catalogue().values()])
        about.to_excel(writer, sheet_name="definitions", index=False)
    return Published(directory, csv_path, workbook)
