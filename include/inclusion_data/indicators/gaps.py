"""Which indicator values lack a partner's month, because its submission is missing or was
rejected: the notes that publications and the reviewers' pages carry."""

from __future__ import annotations

import pandas as pd

from inclusion_data.indicators.catalogue import catalogue
from inclusion_data.warehouse.completeness import COMPLETE


def incomplete_indicators(rows: list[dict]) -> pd.DataFrame:
    """Indicators whose values lack a partner's month because its submission is missing or
    was rejected (and not yet corrected)."""
    gaps = [r for r in rows if r["status"] not in COMPLETE]  # a nil month lacks nothing
    notes = [
        {
            "indicator_id": i.id,
            "project": g["project"],
            "partner": g["partner"],
            "period": g["period"],
            "dataset": g["dataset"],
            "submission": g["status"],
        }
        for g in gaps
        for i in catalogue().values()
        if i.dataset == g["dataset"]
    ]
    return pd.DataFrame(
        notes, columns=["indicator_id", "project", "partner", "period", "dataset", "submission"]
    )
