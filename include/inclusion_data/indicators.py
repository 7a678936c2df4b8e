"""Indicators computed in SQL on the warehouse, from the catalogue in ``indicators.yaml``.

Every value is one GROUP BY over accepted submissions, at each level (project and partner,
project, all projects) and period (month, whole span): a unique count at a wider level is
counted again, never summed from narrower ones, so a person counts once however many
partners, projects or months served them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

import yaml
from sqlalchemy import Engine, func, insert, literal, select

from .warehouse import schema
from .warehouse.load import ACCEPTED

ALL = "ALL"
TOTAL = "total"


@dataclass(frozen=True)
class Indicator:
    id: str
    name_ro: str
    name_en: str
    definition_en: str
    definition_ro: str
    dataset: str
    measure: str
    filters: dict = field(default_factory=dict)
    dimensions: tuple[str, ...] = ()


@cache
def catalogue() -> dict[str, Indicator]:
    raw = yaml.safe_load(files(__package__).joinpath("indicators.yaml").read_text("utf-8"))
    return {key: Indicator(id=key, **{**spec, "filters": spec.get("filters", {}),
                                      "dimensions": tuple(spec.get("dimensions", ()))})
            for key, spec in raw.items()}


def _measure(indicator: Indicator, table):
    if indicator.measure == "distinct_persons":
        return func.count(table.c.person_key.distinct())
    if indicator.measure == "distinct_localities":
        return func.count(table.c.locality_siruta.distinct())
    if indicator.measure == "rows":
        return func.count()
    if indicator.measure.startswith("sum:"):
        return func.coalesce(func.sum(table.c[indicator.measure.removeprefix("sum:")]), 0)
    raise ValueError(f"{indicator.id}: unknown measure {indicator.measure}")


_LEVELS = ((True, True), (True, False), (False, False))  # (by project, by partner)


def _queries(indicator: Indicator):
    table = schema.dataset_tables[indicator.dataset]
    s = schema.submissions
    base = table.join(s, (s.c.id == table.c.submission_id) & (s.c.status == ACCEPTED))
    for by_project, by_partner in _LEVELS:
        for by_month in (True, False):
            for dimension in (TOTAL, *indicator.dimensions):
                grouped = {"project": by_project, "partner": by_partner, "period": by_month,
                           dimension: dimension != TOTAL}
                keys = [table.c[name] if grouped[name] else literal(ALL if name in ("project", "partner") else TOTAL)
                        for name in ("project", "partner", "period", dimension)]
                query = select(keys[0], keys[1], keys[2], literal(dimension), keys[3],
                               _measure(indicator, table)).select_from(base)
                for column, value in indicator.filters.items():
                    query = query.where(table.c[column] == value)
                if dimension != TOTAL:
                    query = query.where(table.c[dimension].is_not(None))
                grouping = [table.c[name] for name, on in grouped.items() if on]
                yield query.group_by(*grouping) if grouping else query


def build_indicator_values(engine: Engine) -> int:
    """Recompute ``indicator_values`` from the warehouse in one transaction; returns row count."""
    rows = []
    with engine.begin() as conn:
        for indicator in catalogue().values():
            for query in _queries(indicator):
                for project, partner, period, dimension, category, value in conn.execute(query):
                    rows.append({"indicator_id": indicator.id, "project": project, "partner": partner,
                                 "period": period, "dimension": dimension,
                                 "category": str(category), "value": float(value)})
        conn.execute(schema.indicator_values.delete())
        if rows:
            conn.execute(insert(schema.indicator_values), rows)
    return len(rows)


def published_on() -> str:
    return dt.date.today().isoformat()
