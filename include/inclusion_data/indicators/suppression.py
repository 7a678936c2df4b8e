"""Small-cell suppression for public outputs; the warehouse keeps exact values.

A person count from 1 to 4 in a disaggregated cell (a breakdown by sex, ethnicity, locality…)
could single people out, so it is withheld (primary suppression). Where a group of cells
(same indicator, project, partner, period and dimension) has exactly one withheld cell, that
cell could be recomputed from the total and its neighbours, so the next smallest cell of the
group is withheld too (secondary suppression). Hand-written: the statistical disclosure
control packages (sdcMicro, tau-argus) are R/Java tools for microdata, not for this table.
"""

from __future__ import annotations

import pandas as pd

from inclusion_data.indicators.catalogue import TOTAL, catalogue

SMALLEST_SHOWN = 5
GROUP = ["indicator_id", "project", "partner", "period", "dimension"]


def suppress(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with ``suppressed`` set and ``value`` emptied where suppressed."""
    out = frame.copy()
    persons = out["indicator_id"].map(lambda i: catalogue()[i].counts_persons if i in catalogue() else True)
    broken_down = out["dimension"] != TOTAL
    small = out["value"].between(1, SMALLEST_SHOWN - 1)
    out["suppressed"] = persons & broken_down & small
    for _, group in out[persons & broken_down].groupby(GROUP):
        withheld = out.loc[group.index, "suppressed"]
        if withheld.sum() == 1:
            shown = group[~withheld & (group["value"] > 0)]
            if not shown.empty:
                out.loc[shown["value"].idxmin(), "suppressed"] = True
    out["value"] = out["value"].astype(float).where(~out["suppressed"])
    return out
