"""A static HTML page of the published indicators, with charts, that opens from the file system.

Charts are plotly figures (a maintained library whose output is interactive and works
offline). plotly.js (~4.8 MB) is written once as ``plotly.min.js`` next to ``index.html`` and
loaded by a relative ``<script src>``, so the page needs neither a web server nor the internet.
Each figure travels as JSON in a ``<script type="application/json">`` block (jinja2's ``tojson``
escapes ``<``, ``>``, ``&`` and ``'``), and a few lines of JavaScript hand it to ``Plotly.newPlot``.
Everything else is rendered by the autoescaping template; the page shows only what is in the frame.

The page opens with its data date, period and coverage, a contents list, the headline
figures and what changed; then the network's trends and breakdowns, and one section per
project. A month that is not final (provisional or incomplete, ``status``) is drawn dashed
with an open or crossed marker, never as part of the solid line: a partial month is not a drop.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.colors import qualitative
from plotly.io.json import to_json_plotly
from plotly.offline import get_plotlyjs

from inclusion_data.indicators.catalogue import ALL, TOTAL, catalogue
from inclusion_data.indicators.suppression import SMALLEST_SHOWN
from inclusion_data.publishing import labels
from inclusion_data.publishing.revisions import describe
from inclusion_data.publishing.status import FINAL, INCOMPLETE, STATUS_LABELS, STATUS_NOTE, Edition

COLUMNS = [
    "indicator_id",
    "name_ro",
    "name_en",
    "project",
    "partner",
    "period",
    "dimension",
    "category",
    "value",
    "target",
    "achievement_pct",
    "suppressed",
]
SUPPRESSED = "suppressed"
_MARKERS = {FINAL: "circle", "provisional": "circle-open", INCOMPLETE: "x"}

_env = Environment(loader=PackageLoader(__package__, "templates"), autoescape=select_autoescape(["html"]))
# tojson must understand numpy arrays and NaN in figures: plotly's own encoder does.
_env.policies["json.dumps_function"] = lambda obj, **_: to_json_plotly(obj)
_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass
class Chart:
    key: str  # data-chart attribute, e.g. "trend-persons_assisted"
    title: str
    figure: dict = field(repr=False)


@dataclass
class IndicatorSection:
    indicator_id: str
    name_ro: str
    name_en: str
    trend: Chart | None
    breakdowns: list[Chart]
    rows: list[dict]


@dataclass
class ProjectSection:
    code: str
    name: str
    headline: list[dict]
    tables: list[IndicatorSection]
    coverage: tuple[str, str] | None


@dataclass(frozen=True)
class Context:
    """What the page says about its publication: data date, coverage, what changed."""

    edition: Edition
    changes: pd.DataFrame


def write_html_report(
    frame: pd.DataFrame,
    directory: Path,
    context: Context | None = None,
    title: str = "Indicatori de incluziune socială / Social-inclusion indicators",
) -> Path:
    """Write ``directory/index.html`` and ``directory/plotly.min.js``; return the page's path.
    ``frame`` may carry ``status`` (else every value is final) and ``category_code`` (the
    category's code where ``category`` holds its label)."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"indicator frame lacks columns: {', '.join(missing)}")
    df = frame[[*COLUMNS, *(c for c in ("status", "category_code") if c in frame.columns)]].copy()
    df["suppressed"] = df["suppressed"].fillna(False).astype(bool)
    if "status" not in df:
        df["status"] = FINAL
    if "category_code" not in df:
        df["category_code"] = df["category"]
    for column in ("value", "target", "achievement_pct"):
        df[column] = pd.to_numeric(df[column], errors="coerce")
    # A suppressed value never reaches the page, whatever the frame holds.
    df.loc[df["suppressed"], ["value", "achievement_pct"]] = math.nan
    for column in (*COLUMNS[:8], "status", "category_code"):
        df[column] = df[column].astype(str)
    dimensions = {i.id: i.dimensions for i in catalogue().values()}
    df = labels.reading_order(df, (), "category_code")

    colors = _project_colors(df)
    sections = []
    for indicator_id, rows in df.groupby("indicator_id", sort=False):
        rows = labels.reading_order(rows, dimensions.get(str(indicator_id), ()), "category_code")
        sections.append(
            IndicatorSection(
                str(indicator_id),
                rows["name_ro"].iloc[0],
                rows["name_en"].iloc[0],
                _trend_chart(str(indicator_id), rows, colors),
                _breakdown_charts(str(indicator_id), rows, colors),
                [],
            )
        )
    projects = sorted(colors)
    targets = df[df["target"].notna()]

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "plotly.min.js").write_text(get_plotlyjs(), "utf-8")
    page = directory / "index.html"
    page.write_text(
        _env.get_template("indicators_report.html").render(
            title=title,
            sections=sections,
            projects=projects,
            project_sections=_project_sections(df, [*projects, ALL], dimensions, context),
            achievement=_achievement_chart(targets, colors) if len(targets) else None,
            target_rows=[_table_row(r) for r in targets.itertuples(index=False)],
            summary=_summary(df, projects),
            config=_CONFIG,
            smallest_shown=SMALLEST_SHOWN,
            edition=context.edition if context else None,
            coverage=[_coverage_row(c) for c in context.edition.coverage] if context else [],
            changes=_change_rows(context.changes, df) if context else [],
            status_note=STATUS_NOTE,
            status_labels={k: labels.both(v) for k, v in STATUS_LABELS.items()},
        ),
        "utf-8",
    )
    return page


