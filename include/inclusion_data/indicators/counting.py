"""Counting over integer-coded rows at every level and period at once, with numpy.

A unique count at a wider level is counted again, never summed from narrower ones. With the
rows sorted once by (key, category, project-partner, month), a row is the first of its key in
a group of (category), (category, project), (category, project, partner) or (category,
project, partner, month) exactly where that prefix changes from the previous row; a second
sort by (key, category, month, project) serves the two month levels across partners. So a
breakdown costs two sorts of one int64 array, not one hash aggregation per level and period.
SQL engines have no such shortcut (COUNT DISTINCT per grouping set is a sort each), hence this
module instead of GROUPING SETS; the SQL per-set queries remain as the reference it is tested
against (``computation.reference``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

# (by project, by partner, by month): every level and period an indicator is published at
LEVELS = (
    (True, True, True),
    (True, True, False),
    (True, False, True),
    (True, False, False),
    (False, False, True),
    (False, False, False),
)


@dataclass(frozen=True, eq=False)
class Grid:
    """Where the rows fall: project, partner and month codes (dense, from 0)."""

    project: np.ndarray
    partner: np.ndarray
    month: np.ndarray
    n_projects: int
    n_partners: int
    n_months: int

    @cached_property
    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each row's (project, partner) pair as a dense code ordered by project, and each
        pair's project and partner."""
        raw = self.project.astype(np.int64) * self.n_partners + self.partner
        present = np.bincount(raw, minlength=self.n_projects * self.n_partners) > 0
        code = np.cumsum(present) - 1
        pair_project, pair_partner = np.divmod(np.flatnonzero(present), self.n_partners)
        return code[raw], pair_project, pair_partner


@dataclass(frozen=True)
class Counted:
    """One level's groups: their codes (category, project, partner, month; -1 where the level
    does not split by it), the value, and how many rows each group holds."""

    category: np.ndarray
    project: np.ndarray
    partner: np.ndarray
    month: np.ndarray
    value: np.ndarray
    rows: np.ndarray


