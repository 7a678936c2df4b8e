"""Public outputs: what is published, and what is withheld from it."""

import pandas as pd

from inclusion_data.indicators.catalogue import TOTAL
from inclusion_data.publishing.publication import publish
from sample_warehouse import load_small_network


def test_published_csv_has_no_small_person_cells_and_the_warehouse_keeps_them(settings, engine):
    load_small_network(settings, engine)
    published = publish(engine, settings)
    public = pd.read_csv(published.csv)
    people = public[
        public.indicator_id.isin(["persons_assisted", "volunteers"]) & (public.dimension != TOTAL)
    ]
    assert people["value"].dropna().between(1, 4).sum() == 0
    assert people["suppressed"].any()
    exact = pd.read_sql_table("indicator_values", engine)
    assert exact[(exact.dimension != TOTAL)]["value"].between(1, 4).any()
    overlaps = pd.read_csv(published.overlaps)
    assert set(overlaps.columns) == {"indicator_id", "partner_a", "partner_b", "persons", "suppressed"}
    assert published.html.exists() and published.workbook.exists()