def _coverage_row(c) -> dict:
    return {
        "project": labels.both(labels.project_label(c.project)),
        "period": f"{c.period_first} – {c.period_last}" if c.period_first else "—",
        "expected": c.expected,
        "received": c.received,
        "nil": c.nil,
        "approved": c.approved,
        "missing": c.missing,
        "pct": f"{100 * c.received_pct:.0f} %",
    }


def _change_rows(diff: pd.DataFrame, df: pd.DataFrame) -> list[dict]:
    names = {i.id: f"{i.name_ro} / {i.name_en}" for i in catalogue().values()}

    def shown(value, state) -> str:
        if not isinstance(state, str):
            return "—"
        return format_value(value, bool(pd.isna(value)))

    return [
        {
            "indicator": names.get(r.indicator_id, r.indicator_id),
            "where": " · ".join(
                [
                    r.project,
                    labels.partner_label(r.partner),
                    labels.period_label(r.period),
                    labels.both(labels.dimension_label(r.dimension)),
                    labels.both(labels.category_label(r.dimension, r.category)),
                ]
            ),
            "old": shown(r.old_value, r.old_state),
            "new": shown(r.new_value, r.new_state),
            "old_state": labels.both(STATUS_LABELS.get(r.old_state, ("—", "—"))),
            "new_state": labels.both(STATUS_LABELS.get(r.new_state, ("—", "—"))),
            "causes": describe(r.causes),
        }
        for r in diff.itertuples(index=False)
    ]


def _project_sections(
    df: pd.DataFrame, projects: list[str], dimensions: dict, context: Context | None
) -> list[ProjectSection]:
    coverage = {c.project: c for c in context.edition.coverage} if context else {}
    out = []
    for project in projects:
        mine = df[df["project"] == project]
        if mine.empty:
            continue
        top = mine[(mine["partner"] == ALL) & (mine["period"] == TOTAL) & (mine["dimension"] == TOTAL)]
        tables = [
            IndicatorSection(
                str(i),
                rows["name_ro"].iloc[0],
                rows["name_en"].iloc[0],
                None,
                [],
                [
                    _table_row(r)
                    for r in labels.reading_order(
                        rows, dimensions.get(str(i), ()), "category_code"
                    ).itertuples(index=False)
                ],
            )
            for i, rows in mine.groupby("indicator_id", sort=False)
        ]
        c = coverage.get(project)
        out.append(
            ProjectSection(
                project,
                labels.both(labels.project_label(project)),
                [_table_row(r) for r in top.itertuples(index=False)],
                tables,
                context.edition.coverage_text(c) if context and c else None,
            )
        )
    return out


def format_value(value: float, suppressed: bool = False) -> str:
    """Whole numbers without decimals, a narrow space between thousands (neutral between RO and EN)."""
    if suppressed:
        return SUPPRESSED
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.replace(",", "\u202f")


def _label(text: str) -> str:
    # Plotly reads a small HTML subset in labels (<b>, <a href>...): frame text must stay text.
    return html.escape(str(text), quote=False)


def _project_colors(df: pd.DataFrame) -> dict[str, str]:
    projects = sorted(p for p in df["project"].unique() if p != ALL)
    palette = qualitative.Safe  # colour-blind safe
    return {p: palette[i % len(palette)] for i, p in enumerate(projects)}


