"""Public outputs in ``published/<date>/``: two CSVs (machine-readable, and one for Excel in
a Romanian locale), a formatted workbook, an HTML report, coverage and what changed.

They hold aggregates only, with small person counts suppressed (``suppression``, proved by
the attacker's audit on exactly what goes out); the warehouse keeps the exact values for the
network's own use. Every output states its data date, period and coverage, and the status of
every value (``status``); each publication is recorded with what changed (``revisions``), and
one whose inputs did not change since the latest is not made again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from inclusion_data.contracts.network import load_network
from inclusion_data.indicators.catalogue import ALL, TOTAL, catalogue
from inclusion_data.indicators.disclosure_audit import DisclosureError, audit_publication, protection_width
from inclusion_data.indicators.gaps import incomplete_indicators
from inclusion_data.indicators.suppression import SMALLEST_SHOWN, suppress
from inclusion_data.publishing import labels, revisions
from inclusion_data.publishing.html_report import Context, write_html_report
from inclusion_data.publishing.status import STATUS_LABELS, Edition, coverage, data_as_of, value_status
from inclusion_data.publishing.workbook import write_workbook
from inclusion_data.settings import Settings
from inclusion_data.submissions.cells import csv_safe
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.completeness import compute_completeness
from inclusion_data.warehouse.review import closed_months

KEYS = ["indicator_id", "project", "partner", "period", "dimension", "category"]
# The columns of indicator_values.csv: (Romanian header, English header, meaning). The Excel
# CSV takes its headers from here, the README's table is generated from it.
COLUMNS: dict[str, tuple[str, str, str]] = {
    "indicator_id": ("Cod indicator", "Indicator code", "indicator code (the catalogue's id)"),
    "name_ro": ("Indicator", "Indicator (ro)", "indicator name, Romanian"),
    "name_en": ("Indicator (en)", "Indicator", "indicator name, English"),
    "project": (
        "Proiect",
        "Project",
        "project code; ALL = the network (people counted once across projects)",
    ),
    "partner": (
        "Partener",
        "Partner",
        "partner code; ALL = the project (people counted once across partners)",
    ),
    "period": ("Perioada", "Period", "reporting month YYYY-MM; total = the whole period"),
    "dimension": ("Dezagregare", "Breakdown", "breakdown (sex, age_group, ...); total = not broken down"),
    "category": ("Cod categorie", "Category code", "category code (a locality's SIRUTA code); total"),
    "category_ro": ("Categorie", "Category (ro)", "category label, Romanian"),
    "category_en": ("Categorie (en)", "Category", "category label, English"),
    "value": ("Valoare", "Value", "the figure (counts as integers); empty where suppressed"),
    "suppressed": ("Suprimat", "Suppressed", "true where the value is withheld to protect small counts"),
    "status": (
        "Stare",
        "Status",
        "final, provisional (a month not approved) or incomplete (a submission missing)",
    ),
    "target": ("Țintă", "Target", "the project's target for this figure, if any"),
    "achievement_pct": ("Realizare %", "Achievement %", "value / target in percent; empty where suppressed"),
    "data_as_of": ("Date la", "Data as of", "when the newest submission included was received (UTC)"),
    "publication": (
        "Publicarea",
        "Publication",
        "the publication's id (YYYY-MM-DD.N), as in the revision log",
    ),
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
    publication: str = ""
    changed: bool = True  # False: the warehouse did not change, the latest publication stands


def _paths(settings: Settings, publication: str, changed: bool) -> Published:
    day = publication.split(".")[0]
    directory = settings.published / day
    return Published(
        directory,
        directory / "indicator_values.csv",
        directory / "indicator_values.xlsx",
        directory / "index.html",
        settings.home / "internal" / day / "partner_overlaps.csv",
        publication,
        changed,
    )


def indicator_frame(engine: Engine) -> pd.DataFrame:
    """The exact ``indicator_values`` with names and category labels (not for the public)."""
    table = schema.indicator_values
    chosen = [c for c in table.columns if c.name != "rows"]  # the build's bookkeeping, not a figure
    with engine.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(select(*chosen).order_by(*[table.c[k] for k in KEYS])).mappings().all(),
            columns=[c.name for c in chosen],
        )
    names = {i.id: (i.name_ro, i.name_en) for i in catalogue().values()}
    frame.insert(1, "name_ro", frame["indicator_id"].map(lambda i: names.get(i, ("", ""))[0]))
    frame.insert(2, "name_en", frame["indicator_id"].map(lambda i: names.get(i, ("", ""))[1]))
    pairs = [labels.category_label(d, c) for d, c in zip(frame["dimension"], frame["category"], strict=True)]
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


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet opens as text, never as a formula (``csv_safe``); object
    columns stay object (``map`` would turn integers beside empty cells into floats)."""
    text = frame.select_dtypes(include=["object", "string"]).columns
    return frame.assign(
        **{c: pd.Series([csv_safe(v) for v in frame[c]], index=frame.index, dtype=object) for c in text}
    )


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    _safe(frame).to_csv(path, index=False, encoding="utf-8")


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


