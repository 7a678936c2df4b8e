"""Indicators computed from the warehouse's accepted rows, by the catalogue in ``indicators.yaml``.

Each dataset's rows are read once (``facts``) and every indicator of it is counted at each
level (project and partner, project, all projects) and period (month, whole span) and
breakdown in one pass (``counting``): a unique count at a wider level is counted again, never
summed from narrower ones, so a person counts once however many partners, projects or months
served them. ``reference`` computes the same values with one SQL GROUP BY per set; the tests
hold the two equal on SQLite and PostgreSQL.

Every value carries ``rows``, how many accepted rows its group holds: what lets ``incremental``
add and subtract submissions and drop a group that no row is left in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select

from inclusion_data.indicators.catalogue import ALL, TOTAL, Indicator, catalogue
from inclusion_data.indicators.counting import Grid, count
from inclusion_data.indicators.facts import Facts, fetch, rows_query
from inclusion_data.indicators.targets import targets, with_targets
from inclusion_data.submissions.outcome import ACCEPTED
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.load import bulk_insert_frame

KEYS = ["indicator_id", "project", "partner", "period", "dimension", "category"]
VALUE_COLUMNS = [*KEYS, "value", "rows"]
OVERLAP_KEYS = ["indicator_id", "partner_a", "partner_b"]


def by_dataset() -> dict[str, list[Indicator]]:
    out: dict[str, list[Indicator]] = {}
    for indicator in catalogue().values():
        out.setdefault(indicator.dataset, []).append(indicator)
    return out


def accepted(table):
    """Rows of accepted submissions (not rejected, superseded or a nil return)."""
    s = schema.submissions
    return table.c.submission_id.in_(select(s.c.id).where(s.c.status == ACCEPTED))


def read_facts(conn: Connection, dataset: str, where, indicators: list[Indicator] | None = None) -> Facts:
    """The rows ``where`` selects, with the columns ``indicators`` (default: all of the
    dataset's) read."""
    chosen = by_dataset()[dataset] if indicators is None else indicators
    query, coded, numbers = rows_query(chosen, schema.dataset_tables[dataset], where)
    return fetch(conn, query, coded, numbers)


def _filtered(indicator: Indicator, facts: Facts) -> Facts:
    keep = np.ones(facts.n, dtype=bool)
    for column, value in indicator.filters.items():
        wanted = [
            str(v).lower() if isinstance(v, bool) else str(v)
            for v in (value if isinstance(value, list) else [value])
        ]
        keep &= facts.coded[f"filter_{column}"].mask(wanted)
    return facts if keep.all() else facts.take(keep)


def _pair_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One code per (a, b) where both are known, -1 elsewhere."""
    both = (a >= 0) & (b >= 0)
    out = np.full(len(a), -1, dtype=np.int64)
    if both.any():
        out[both] = np.unique(a[both] * (int(b.max()) + 1) + b[both], return_inverse=True)[1].ravel()
    return out


def _key(indicator: Indicator, facts: Facts) -> np.ndarray | None:
    measure = indicator.measure
    if measure == "distinct_persons":
        return facts.coded["person_key"].codes
    if measure == "distinct_localities":
        return facts.coded["locality_siruta"].codes
    if measure == "distinct_events":
        return facts.coded["event_key"].codes
    if measure == "distinct_participations":  # a person at two events counts twice, at one once
        return _pair_codes(facts.coded["event_key"].codes, facts.coded["person_key"].codes)
    return None


def _grid(facts: Facts) -> Grid:
    p, q, m = (facts.coded[c] for c in ("project", "partner", "period"))
    return Grid(p.codes, q.codes, m.codes, len(p.values), len(q.values), len(m.values))


def _labels(coded_values: list, codes: np.ndarray, rolled: str) -> np.ndarray:
    """Values for codes, ``rolled`` (ALL or total) where a level does not split (-1)."""
    return np.array([*coded_values, rolled], dtype=object)[codes]


def _frame(indicator: Indicator, facts: Facts, dimension: str, categories: list, counted) -> pd.DataFrame:
    parts = []
    for _, c in counted:
        parts.append(
            pd.DataFrame(
                {
                    "indicator_id": indicator.id,
                    "project": _labels(facts.coded["project"].values, c.project, ALL),
                    "partner": _labels(facts.coded["partner"].values, c.partner, ALL),
                    "period": _labels(facts.coded["period"].values, c.month, TOTAL),
                    "dimension": dimension,
                    "category": _labels(categories, c.category, TOTAL),
                    "value": c.value.astype(float),
                    "rows": c.rows.astype(np.int64),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=VALUE_COLUMNS)


def _threshold(indicator: Indicator, facts: Facts, grid: Grid) -> pd.DataFrame:
    """How many services reached at least N persons in at least M localities (0 included)."""
    per = facts.coded[f"dim_{indicator.threshold['per']}"]
    codes = np.where(per.codes >= 0, per.codes, len(per.values))  # a missing value is a group too
    n = len(per.values) + 1
    persons = count(grid, codes, n, key=facts.coded["person_key"].codes)
    localities = count(grid, codes, n, key=facts.coded["locality_siruta"].codes)
    parts = []
    for (_, p), (_, loc) in zip(persons, localities, strict=True):
        meets = (p.value >= indicator.threshold["min_persons"]) & (
            loc.value >= indicator.threshold["min_localities"]
        )
        groups = pd.DataFrame({"project": p.project, "partner": p.partner, "month": p.month,
                               "value": meets.astype(float), "rows": p.rows})  # fmt: skip
        summed = groups.groupby(["project", "partner", "month"], as_index=False).sum()
        parts.append(
            pd.DataFrame(
                {
                    "indicator_id": indicator.id,
                    "project": _labels(facts.coded["project"].values, summed.project.to_numpy(), ALL),
                    "partner": _labels(facts.coded["partner"].values, summed.partner.to_numpy(), ALL),
                    "period": _labels(facts.coded["period"].values, summed.month.to_numpy(), TOTAL),
                    "dimension": TOTAL,
                    "category": TOTAL,
                    "value": summed.value.to_numpy(),
                    "rows": summed.rows.to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def values(indicator: Indicator, facts: Facts) -> pd.DataFrame:
    """Every level, period and breakdown of ``indicator`` over ``facts`` (VALUE_COLUMNS)."""
    facts = _filtered(indicator, facts)
    if not facts.n:  # a count over no row is 0 (as SQL's aggregate without GROUP BY says)
        return pd.DataFrame(columns=VALUE_COLUMNS) if indicator.threshold else grand_total(indicator)
    grid = _grid(facts)
    if indicator.threshold:
        return _threshold(indicator, facts, grid)
    key = _key(indicator, facts)
    weight = facts.numbers.get(f"sum_{indicator.measure.removeprefix('sum:')}")
    frames = [_frame(indicator, facts, TOTAL, [], count(grid, np.zeros(facts.n, np.int64), 1, key, weight))]
    for name in indicator.breakdowns:
        category = facts.coded[f"dim_{name}"]
        counted = count(grid, category.codes, len(category.values), key, weight)
        frames.append(_frame(indicator, facts, name, category.values, counted))
    return pd.concat(frames, ignore_index=True)


def grand_total(indicator: Indicator) -> pd.DataFrame:
    """The value across projects, partners and the span, 0: published even with no row."""
    return pd.DataFrame([[indicator.id, ALL, ALL, TOTAL, TOTAL, TOTAL, 0.0, 0]], columns=VALUE_COLUMNS)


def is_grand_total(frame: pd.DataFrame) -> pd.Series:
    return (
        (frame.project == ALL) & (frame.partner == ALL) & (frame.period == TOTAL) & (frame.dimension == TOTAL)
    )


def overlaps(indicator: Indicator, facts: Facts) -> pd.DataFrame:
    """Persons ``indicator`` counts at both partners of each pair (partner_a < partner_b)."""
    facts = _filtered(indicator, facts)
    partner, person = facts.coded["partner"], facts.coded["person_key"]
    seen = pd.DataFrame({"partner": partner.codes, "person": person.codes}).drop_duplicates()
    shared = seen[seen.person.duplicated(keep=False)]
    pairs = shared.merge(shared, on="person")
    names = np.array(partner.values, dtype=object)
    pairs = pairs.assign(
        partner_a=names[pairs.partner_x.to_numpy()], partner_b=names[pairs.partner_y.to_numpy()]
    )
    pairs = pairs[pairs.partner_a < pairs.partner_b]
    counted = pairs.groupby(["partner_a", "partner_b"], as_index=False).person.nunique()
    return counted.rename(columns={"person": "persons"}).assign(indicator_id=indicator.id)[
        [*OVERLAP_KEYS, "persons"]
    ]


def compute_all(conn: Connection, where=accepted) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every indicator value and partner overlap over the rows ``where(table)`` selects."""
    found, shared = [], []
    for dataset, indicators in by_dataset().items():
        facts = read_facts(conn, dataset, where(schema.dataset_tables[dataset]))
        for indicator in indicators:
            found.append(values(indicator, facts))
            if indicator.measure == "distinct_persons":
                shared.append(overlaps(indicator, facts))
    return (
        pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=VALUE_COLUMNS),
        pd.concat(shared, ignore_index=True) if shared else pd.DataFrame(columns=[*OVERLAP_KEYS, "persons"]),
    )


