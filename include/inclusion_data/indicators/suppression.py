"""Small-cell suppression for public outputs; the warehouse keeps exact values.

Primary: every person count from 1 to 4 is withheld, whatever the cell (a partner's month, a
category of a breakdown). Secondary: the attacker's audit (``disclosure_audit``) is run on
everything the publication shows; for every small count it can still pin to an interval
narrower than the protection width (or than the published totals allow at all: a breakdown
of a project of 6 people cannot be wider than 1 to 6), the smallest published cell that
shares a relation with it (a sibling in the same breakdown, else its parent; further out
when those are withheld already) is withheld too, and the audit runs again, until it finds
nothing. Cells withheld to protect others hold 5 or more people: they need no protection of
their own (the audit still reports their intervals). The network's and the projects' whole-period totals are
withheld only when nothing else would do. Hand-written around the audit: sdcMicro and
tau-argus (the standard tools) are R/Java programs for microdata and hierarchical tables of
one kind, not for linked distinct counts.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from inclusion_data.indicators.catalogue import ALL, TOTAL
from inclusion_data.indicators.disclosure_audit import (
    SMALL_COUNT_LIMIT,
    attainable_widths,
    audit,
    disclosed,
    person_rows,
    protection_width,
    relations,
)

SMALLEST_SHOWN = SMALL_COUNT_LIMIT
MAX_ROUNDS = 200


class SuppressionError(RuntimeError):
    """No set of withheld cells protects every small count (should not happen: say so)."""


def primary(frame: pd.DataFrame) -> pd.Series:
    return person_rows(frame) & frame["value"].between(1, SMALLEST_SHOWN - 1)


def _headline(frame: pd.DataFrame) -> np.ndarray:
    """Whole-period totals of a project or the network: withheld only as a last resort."""
    return ((frame.partner == ALL) & (frame.period == TOTAL) & (frame.dimension == TOTAL)).to_numpy()


def protect(
    people: pd.DataFrame, reach: pd.DataFrame | None = None, width: float | None = None
) -> np.ndarray:
    """Which cells of ``people`` (person-count rows, exact values) to withhold so that the
    audit pins none narrower than ``width``."""
    people = people.reset_index(drop=True)
    width = protection_width() if width is None else width
    values = people["value"].to_numpy(dtype=float)
    small = primary(people).to_numpy()
    withheld = small.copy()
    rules = relations(people, reach)
    member_of = defaultdict(list)
    for rule in rules:
        for cell in rule.cells:
            member_of[cell].append(rule)
    headline = _headline(people)
    attainable = attainable_widths(values, headline & ~small, rules, width)
    cache: dict = {}
    for _ in range(MAX_ROUNDS):
        intervals = audit(values, withheld, rules, width, cache)
        exposed = [i for i in disclosed(intervals, width, attainable) if small[i.cell]]
        if not exposed:
            return withheld
        choices = [_complement(i.cell, member_of, values, withheld, headline) for i in exposed]
        ordinary = [c for c in choices if c is not None and not headline[c]]
        # a headline total only when nothing else is left: the same round's other choices may
        # already protect the cell that asked for it (the audit of the next round tells)
        chosen = ordinary or [c for c in choices if c is not None][:1]
        if not chosen:
            raise SuppressionError(f"no cell left to withhold for {len(exposed)} exposed cells")
        withheld[chosen] = True
    raise SuppressionError(f"suppression did not settle in {MAX_ROUNDS} rounds")


def _complement(cell: int, member_of: dict, values: np.ndarray, withheld: np.ndarray, headline: np.ndarray):
    """The cheapest published cell sharing a relation with ``cell``: the smallest sibling,
    else the smallest parent, a headline total last. Where every neighbour is withheld
    already (and the cell is still exposed through them), the search goes on from them, one
    relation further at a time."""
    frontier, visited = {cell}, {cell}
    last_resort: set[int] = set()
    while frontier:
        siblings: set[int] = set()
        parents: set[int] = set()
        reached: set[int] = set()
        for current in frontier:
            for rule in member_of[current]:
                parent = rule.group[1] if rule.group else -1
                for other in rule.cells:
                    if other in visited:
                        continue
                    reached.add(other)
                    if withheld[other] or values[other] <= 0:
                        continue
                    if headline[other]:
                        last_resort.add(other)
                    else:
                        (parents if other == parent else siblings).add(other)
        for pool in (siblings, parents):
            if pool:
                return min(pool, key=lambda c: (values[c], c))
        visited |= reached
        frontier = reached
    return min(last_resort, key=lambda c: (values[c], c)) if last_resort else None


def suppress(frame: pd.DataFrame, reach: pd.DataFrame | None = None) -> pd.DataFrame:
    """A copy with ``suppressed`` set and ``value`` emptied where suppressed."""
    out = frame.reset_index(drop=True).copy()
    out["suppressed"] = False
    people = person_rows(out)
    if people.any():
        out.loc[people, "suppressed"] = protect(out[people], reach)
    out["value"] = out["value"].astype(float).where(~out["suppressed"])
    if "achievement_pct" in out:  # value = achievement x target / 100 would give it back
        out["achievement_pct"] = out["achievement_pct"].astype(float).where(~out["suppressed"])
    return out
