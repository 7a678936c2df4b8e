"""Public outputs: suppression of small person counts, targets and achievement."""

import pandas as pd
import pytest

from inclusion_data.indicators import ALL, TOTAL
from inclusion_data.publish import publish
from inclusion_data.suppression import suppress
from inclusion_data.targets import parse_targets, with_targets
from test_indicators import _load


def _cells(values: dict[str, float], indicator="persons_assisted", dimension="sex"):
    return pd.DataFrame([{"indicator_id": indicator, "project": "TWAM", "partner": ALL, "period": TOTAL,
                          "dimension": dimension, "category": c, "value": v} for c, v in values.items()])


def test_small_person_counts_and_their_complement_are_withheld():
    out = suppress(_cells({"M": 3, "F": 40}))
    assert out["suppressed"].tolist() == [True, True]  # F = total - M would reveal M
    assert out["value"].isna().all()
    out = suppress(_cells({"roma": 2, "other": 1, "not_declared": 30}, dimension="ethnicity"))
    assert out["suppressed"].tolist() == [True, True, False] and out["value"].iloc[2] == 30
    out = suppress(_cells({"M": 0, "F": 12}))
    assert not out["suppressed"].any()  # zero reveals nobody


def test_totals_and_non_person_indicators_are_not_suppressed():
    frame = pd.concat([_cells({TOTAL: 3}, dimension=TOTAL),
                       _cells({"speech_therapy": 2, "tutoring_maths": 9}, "services_delivered", "service")])
    assert not suppress(frame)["suppressed"].any()


def test_targets_come_from_the_versioned_file():
    known = parse_targets({"ALBA": {"professionals_trained": {"total": 70, "institution_type": {"ngo": 20}}}})
    assert known[("professionals_trained", "ALBA", ALL, TOTAL, TOTAL, TOTAL)] == 70
    assert known[("professionals_trained", "ALBA", ALL, TOTAL, "institution_type", "ngo")] == 20
    with pytest.raises(ValueError, match="unknown indicator"):
        parse_targets({"ALBA": {"happiness": 3}})
    [row] = with_targets([{"indicator_id": "volunteers", "project": "TWAM", "partner": ALL,
                           "period": TOTAL, "dimension": TOTAL, "category": TOTAL, "value": 21.0}])
    assert (row["target"], row["achievement_pct"]) == (11, 190.9)


def test_published_csv_has_no_small_person_cells_and_the_warehouse_keeps_them(settings, engine):
    _load(settings, engine)
    published = publish(engine, settings)
    public = pd.read_csv(published.csv)
    people = public[public.indicator_id.isin(["persons_assisted", "volunteers"]) & (public.dimension != TOTAL)]
    assert people["value"].dropna().between(1, 4).sum() == 0
    assert people["suppressed"].any()
    exact = pd.read_sql_table("indicator_values", engine)
    assert exact[(exact.dimension != TOTAL)]["value"].between(1, 4).any()
    overlaps = pd.read_csv(published.overlaps)
    assert set(overlaps.columns) == {"indicator_id", "partner_a", "partner_b", "persons", "suppressed"}
    assert published.html.exists() and published.workbook.exists()