def compute(engine: Engine) -> list[dict]:
    """Every indicator value (KEYS and value), as ``reference.reference_values`` gives them."""
    with engine.connect() as conn:
        frame, _ = compute_all(conn)
    return frame[[*KEYS, "value"]].to_dict("records")


def write_values(conn: Connection, frame: pd.DataFrame) -> None:
    """Insert indicator rows (VALUE_COLUMNS) with their targets, in bulk."""
    if not len(frame):
        return
    out = frame[VALUE_COLUMNS].assign(target=np.nan, achievement_pct=np.nan)
    keyed = out.set_index(KEYS).index
    targeted = np.flatnonzero(keyed.isin(list(targets())))
    if len(targeted):  # few rows: the one rule of with_targets, row by row
        rows = with_targets(out.iloc[targeted][VALUE_COLUMNS].to_dict("records"))
        out.iloc[targeted, out.columns.get_loc("target")] = [r["target"] for r in rows]
        out.iloc[targeted, out.columns.get_loc("achievement_pct")] = [r["achievement_pct"] for r in rows]
    bulk_insert_frame(conn, schema.indicator_values.name, out)


def write_overlaps(conn: Connection, frame: pd.DataFrame) -> None:
    bulk_insert_frame(
        conn, schema.partner_overlaps.name, frame[[*OVERLAP_KEYS, "persons"]].astype({"persons": "int64"})
    )


def rebuild(conn: Connection) -> int:
    """Recompute ``indicator_values`` and ``partner_overlaps`` whole, in ``conn``'s transaction."""
    frame, shared = compute_all(conn)
    conn.execute(schema.indicator_values.delete())
    conn.execute(schema.partner_overlaps.delete())
    write_values(conn, frame)
    write_overlaps(conn, shared)
    return len(frame)
