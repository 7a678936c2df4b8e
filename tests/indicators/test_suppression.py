"""Small-cell suppression of person counts: primary 1-4 and what keeps them from coming back."""

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
                "dimension": dimension if c != TOTAL else TOTAL,
                "category": c,
                "value": v,
            }
            for c, v in values.items()
        ]
    )


def test_small_person_counts_and_their_complement_are_withheld():
    out = suppress(_cells({TOTAL: 43, "M": 3, "F": 40}))
    assert out["suppressed"].tolist() == [False, True, True]  # F = total - M would reveal M
    assert out["value"].isna().tolist() == [False, True, True]
    out = suppress(_cells({TOTAL: 12, "M": 0, "F": 12}))
    assert not out["suppressed"].any()  # zero reveals nobody


def test_non_person_indicators_are_not_suppressed():
    frame = _cells({TOTAL: 11, "speech_therapy": 2, "tutoring_maths": 9}, "services_delivered", "service")
    assert not suppress(frame)["suppressed"].any()
