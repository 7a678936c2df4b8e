"""A static HTML page of the published indicators, with charts, that opens from the file system.

Charts are plotly figures (a maintained library whose output is interactive and works
offline). plotly.js (~4.8 MB) is written once as ``plotly.min.js`` next to ``index.html`` and
loaded by a relative ``<script src>``, so the page needs neither a web server nor the internet.
Each figure travels as JSON in a ``<script type="application/json">`` block (jinja2's ``tojson``
escapes ``<``, ``>``, ``&`` and ``'``), and a few lines of JavaScript hand it to ``Plotly.newPlot``.
Everything else is rendered by the autoescaping template; the page shows only what is in the frame.
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

from inclusion_data.indicators.catalogue import ALL, TOTAL
from inclusion_data.indicators.suppression import SMALLEST_SHOWN

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


def write_html_report(
    frame: pd.DataFrame,
    directory: Path,
    title: str = "Indicatori de incluziune socială / Social-inclusion indicators",
) -> Path:
    """Write ``directory/index.html`` and ``directory/plotly.min.js``; return the page's path."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"indicator frame lacks columns: {', '.join(missing)}")
    df = frame[COLUMNS].copy()
    df["suppressed"] = df["suppressed"].fillna(False).astype(bool)
    for column in ("value", "target", "achievement_pct"):
        df[column] = pd.to_numeric(df[column], errors="coerce")
    # A suppressed value never reaches the page, whatever the frame holds.
    df.loc[df["suppressed"], ["value", "achievement_pct"]] = math.nan
    for column in (
        "indicator_id",
        "name_ro",
        "name_en",
        "project",
        "partner",
        "period",
        "dimension",
        "category",
    ):
        df[column] = df[column].astype(str)

    colors = _project_colors(df)
    sections = []
    for indicator_id, rows in df.groupby("indicator_id", sort=False):
        sections.append(
            IndicatorSection(
                indicator_id,
                rows["name_ro"].iloc[0],
                rows["name_en"].iloc[0],
                _trend_chart(indicator_id, rows, colors),
                _breakdown_charts(indicator_id, rows, colors),
                [_table_row(r) for r in rows.itertuples(index=False)],
            )
        )
    targets = df[df["target"].notna()]

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "plotly.min.js").write_text(get_plotlyjs(), "utf-8")
    page = directory / "index.html"
    page.write_text(
        _env.get_template("indicators_report.html").render(
            title=title,
            sections=sections,
            projects=sorted(colors),
            achievement=_achievement_chart(targets, colors) if len(targets) else None,
            target_rows=[_table_row(r) for r in targets.itertuples(index=False)],
            summary=_summary(df, sorted(colors)),
            config=_CONFIG,
            smallest_shown=SMALLEST_SHOWN,
        ),
        "utf-8",
    )
    return page


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
        "legend": {"title": {"text": "Proiect / Project"}},
        **extra,
    }


def _achievement_chart(targets: pd.DataFrame, colors: dict[str, str]) -> Chart:
    """Horizontal bars of achievement % per project and target, with the 100 % line."""
    traces = []
    for project, rows in targets.groupby("project", sort=True):
        labels, hover, text = [], [], []
        for r in rows.itertuples(index=False):
            parts = [r.name_en]
            if r.dimension != TOTAL:
                parts.append(f"{r.dimension}: {r.category}")
            if r.partner != ALL:
                parts.append(r.partner)
            if r.period != TOTAL:
                parts.append(r.period)
            labels.append(_label(f"{project} · " + " · ".join(parts)))
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
                "y": labels,
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
        xaxis={"title": {"text": "%"}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "type": "category"},
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
    """Monthly values per project (partner ALL, undisaggregated); suppressed months are gaps."""
    monthly = rows[
        (rows["project"] != ALL)
        & (rows["partner"] == ALL)
        & (rows["dimension"] == TOTAL)
        & (rows["category"] == TOTAL)
        & (rows["period"] != TOTAL)
    ]
    if monthly.empty:
        return None
    months = sorted(monthly["period"].unique())
    traces = []
    for project, part in monthly.groupby("project", sort=True):
        by_month = {r.period: r for r in part.itertuples(index=False)}
        values = [by_month[m].value if m in by_month else math.nan for m in months]
        hover = [
            f"{m}: {format_value(by_month[m].value, by_month[m].suppressed)}" if m in by_month else m
            for m in months
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _label(project),
                "x": months,
                "y": values,
                "hovertext": hover,
                "hoverinfo": "text+name",
                "line": {"color": colors.get(project, "#888")},
            }
        )
    title = f"{rows['name_ro'].iloc[0]} / {rows['name_en'].iloc[0]} — lunar / monthly"
    layout = _layout(
        title,
        360,
        xaxis={"type": "category", "title": {"text": "Luna / Month"}},
        yaxis={"rangemode": "tozero"},
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
        categories = list(dict.fromkeys(part["category"]))
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
        title = f"{rows['name_ro'].iloc[0]} / {rows['name_en'].iloc[0]} — {dimension}"
        layout = _layout(
            title, 380, barmode="group", xaxis={"type": "category"}, yaxis={"rangemode": "tozero"}
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
        "partner": r.partner,
        "period": r.period,
        "dimension": r.dimension,
        "category": r.category,
        "value": format_value(r.value, r.suppressed),
        "suppressed": r.suppressed,
        "target": "" if math.isnan(r.target) else format_value(r.target),
        "achievement": achievement,
    }


def _summary(df: pd.DataFrame, projects: list[str]) -> list[dict]:
    """One line per indicator: its whole-period, undisaggregated value per project and overall."""
    top = df[
        (df["partner"] == ALL)
        & (df["period"] == TOTAL)
        & (df["dimension"] == TOTAL)
        & (df["category"] == TOTAL)
    ]
    lines = []
    for indicator_id, rows in df.groupby("indicator_id", sort=False):
        cells = {
            r.project: {"value": format_value(r.value, r.suppressed), "suppressed": r.suppressed}
            for r in top[top["indicator_id"] == indicator_id].itertuples(index=False)
        }
        lines.append(
            {
                "name_ro": rows["name_ro"].iloc[0],
                "name_en": rows["name_en"].iloc[0],
                "cells": [cells.get(p, {"value": "—", "suppressed": False}) for p in [*projects, ALL]],
            }
        )
    return lines
