"""The attacker's audit of a publication: how narrowly can each suppressed cell be pinned down
from everything the publication shows?

The attacker knows every published cell and how the cells of one indicator relate:

- a cell broken down (partners of a project, projects of the network, months of the period,
  the categories of one breakdown) is related to its parent. Where the parts add up to the
  parent in the warehouse, the attacker is assumed to know it (an equality: a definition such
  as "one sex per person", or ``counted_more_than_once = 0`` in ``reach.csv``, can tell them);
  elsewhere only what holds for any distinct count: the parent is at least its largest part
  and at most the sum of its parts;
- ``reach.csv``'s gross reach is the sum of the project-partner totals;
- published partner overlaps (the internal ``partner_overlaps.csv``, if it ever went public)
  bound how far a project's count falls below the sum of its partners';
- a suppressed cell is a row, so it counts at least one person.

From these, linear programming (HiGHS, through its own ``highspy`` so that one model is
solved for every cell from the last basis) gives the lowest and
highest value each suppressed cell can take. A cell whose interval is narrower than the
protection width (``INCLUSION_PROTECTION_WIDTH``, default 5) is disclosed. The LP relaxation
ignores that counts are whole numbers, so a real attacker's interval can only be narrower
by rounding; the width check allows for that by comparing the rounded-inwards interval.

Cells are split into independent components (suppressed cells sharing no relation cannot
inform each other), and the LPs are solved per component on sparse matrices.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
from scipy.sparse import csc_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from inclusion_data.indicators.catalogue import ALL, TOTAL, catalogue

DEFAULT_PROTECTION_WIDTH = 5.0
SMALL_COUNT_LIMIT = 5  # person counts below it (and above 0) are the sensitive cells
SPREAD_DIRECTIONS = 3  # random signed sums solved before the per-cell LPs (see _spread)
KEYS = ["indicator_id", "project", "partner", "period", "dimension", "category"]


def protection_width() -> float:
    """How wide the narrowest interval an attacker can pin a suppressed cell to must be."""
    return float(os.environ.get("INCLUSION_PROTECTION_WIDTH", DEFAULT_PROTECTION_WIDTH))


@dataclass(frozen=True)
class Relation:
    """``sum(coefficients * cells) (== or >=) rhs`` over rows of the audited frame."""

    cells: tuple[int, ...]
    coefficients: tuple[float, ...]
    equality: bool
    rhs: float = 0.0
    group: tuple = ()  # the parent cell and the kind of link, to choose complementary cells


def person_rows(frame: pd.DataFrame) -> pd.Series:
    persons = {i.id for i in catalogue().values() if i.counts_persons}
    return frame["indicator_id"].isin(persons)


def _links(frame: pd.DataFrame):
    """(kind, parent row, child rows) for every parent cell and its breakdown into parts."""
    f = frame.reset_index(drop=True)
    position = {tuple(k): i for i, k in enumerate(f[KEYS].itertuples(index=False, name=None))}

    def parent_of(children: pd.DataFrame, **fixed):
        for key, rows in children.groupby([k for k in KEYS if k not in fixed], sort=False, dropna=False):
            full = dict(zip([k for k in KEYS if k not in fixed], key, strict=True)) | fixed
            parent = position.get(tuple(full[k] for k in KEYS))
            if parent is not None:
                yield parent, rows.index.to_numpy()

    partners = f[(f.project != ALL) & (f.partner != ALL)]
    for parent, children in parent_of(partners, partner=ALL):
        yield "partners", parent, children
    projects = f[(f.project != ALL) & (f.partner == ALL)]
    for parent, children in parent_of(projects, project=ALL):
        yield "projects", parent, children
    months = f[f.period != TOTAL]
    for parent, children in parent_of(months, period=TOTAL):
        yield "months", parent, children
    broken = f[f.dimension != TOTAL]
    for dimension, rows in broken.groupby("dimension", sort=False):
        for parent, children in _category_links(rows, position):
            yield f"categories:{dimension}", parent, children


def _category_links(rows: pd.DataFrame, position: dict):
    for key, children in rows.groupby(["indicator_id", "project", "partner", "period"], sort=False):
        parent = position.get((*key, TOTAL, TOTAL))
        if parent is not None:
            yield parent, children.index.to_numpy()


def relations(
    exact: pd.DataFrame, reach: pd.DataFrame | None = None, overlaps: pd.DataFrame | None = None
) -> list[Relation]:
    """What an attacker may know of how the cells of ``exact`` (the warehouse's values, rows in
    audit order) relate; ``reach`` and ``overlaps`` as published, if they are."""
    exact = exact.reset_index(drop=True)
    values = exact["value"].to_numpy(dtype=float)
    out: list[Relation] = []
    overlap = _overlap_lookup(overlaps)
    links = list(_links(exact))
    additive = _additive(exact, values, links, reach)
    for kind, parent, children in links:
        cells = (*children.tolist(), parent)
        group = (kind, parent)
        if (exact.at[parent, "indicator_id"], kind) in additive:
            out.append(Relation(cells, (1.0,) * len(children) + (-1.0,), True, 0.0, group))
            continue
        out.append(Relation(cells, (1.0,) * len(children) + (-1.0,), False, 0.0, group))
        for child in children:  # the parent is at least its largest part
            out.append(Relation((parent, int(child)), (1.0, -1.0), False, 0.0, group))
        if kind == "partners" and overlap is not None:
            indicator = exact.at[parent, "indicator_id"]
            names = exact.loc[children, "partner"].tolist()
            shared = sum(
                overlap.get((indicator, *sorted((a, b))), 0.0)
                for i, a in enumerate(names)
                for b in names[i + 1 :]
            )
            # |A ∪ B ∪ ...| >= sum |A| - sum |A ∩ B|, and a cell's overlap is within the total's
            out.append(Relation(cells, (-1.0,) * len(children) + (1.0,), False, -shared, group))
    if reach is not None:
        for r in reach.itertuples(index=False):
            mine = exact[
                (exact.indicator_id == r.indicator_id)
                & (exact.project != ALL)
                & (exact.partner != ALL)
                & (exact.period == TOTAL)
                & (exact.dimension == TOTAL)
            ].index
            if len(mine):
                cells = tuple(int(i) for i in mine)
                out.append(Relation(cells, (1.0,) * len(cells), True, float(r.gross_reach), ("reach", -1)))
    return out


def _additive(exact: pd.DataFrame, values: np.ndarray, links: list, reach: pd.DataFrame | None) -> set:
    """(indicator, kind of link) whose parts always add up to the parent, as far as the attacker
    can know it: a breakdown that adds up everywhere (one sex, one age group per person; seen
    in every fully published group), and partners and projects of an indicator whose reach
    shows nobody counted twice (``counted_more_than_once = 0``: all their sets are disjoint)."""
    broken: set = set()
    seen: set = set()
    for kind, parent, children in links:
        key = (exact.at[parent, "indicator_id"], kind)
        seen.add(key)
        if not math.isclose(values[children].sum(), values[parent]):
            broken.add(key)
    disjoint = (
        set() if reach is None else set(reach.loc[reach["counted_more_than_once"] == 0, "indicator_id"])
    )
    return {
        (indicator, kind)
        for indicator, kind in seen - broken
        if kind.startswith("categories:") or (kind in ("partners", "projects") and indicator in disjoint)
    }


def _overlap_lookup(overlaps: pd.DataFrame | None) -> dict | None:
    """Published overlaps by (indicator, partner, partner); a pair not listed shares nobody."""
    if overlaps is None:
        return None
    return {
        (r.indicator_id, *sorted((r.partner_a, r.partner_b))): float(r.persons)
        for r in overlaps.itertuples(index=False)
        if not pd.isna(r.persons)
    }


@dataclass(frozen=True)
class Interval:
    cell: int
    lower: float
    upper: float

    @property
    def width(self) -> float:
        """The span of the whole numbers the cell can take (counts are whole)."""
        if math.isinf(self.upper):
            return math.inf
        return math.floor(self.upper + 1e-6) - math.ceil(self.lower - 1e-6)


def _reduce(relation: Relation, suppressed: np.ndarray, values: np.ndarray):
    """The relation over suppressed cells only, published ones moved to the right-hand side."""
    hidden = [(c, a) for c, a in zip(relation.cells, relation.coefficients, strict=True) if suppressed[c]]
    known = sum(
        a * values[c] for c, a in zip(relation.cells, relation.coefficients, strict=True) if not suppressed[c]
    )
    return hidden, relation.rhs - known


def audit(
    values: np.ndarray,
    suppressed: np.ndarray,
    rules: list[Relation],
    width: float | None = None,
    cache: dict | None = None,
) -> list[Interval]:
    """The interval each suppressed cell can be pinned to: exact (min and max by LP) where it
    is narrower than ``width``; where it is not, possibly only a part of it already at least
    ``width`` wide (two feasible solutions that far apart prove the cell protected, and save
    the LPs). ``cache`` (kept between calls) skips components that did not change."""
    width = protection_width() if width is None else width
    cells = np.flatnonzero(suppressed)
    if not len(cells):
        return []
    local = {int(c): i for i, c in enumerate(cells)}
    reduced = []
    edges_a, edges_b = [], []
    for rule in rules:
        hidden, rhs = _reduce(rule, suppressed, values)
        if not hidden:
            continue
        reduced.append((hidden, rhs, rule.equality))
        first = local[hidden[0][0]]
        for c, _ in hidden[1:]:
            edges_a.append(first)
            edges_b.append(local[c])
    n = len(cells)
    graph = csr_matrix((np.ones(len(edges_a)), (edges_a, edges_b)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    by_component: dict[int, list] = {}
    for hidden, rhs, equality in reduced:
        by_component.setdefault(int(label[local[hidden[0][0]]]), []).append((hidden, rhs, equality))
    out = []
    for component in range(label.max() + 1):
        members = cells[label == component]
        constraints = by_component.get(component, [])
        key = (width, tuple(members.tolist()), tuple((tuple(h), r, e) for h, r, e in constraints))
        if cache is not None and key in cache:
            out += cache[key]
            continue
        result = _solve(members, constraints, width)
        if cache is not None:
            cache[key] = result
        out += result
    return out


def _wide(lower: float, upper: float, width: float) -> bool:
    """Whether the whole numbers in [lower, upper] span at least ``width``."""
    if math.isinf(upper) and upper > 0 and not math.isinf(lower):
        return True
    if not (math.isfinite(lower) and math.isfinite(upper)):
        return False  # nothing seen yet
    return math.floor(upper + 1e-6) - math.ceil(lower - 1e-6) >= width - 1e-9


def _model(members: np.ndarray, constraints: list):
    """One HiGHS model per component: the cells' relations as rows, each cell at least 1 (a
    suppressed cell is a row, so it counts at least one person). Solved again and again with
    another objective, from the previous basis (far faster than a fresh ``linprog`` each time)."""
    index = {int(c): i for i, c in enumerate(members)}
    n = len(members)
    rows, cols, vals, lower, upper = [], [], [], [], []
    for r, (hidden, rhs, equality) in enumerate(constraints):
        for c, a in hidden:
            rows.append(r)
            cols.append(index[c])
            vals.append(a)
        lower.append(rhs)
        upper.append(rhs if equality else highspy.kHighsInf)
    matrix = csc_matrix((vals, (rows, cols)), shape=(len(constraints), n))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, len(constraints)
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = np.ones(n)
    lp.col_upper_ = np.full(n, highspy.kHighsInf)
    lp.row_lower_, lp.row_upper_ = np.array(lower, dtype=float), np.array(upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.passModel(lp)
    return solver


def _solve(members: np.ndarray, constraints: list, width: float) -> list[Interval]:
    n = len(members)
    solver = _model(members, constraints)
    seen_low = np.full(n, math.inf)
    seen_high = np.full(n, -math.inf)
    lower = np.full(n, math.nan)
    upper = np.full(n, math.nan)

    def solve(i: int, sense) -> float:
        solver.changeColCost(i, 1.0)
        solver.changeObjectiveSense(sense)
        solver.run()
        status = solver.getModelStatus()
        solver.changeColCost(i, 0.0)
        if status == highspy.HighsModelStatus.kUnbounded:  # nothing caps this cell
            return math.inf
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"disclosure audit: the LP failed ({solver.modelStatusToString(status)})")
        point = np.asarray(solver.getSolution().col_value)
        np.minimum(seen_low, point, out=seen_low)  # every solution is a point the cells can take
        np.maximum(seen_high, point, out=seen_high)
        return float(point[i])

    # a few points first where many cells go as low or as high as they can together: they
    # prove most cells wide at once and leave the per-cell LPs to the few that may be narrow
    # (on the demo's publication: audit 25 s -> 8 s, suppression 29 s -> 13 s, same cells)
    _spread(solver, n, seen_low, seen_high)
    for i in range(n):
        if _wide(seen_low[i], seen_high[i], width):
            continue
        lower[i] = solve(i, highspy.ObjSense.kMinimize)
        if _wide(lower[i], seen_high[i], width):
            continue
        upper[i] = solve(i, highspy.ObjSense.kMaximize)
    return [
        Interval(
            int(cell),
            seen_low[i] if math.isnan(lower[i]) else lower[i],
            seen_high[i] if math.isnan(upper[i]) else upper[i],
        )
        for i, cell in enumerate(members)
    ]


def _spread(solver, n: int, seen_low: np.ndarray, seen_high: np.ndarray) -> None:
    """Solve for the lowest and highest sum of all cells, then of a few random signed sums
    (some cells pushed up while others go down), and note every point reached."""
    everything = np.arange(n, dtype=np.int32)
    rng = np.random.default_rng(0)  # fixed: the same publication is audited the same way
    directions = [np.ones(n)] + [rng.choice([-1.0, 1.0], n) for _ in range(SPREAD_DIRECTIONS)]
    for d in directions:
        solver.changeColsCost(n, everything, d)
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            solver.changeObjectiveSense(sense)
            solver.run()
            if solver.getModelStatus() == highspy.HighsModelStatus.kOptimal:  # the sum may be unbounded
                point = np.asarray(solver.getSolution().col_value)
                np.minimum(seen_low, point, out=seen_low)
                np.maximum(seen_high, point, out=seen_high)
    solver.changeColsCost(n, everything, np.zeros(n))


def disclosed(
    intervals: list[Interval], width: float | None = None, attainable: dict[int, float] | None = None
) -> list[Interval]:
    """Cells an attacker can pin to an interval narrower than the protection width. Counts are
    whole numbers, so the interval is first rounded inwards to the integers it holds."""
    width = protection_width() if width is None else width
    attainable = attainable or {}
    return [i for i in intervals if i.width < min(width, attainable.get(i.cell, width)) - 1e-9]


def attainable_widths(values: np.ndarray, public: np.ndarray, rules: list[Relation], width: float) -> dict:
    """The widest interval each cell could have if every cell but ``public`` (the figures a
    publication cannot withhold) were withheld: where a project's whole total is 6 people,
    no breakdown of it can be wider than that allows."""
    return {i.cell: i.width for i in audit(values, ~public, rules, width)}


class DisclosureError(RuntimeError):
    """A table set that would let an attacker narrow a small count: it is not published."""


def audit_publication(
    exact: pd.DataFrame,
    public: pd.DataFrame,
    reach: pd.DataFrame | None = None,
    overlaps: pd.DataFrame | None = None,
    width: float | None = None,
) -> pd.DataFrame:
    """Every withheld small count (1 to 4 persons) of ``public`` that the attacker can pin to
    an interval narrower than the protection width (or than the published totals allow at
    all), with that interval. ``exact`` holds the warehouse's values of the same rows."""
    width = protection_width() if width is None else width
    keep = person_rows(exact).to_numpy()
    people = exact[keep].reset_index(drop=True)
    withheld = public["suppressed"].to_numpy(dtype=bool)[keep]
    values = people["value"].to_numpy(dtype=float)
    rules = relations(people, reach, overlaps)
    headline = ((people.partner == ALL) & (people.period == TOTAL) & (people.dimension == TOTAL)).to_numpy()
    intervals = audit(values, withheld, rules, width)
    small = (values >= 1) & (values < SMALL_COUNT_LIMIT)
    narrow = [i for i in disclosed(intervals, width) if small[i.cell]]
    if narrow:  # the publication can only be asked to do as well as its published totals allow
        attainable = attainable_widths(values, headline & ~small, rules, width)
        narrow = [i for i in narrow if i.width < min(width, attainable[i.cell]) - 1e-9]
    rows = people.loc[[i.cell for i in narrow], KEYS].assign(
        lower=[i.lower for i in narrow], upper=[i.upper for i in narrow]
    )
    return rows.reset_index(drop=True)