def _layout(title: str, height: int, **extra) -> dict:
    return {
        "title": {"text": _label(title)},
        "height": height,
        "template": "plotly_white",
        "margin": {"l": 60, "r": 20, "t": 60, "b": 60},
        "xaxis": {"automargin": True},
        "yaxis": {"automargin": True, "rangemode": "tozero"},
        "legend": {"title": {"text": "Proiect / Project"}},
        **extra,
    }


def _achievement_chart(targets: pd.DataFrame, colors: dict[str, str]) -> Chart:
    """Horizontal bars of achievement % per project and target, with the 100 % line."""
    traces = []
    for project, rows in targets.groupby("project", sort=True):
        names, hover, text = [], [], []
        for r in rows.itertuples(index=False):
            parts = [r.name_en]
            if r.dimension != TOTAL:
                parts.append(f"{labels.dimension_label(r.dimension)[1]}: {r.category}")
            if r.partner != ALL:
                parts.append(labels.partner_label(r.partner))
            if r.period != TOTAL:
                parts.append(r.period)
            names.append(_label(f"{project} · " + " · ".join(parts)))
            text.append(
                SUPPRESSED
                if r.suppressed
                else ("—" if math.isnan(r.achievement_pct) else f"{r.achievement_pct:.0f} %")
            )
            hover.append(
                _label(
                    f"{r.name_ro} / {r.name_en}: {format_value(r.value, r.suppressed)}"
                    f" / {format_value(r.target)}"
                )
            )
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": _label(project),
                "y": names,
                "x": rows["achievement_pct"].fillna(0).to_numpy(),
                "text": text,
                "textposition": "outside",
                "hovertext": hover,
                "hoverinfo": "text",
                "marker": {"color": colors.get(project, "#888")},
            }
        )
    title = "Realizare față de țintă (%) / Achievement against target (%)"
    layout = _layout(
        title,
        140 + 32 * len(targets),
        margin={"l": 320, "r": 60, "t": 60, "b": 50},
        xaxis={"title": {"text": "%"}, "rangemode": "tozero", "automargin": True},
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
        shapes=[
            {
                "type": "line",
                "x0": 100,
                "x1": 100,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"dash": "dash", "color": "#444"},
            }
        ],
    )
    return Chart("achievement", title, {"data": traces, "layout": layout})


def _trend_chart(indicator_id: str, rows: pd.DataFrame, colors: dict[str, str]) -> Chart | None:
    """Monthly values per project (partner ALL, undisaggregated); suppressed months are gaps.
    Final months make the solid line; a month that is not final is drawn dashed from its
    neighbours with an open (provisional) or crossed (incomplete) marker."""
    monthly = rows[
        (rows["project"] != ALL)
        & (rows["partner"] == ALL)
        & (rows["dimension"] == TOTAL)
        & (rows["category_code"] == TOTAL)
        & (rows["period"] != TOTAL)
    ]
    if monthly.empty:
        return None
    months = sorted(monthly["period"].unique())
    traces = []
    for project, part in monthly.groupby("project", sort=True):
        by_month = {r.period: r for r in part.itertuples(index=False)}
        values = [by_month[m].value if m in by_month else math.nan for m in months]
        status = [by_month[m].status if m in by_month else FINAL for m in months]
        hover = [
            f"{m}: {format_value(by_month[m].value, by_month[m].suppressed)} "
            f"({labels.both(STATUS_LABELS[s])})"
            if m in by_month
            else m
            for m, s in zip(months, status, strict=True)
        ]
        unfinished = [s != FINAL for s in status]
        near = [
            u or (k > 0 and unfinished[k - 1]) or (k + 1 < len(months) and unfinished[k + 1])
            for k, u in enumerate(unfinished)
        ]
        color = colors.get(project, "#888")
        common = {"type": "scatter", "x": months, "hovertext": hover, "hoverinfo": "text+name"}
        traces.append(
            {
                **common,
                "mode": "lines+markers",
                "name": _label(project),
                "legendgroup": _label(project),
                "y": [v if not u else math.nan for v, u in zip(values, unfinished, strict=True)],
                "line": {"color": color},
            }
        )
        if any(unfinished):
            traces.append(
                {
                    **common,
                    "mode": "lines+markers",
                    "name": _label(f"{project} (provizoriu / incomplet · provisional / incomplete)"),
                    "legendgroup": _label(project),
                    "y": [v if n else math.nan for v, n in zip(values, near, strict=True)],
                    "line": {"color": color, "dash": "dot"},
                    "marker": {"symbol": [_MARKERS[s] for s in status], "size": 9, "color": color},
                }
            )
    title = f"{rows['name_ro'].iloc[0]} / {rows['name_en'].iloc[0]} — lunar / monthly"
    layout = _layout(
        title,
        380,
        xaxis={"type": "category", "title": {"text": "Luna / Month"}, "automargin": True},
    )
    return Chart(f"trend-{indicator_id}", title, {"data": traces, "layout": layout})


