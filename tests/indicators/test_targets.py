"""Targets per project and indicator, and achievement against them."""

import pytest

from inclusion_data.indicators.catalogue import ALL, TOTAL
from inclusion_data.indicators.targets import parse_targets, with_targets


def test_targets_come_from_the_versioned_file():
    known = parse_targets({"ALBA": {"professionals_trained": {"total": 70, "institution_type": {"ngo": 20}}}})
    assert known[("professionals_trained", "ALBA", ALL, TOTAL, TOTAL, TOTAL)] == 70
    assert known[("professionals_trained", "ALBA", ALL, TOTAL, "institution_type", "ngo")] == 20
    with pytest.raises(ValueError, match="unknown indicator"):
        parse_targets({"ALBA": {"happiness": 3}})
    [row] = with_targets(
        [
            {
                "indicator_id": "volunteers",
                "project": "TWAM",
                "partner": ALL,
                "period": TOTAL,
                "dimension": TOTAL,
                "category": TOTAL,
                "value": 21.0,
            }
        ]
    )
    assert (row["target"], row["achievement_pct"]) == (11, 190.9)
