"""Small-cell suppression of person counts in breakdowns."""

import pandas as pd

from inclusion_data.indicators.catalogue import ALL, TOTAL
from inclusion_data.indicators.suppression import suppress


def _cells(values: dict[str, float], indicator="persons_assisted", dimension="sex"):
    return pd.DataFrame(
        [
            {
                "indicator_id": indicator,
                "project": "TWAM",
                "partner": ALL,
                "period": TOTAL,
                "dimension": dimension,
                "category": c,
                "value": v,
            }
            for c, v in values.items()
        ]
    )


def test_small_person_counts_and_their_complement_are_withheld():
    out = suppress(_cells({"M": 3, "F": 40}))
    assert out["suppressed"].tolist() == [True, True]  # F = total - M would reveal M
    assert out["value"].isna().all()
    out = suppress(_cells({"roma": 2, "other": 1, "not_declared": 30}, dimension="ethnicity"))
    assert out["suppressed"].tolist() == [True, True, False] and out["value"].iloc[2] == 30
    out = suppress(_cells({"M": 0, "F": 12}))
    assert not out["suppressed"].any()  # zero reveals nobody


def test_totals_and_non_person_indicators_are_not_suppressed():
    frame = pd.concat(
        [
            _cells({TOTAL: 3}, dimension=TOTAL),
            _cells({"speech_therapy": 2, "tutoring_maths": 9}, "services_delivered", "service"),
        ]
    )
    assert not suppress(frame)["suppressed"].any()