def _numbers(series: pd.Series) -> pd.Series:
    """Whole numbers as integers (``28``, not ``28.0``), others as they are, NaN as empty
    (an object column: pandas would make the integers floats again)."""
    values = [None if pd.isna(v) else int(v) if float(v).is_integer() else float(v) for v in series]
    return pd.Series(values, index=series.index, dtype=object)


def machine_csv(public: pd.DataFrame, edition: Edition) -> pd.DataFrame:
    frame = public.assign(data_as_of=edition.data_date, publication=edition.id)[list(COLUMNS)]
    numeric = {c: _numbers(frame[c]) for c in ("value", "target", "achievement_pct")}
    return frame.assign(**numeric, suppressed=frame["suppressed"].map({True: "true", False: "false"}))


def write_excel_csv(frame: pd.DataFrame, path: Path) -> None:
    """For Excel in a Romanian locale: UTF-8 with a BOM, ``;`` between cells, a decimal comma,
    Romanian / English headers, and words for people (``da``/``nu``, the status's label)."""
    numeric = {
        c: ["" if v is None else str(v).replace(".", ",") for v in frame[c]]
        for c in ("value", "target", "achievement_pct")
    }
    words = {
        "suppressed": frame["suppressed"].map({"true": "da / yes", "false": "nu / no"}),
        "status": frame["status"].map(
            lambda s: " / ".join(dict.fromkeys(STATUS_LABELS.get(s, (s, s)))) if isinstance(s, str) else ""
        ),
    }
    headers = {c: f"{ro} / {en}" for c, (ro, en, _) in COLUMNS.items()}
    _safe(frame.assign(**numeric, **words).rename(columns=headers)).to_csv(
        path, index=False, sep=";", encoding="utf-8-sig"
    )


def _coverage_frame(edition: Edition) -> pd.DataFrame:
    return pd.DataFrame(
        [{**vars(c), "data_as_of": edition.data_date, "publication": edition.id} for c in edition.coverage]
    )


def _changes_frame(diff: pd.DataFrame, edition: Edition) -> pd.DataFrame:
    return diff.assign(
        causes=[revisions.describe(c) for c in diff["causes"]],
        old_value=_numbers(diff["old_value"]),
        new_value=_numbers(diff["new_value"]),
        publication=edition.id,
        previous=edition.previous or "",
    )


def _standing(engine: Engine, settings: Settings) -> tuple[revisions.Basis, Published | None]:
    with engine.connect() as conn:
        current = revisions.basis(conn)
        latest = revisions.latest(conn)
    if latest is not None and latest["fingerprint"] == current.fingerprint:
        return current, _paths(settings, latest["id"], changed=False)
    return current, None


def unchanged(engine: Engine, settings: Settings) -> Published | None:
    """The latest publication if nothing it was computed from changed since (the nightly
    run then recomputes and writes nothing); None when a publication is due."""
    return _standing(engine, settings)[1]


def publish(engine: Engine, settings: Settings) -> Published:
    """Publish the indicators, unless nothing they are computed from changed since the
    latest publication (then that one is returned, and nothing is written)."""
    current, standing = _standing(engine, settings)
    if standing is not None:
        return standing
    exact = indicator_frame(engine)
    reach_table = reach(exact)
    public = suppress(exact, reach_table)
    _refuse_if_disclosive(exact, public, reach_table)
    expected = compute_completeness(engine, load_network(), settings.due_day)
    now = dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        closed = closed_months(conn)
        public["status"] = value_status(public, expected, closed)
        previous, diff = revisions.changes(conn, public, current)
        edition = Edition(
            revisions.next_id(conn, dt.date.fromisoformat(published_on())),
            now,
            data_as_of(conn),
            coverage(expected, closed),
            previous["id"] if previous else None,
        )
    out = _paths(settings, edition.id, changed=True)
    out.directory.mkdir(parents=True, exist_ok=True)
    machine = machine_csv(public, edition)
    write_csv(machine, out.csv)
    write_excel_csv(machine, out.directory / "indicator_values_excel_ro.csv")
    write_csv(_coverage_frame(edition), out.directory / "coverage.csv")
    write_csv(_changes_frame(diff, edition), out.directory / "what_changed.csv")
    write_csv(reach_table, out.directory / "reach.csv")
    write_csv(incomplete_indicators(expected), out.directory / "incomplete_indicators.csv")
    out.overlaps.parent.mkdir(parents=True, exist_ok=True)
    write_csv(_overlaps(engine), out.overlaps)
    write_workbook(out.workbook, edition, public, reach_table, diff, (NOTE_RO, NOTE_EN))
    write_html_report(_labelled(public), out.directory, Context(edition, diff))
    with engine.begin() as conn:
        revisions.record(
            conn,
            {
                "id": edition.id,
                "published_at": now,
                "data_as_of": edition.data_as_of,
                "period_first": edition.network.period_first,
                "period_last": edition.network.period_last,
            },
            current,
            public,
            diff,
        )
    return out


def _labelled(public: pd.DataFrame) -> pd.DataFrame:
    """People read labels, not codes: the HTML report's frame."""
    return public.assign(
        category=[
            labels.both((ro, en)) for ro, en in zip(public.category_ro, public.category_en, strict=True)
        ],
        category_code=public["category"],
    )
