"""Public outputs in ``published/<date>/``: CSV, a formatted workbook, an HTML report.

They hold aggregates only, with small person counts suppressed (``suppression``); the
warehouse keeps the exact values for the network's own use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine, select

from inclusion_data.contracts.datasets import DATASETS, Kind
from inclusion_data.contracts.vocabularies import vocabulary
from inclusion_data.indicators.catalogue import ALL, TOTAL, catalogue
from inclusion_data.indicators.disclosure_audit import DisclosureError, audit_publication, protection_width
from inclusion_data.indicators.gaps import incomplete_indicators
from inclusion_data.indicators.suppression import SMALLEST_SHOWN, suppress
from inclusion_data.intake.localities import localities
from inclusion_data.publishing.html_report import write_html_report
from inclusion_data.settings import Settings
from inclusion_data.submissions.cells import csv_safe
from inclusion_data.warehouse import schema

KEYS = ["indicator_id", "project", "partner", "period", "dimension", "category"]
LABELS = {  # column -> (ro, en) header in the workbook
    "indicator_id": ("Indicator", "Indicator"),
    "name_ro": ("Denumire", "Name (ro)"),
    "name_en": ("Denumire (en)", "Name"),
    "project": ("Proiect", "Project"),
    "partner": ("Partener", "Partner"),
    "period": ("Perioada", "Period"),
    "dimension": ("Dezagregare", "Breakdown"),
    "category": ("Categorie (cod)", "Category (code)"),
    "category_ro": ("Categorie", "Category (ro)"),
    "category_en": ("Categorie (en)", "Category"),
    "value": ("Valoare", "Value"),
    "suppressed": ("Suprimat", "Suppressed"),
    "target": ("Țintă", "Target"),
    "achievement_pct": ("Realizare %", "Achievement %"),
}
NOTE_EN = (
    f"Person counts from 1 to {SMALLEST_SHOWN - 1} are suppressed, and so are enough other "
    "cells that no suppressed count can be recomputed or narrowed from the published tables "
    "(checked by an audit before publication). ALL = across projects or partners; total = "
    "whole period or not disaggregated."
)
NOTE_RO = (
    f"Numărătorile de persoane între 1 și {SMALLEST_SHOWN - 1} sunt suprimate, la fel destule "
    "alte celule încât nicio valoare suprimată să nu poată fi recalculată sau aproximată din "
    "tabelele publicate (verificat înainte de publicare). ALL = toate proiectele sau toți "
    "partenerii; total = întreaga perioadă sau nedezagregat."
)


def published_on() -> str:
    """The folder name of today's publication."""
    return dt.date.today().isoformat()


@dataclass(frozen=True)
class Published:
    directory: Path
    csv: Path
    workbook: Path
    html: Path
    overlaps: Path


def _category_labels() -> dict[tuple[str, str], tuple[str, str]]:
    labels = {}
    for dataset in DATASETS.values():
        for f in dataset.fields:
            if f.kind in (Kind.CODE, Kind.BOOLEAN):
                for term in vocabulary(f.vocabulary_name).terms:
                    labels[(f.name, term.code)] = (term.ro, term.en)
    return labels


def _label(dimension: str, category: str, labels: dict) -> tuple[str, str]:
    if dimension == "locality" and category.isdigit():
        place = localities().by_siruta.get(int(category))
        return (f"{place.name} ({place.county})",) * 2 if place else (category, category)
    return labels.get((dimension, category), (category, category))


def indicator_frame(engine: Engine) -> pd.DataFrame:
    """The exact ``indicator_values`` with names and category labels (not for the public)."""
    table = schema.indicator_values
    with engine.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(select(table).order_by(*[table.c[k] for k in KEYS])).mappings().all(),
            columns=[c.name for c in table.columns],
        )
    names = {i.id: (i.name_ro, i.name_en) for i in catalogue().values()}
    frame.insert(1, "name_ro", frame["indicator_id"].map(lambda i: names.get(i, ("", ""))[0]))
    frame.insert(2, "name_en", frame["indicator_id"].map(lambda i: names.get(i, ("", ""))[1]))
    labels = _category_labels()
    pairs = [_label(d, c, labels) for d, c in zip(frame["dimension"], frame["category"], strict=True)]
    frame.insert(8, "category_ro", [p[0] for p in pairs])
    frame.insert(9, "category_en", [p[1] for p in pairs])
    return frame


def reach(frame: pd.DataFrame) -> pd.DataFrame:
    """Gross reach (sum of each project-partner's unique count), unique reach, and overlap."""
    totals = frame[(frame.period == TOTAL) & (frame.dimension == TOTAL)]
    people = [i.id for i in catalogue().values() if i.measure == "distinct_persons"]
    rows = []
    for indicator in people:
        mine = totals[totals.indicator_id == indicator]
        gross = mine[(mine.project != ALL) & (mine.partner != ALL)]["value"].sum()
        unique = mine[(mine.project == ALL) & (mine.partner == ALL)]["value"].sum()
        rows.append(
            {
                "indicator_id": indicator,
                "gross_reach": gross,
                "unique_reach": unique,
                "counted_more_than_once": gross - unique,
            }
        )
    return pd.DataFrame(rows)