def _breakdown_charts(indicator_id: str, rows: pd.DataFrame, colors: dict[str, str]) -> list[Chart]:
    """Grouped bars per category for each dimension (projects, partner ALL, whole period).

    A suppressed cell is drawn as a zero-height bar labelled "suppressed", never as a number.
    """
    totals = rows[
        (rows["project"] != ALL)
        & (rows["partner"] == ALL)
        & (rows["period"] == TOTAL)
        & (rows["dimension"] != TOTAL)
    ]
    charts = []
    for dimension, part in totals.groupby("dimension", sort=False):
        categories = list(dict.fromkeys(part["category"]))  # the frame is in reading order
        traces = []
        for project, cells in part.groupby("project", sort=True):
            by_category = {r.category: r for r in cells.itertuples(index=False)}
            shown = [by_category.get(c) for c in categories]
            traces.append(
                {
                    "type": "bar",
                    "name": _label(project),
                    "x": [_label(c) for c in categories],
                    "y": [0 if r is None or math.isnan(r.value) else r.value for r in shown],
                    "text": ["" if r is None else format_value(r.value, r.suppressed) for r in shown],
                    "textposition": "outside",
                    "cliponaxis": False,
                    "hoverinfo": "x+text+name",
                    "marker": {"color": colors.get(project, "#888")},
                }
            )
        title = (
            f"{rows['name_ro'].iloc[0]} / {rows['name_en'].iloc[0]} — "
            f"{labels.both(labels.dimension_label(str(dimension)))}"
        )
        layout = _layout(
            title,
            420,
            barmode="group",
            xaxis={"type": "category", "automargin": True, "tickangle": -30},
        )
        charts.append(
            Chart(f"breakdown-{indicator_id}-{dimension}", title, {"data": traces, "layout": layout})
        )
    return charts


def _table_row(r) -> dict:
    achievement = "" if math.isnan(r.achievement_pct) else f"{r.achievement_pct:.1f} %"
    return {
        "indicator_id": r.indicator_id,
        "name_ro": r.name_ro,
        "name_en": r.name_en,
        "project": r.project,
        "partner": labels.partner_label(r.partner),
        "period": labels.period_label(r.period),
        "dimension": labels.both(labels.dimension_label(r.dimension)),
        "category": r.category,
        "value": format_value(r.value, r.suppressed),
        "suppressed": r.suppressed,
        "target": "" if math.isnan(r.target) else format_value(r.target),
        "achievement": achievement,
        "status": r.status,
        "key": "|".join([r.indicator_id, r.project, r.partner, r.period, r.dimension, r.category_code]),
    }


def _summary(df: pd.DataFrame, projects: list[str]) -> list[dict]:
    """One line per indicator: its whole-period, undisaggregated value per project and overall."""
    top = df[
        (df["partner"] == ALL)
        & (df["period"] == TOTAL)
        & (df["dimension"] == TOTAL)
        & (df["category_code"] == TOTAL)
    ]
    lines = []
    for indicator_id, rows in df.groupby("indicator_id", sort=False):
        cells = {
            r.project: {
                "value": format_value(r.value, r.suppressed),
                "suppressed": r.suppressed,
                "status": r.status,
            }
            for r in top[top["indicator_id"] == indicator_id].itertuples(index=False)
        }
        lines.append(
            {
                "name_ro": rows["name_ro"].iloc[0],
                "name_en": rows["name_en"].iloc[0],
                "cells": [
                    cells.get(p, {"value": "—", "suppressed": False, "status": FINAL})
                    for p in [*projects, ALL]
                ],
            }
        )
    return lines