def first_in_runs(sorted_keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array starts."""
    out = np.empty(len(sorted_keys), dtype=bool)
    if len(out):
        out[0] = True
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=out[1:])
    return out


class _Level:
    """A level's dense group id ``category * size + group``, and its decoding."""

    def __init__(self, level, n_categories: int, grid: Grid, n_pairs: int, pair_project: np.ndarray):
        self.by_project, self.by_partner, self.by_month = level
        self.grid, self.n_pairs, self.pair_project = grid, n_pairs, pair_project
        place = n_pairs if self.by_partner else (grid.n_projects if self.by_project else 1)
        self.months = grid.n_months if self.by_month else 1
        self.size = place * self.months
        self.range = n_categories * self.size

    def ids(self, category, pair, project, month) -> np.ndarray:
        place = pair if self.by_partner else (project if self.by_project else 0)
        return (category * self.size + place * self.months + (month if self.by_month else 0)).astype(np.int64)

    def decode(self, ids: np.ndarray, pair_partner: np.ndarray) -> tuple[np.ndarray, ...]:
        category, rest = np.divmod(ids, self.size)
        place, month = np.divmod(rest, self.months)
        none = np.full(len(ids), -1)
        if self.by_partner:
            project, partner = self.pair_project[place], pair_partner[place]
        else:
            project, partner = (place if self.by_project else none), none
        return category, project, partner, (month if self.by_month else none)


def count(
    grid: Grid,
    category: np.ndarray,
    n_categories: int,
    key: np.ndarray | None = None,
    weight: np.ndarray | None = None,
) -> list[tuple[tuple[bool, bool, bool], Counted]]:
    """Every level's groups of rows with a category (code >= 0).

    The value is the number of distinct ``key`` codes (>= 0; -1 counts in no key) when a key
    is given, the sum of ``weight`` (NaN as 0) when weights are, else the number of rows.
    """
    pair, pair_project, pair_partner = grid.pairs
    project, month, n_pairs = grid.project, grid.month, len(pair_project)
    keep = category >= 0
    if not keep.all():  # rows without the category count in none of its groups
        project, month, pair, category = project[keep], month[keep], pair[keep], category[keep]
        key = None if key is None else key[keep]
        weight = None if weight is None else weight[keep]
    category = category.astype(np.int64, copy=False)
    levels = {lv: _Level(lv, n_categories, grid, n_pairs, pair_project) for lv in LEVELS}
    distinct = {}
    if key is not None:
        distinct = _distinct(key, category, pair, project, month, levels, n_categories, n_pairs, grid)
    out = []
    for lv, level in levels.items():
        ids = level.ids(category, pair, project, month)
        rows = np.bincount(ids, minlength=level.range)
        groups = np.flatnonzero(rows)
        if key is not None:
            value = distinct[lv][groups]
        elif weight is not None:
            value = np.bincount(ids, weights=np.nan_to_num(weight), minlength=level.range)[groups]
        else:
            value = rows[groups]
        category_of, project_of, partner_of, month_of = level.decode(groups, pair_partner)
        out.append((lv, Counted(category_of, project_of, partner_of, month_of, value, rows[groups])))
    return out


def bits(n: int) -> int:
    """How many bits hold the codes 0..n-1."""
    return max(1, (max(n, 1) - 1).bit_length())


def _distinct(key, category, pair, project, month, levels, n_categories, n_pairs, grid: Grid) -> dict:
    """Per level, the number of distinct keys in each group (indexed by the level's ids).
    Fields are packed into one int64 by bit shifts (cheaper than products and divisions)."""
    has = key >= 0
    key, category, pair, project, month = key[has], category[has], pair[has], project[has], month[has]
    key = key.astype(np.int64)
    bk = bits(int(key.max()) + 1 if len(key) else 1)
    bc, bp, bm, bpr = bits(n_categories), bits(n_pairs), bits(grid.n_months), bits(grid.n_projects)
    if bk + bc + max(bp + bm, bm + bpr) > 63:  # would overflow: each level by its own unique pairs
        return {lv: _distinct_by_unique(key, level.ids(category, pair, project, month), level.range)
                for lv, level in levels.items()}  # fmt: skip
    out = {}
    # sort 1: (key, category, pair, month) -> levels without a month split across partners
    packed = np.sort((key << (bc + bp + bm)) | (category << (bp + bm)) | (pair << bm) | month)
    key_category = packed >> (bp + bm)
    pair_s = (packed >> bm) & ((1 << bp) - 1)
    month_s = packed & ((1 << bm) - 1)
    category_s = key_category & ((1 << bc) - 1)
    project_s = levels[(True, True, True)].pair_project[pair_s]
    firsts = {
        (False, False, False): first_in_runs(key_category),
        (True, False, False): first_in_runs((key_category << bpr) | project_s),
        (True, True, False): first_in_runs(packed >> bm),
        (True, True, True): first_in_runs(packed),
    }
    for lv, first in firsts.items():
        ids = levels[lv].ids(category_s[first], pair_s[first], project_s[first], month_s[first])
        out[lv] = np.bincount(ids, minlength=levels[lv].range)
    # sort 2: (key, category, month, project) -> the month levels above partners
    packed = np.sort((key << (bc + bm + bpr)) | (category << (bm + bpr)) | (month << bpr) | project)
    category_s = (packed >> (bm + bpr)) & ((1 << bc) - 1)
    month_s = (packed >> bpr) & ((1 << bm) - 1)
    project_s = packed & ((1 << bpr) - 1)
    for lv, first in (
        ((False, False, True), first_in_runs(packed >> bpr)),
        ((True, False, True), first_in_runs(packed)),
    ):
        ids = levels[lv].ids(category_s[first], 0, project_s[first], month_s[first])
        out[lv] = np.bincount(ids, minlength=levels[lv].range)
    return out


def _distinct_by_unique(key: np.ndarray, ids: np.ndarray, size: int) -> np.ndarray:
    pairs = np.unique(np.stack([ids, key], axis=1), axis=0)
    return np.bincount(pairs[:, 0], minlength=size)