def _overlaps(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(select(schema.partner_overlaps)).mappings().all(),
            columns=["indicator_id", "partner_a", "partner_b", "persons"],
        )
    small = frame["persons"].between(1, SMALLEST_SHOWN - 1)
    frame["persons"] = frame["persons"].astype(float).where(~small)
    frame["suppressed"] = small
    return frame


def _write_workbook(path: Path, public: pd.DataFrame, reach_table: pd.DataFrame) -> None:
    header_fill = PatternFill("solid", fgColor="DDE7F0")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        about = pd.DataFrame(
            [
                {
                    "id": i.id,
                    "Denumire": i.name_ro,
                    "Name": i.name_en,
                    "Definiție": i.definition_ro,
                    "Definition": i.definition_en,
                }
                for i in catalogue().values()
            ]
        )
        about.to_excel(writer, sheet_name="Despre - About", index=False, startrow=3)
        sheet = writer.sheets["Despre - About"]
        sheet["A1"], sheet["A2"] = NOTE_RO, NOTE_EN
        reach_table.to_excel(writer, sheet_name="Acoperire - Reach", index=False)
        for indicator in catalogue().values():
            rows = public[public.indicator_id == indicator.id].drop(columns=["name_ro", "name_en"])
            name = indicator.id[:31]
            rows.to_excel(writer, sheet_name=name, index=False, header=False, startrow=2)
            sheet = writer.sheets[name]
            for index, column in enumerate(rows.columns, start=1):
                ro, en = LABELS.get(column, (column, column))
                for row, text in ((1, ro), (2, en)):
                    cell = sheet.cell(row=row, column=index, value=text)
                    cell.font, cell.fill = Font(bold=True, italic=row == 2), header_fill
                    cell.alignment = Alignment(wrap_text=True)
                width = max([len(ro), len(en)] + [len(str(v)) for v in rows[column].head(200)])
                sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 40)
            sheet.freeze_panes = "A3"
            sheet.auto_filter.ref = f"A2:{get_column_letter(len(rows.columns))}{len(rows) + 2}"


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A CSV whose text cells a spreadsheet opens as text, never as a formula (``csv_safe``)."""
    text = frame.select_dtypes(include=["object", "string"]).columns
    frame.assign(**{c: frame[c].map(csv_safe) for c in text}).to_csv(path, index=False, encoding="utf-8")


def internal_directory(settings: Settings) -> Path:
    """Coordinators' files of a publication (exact partner overlaps): never published."""
    return settings.home / "internal" / published_on()


def _refuse_if_disclosive(exact: pd.DataFrame, public: pd.DataFrame, reach_table: pd.DataFrame) -> None:
    """The attacker's audit on exactly what is about to go out; nothing is written if it can
    narrow a small count."""
    exposed = audit_publication(exact, public, reach_table)
    if len(exposed):
        first = exposed.iloc[0]
        raise DisclosureError(
            f"publication refused: {len(exposed)} withheld small counts can be narrowed below the "
            f"protection width {protection_width():g}, e.g. {'/'.join(map(str, first[KEYS]))} "
            f"to [{first.lower:g}, {first.upper:g}]"
        )


def publish(engine: Engine, settings: Settings) -> Published:
    exact = indicator_frame(engine)
    reach_table = reach(exact)
    public = suppress(exact, reach_table)
    _refuse_if_disclosive(exact, public, reach_table)
    directory = settings.published / published_on()
    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / "indicator_values.csv"
    write_csv(public, csv_path)
    write_csv(reach_table, directory / "reach.csv")
    internal = internal_directory(settings)
    internal.mkdir(parents=True, exist_ok=True)
    overlaps = internal / "partner_overlaps.csv"
    write_csv(_overlaps(engine), overlaps)
    workbook = directory / "indicator_values.xlsx"
    _write_workbook(workbook, public, reach_table)
    with engine.connect() as conn:
        gaps = [dict(r) for r in conn.execute(select(schema.completeness)).mappings()]
    write_csv(incomplete_indicators(gaps), directory / "incomplete_indicators.csv")
    labelled = public.assign(
        category=[
            c if ro == c else (ro if ro == en else f"{ro} / {en}")
            for c, ro, en in zip(public.category, public.category_ro, public.category_en, strict=True)
        ]
    )
    html = write_html_report(labelled, directory)  # people read labels, not codes
    return Published(directory, csv_path, workbook, html, overlaps)
