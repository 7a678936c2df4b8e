"""Public outputs: what is published, and what is withheld from it."""

import re

import pandas as pd

from inclusion_data.indicators.catalogue import TOTAL
from inclusion_data.indicators.disclosure_audit import audit_publication
from inclusion_data.publishing.publication import KEYS, indicator_frame, publish, reach
from sample_warehouse import load_small_network


def test_published_csv_has_no_small_person_cells_and_the_warehouse_keeps_them(settings, engine):
    load_small_network(settings, engine)
    published = publish(engine, settings)
    public = pd.read_csv(published.csv, dtype={"category": str})
    people = public[public.indicator_id.isin(["persons_assisted", "volunteers"])]
    assert people["value"].dropna().between(1, 4).sum() == 0
    assert people["suppressed"].any()
    exact = pd.read_sql_table("indicator_values", engine)
    assert exact[(exact.dimension != TOTAL)]["value"].between(1, 4).any()
    # exact overlaps are for coordinators: outside the published folder
    overlaps = pd.read_csv(published.overlaps)
    assert set(overlaps.columns) == {"indicator_id", "partner_a", "partner_b", "persons", "suppressed"}
    assert published.directory not in published.overlaps.parents
    assert not list(published.directory.rglob("partner_overlaps*"))
    assert published.html.exists() and published.workbook.exists()
    # the attacker's audit finds nothing in what went out
    frame = indicator_frame(engine)
    assert audit_publication(
        frame, public.assign(suppressed=public.suppressed.astype(bool)), reach(frame)
    ).empty


def test_csv_workbook_and_html_agree_on_every_suppressed_cell(settings, engine):
    load_small_network(settings, engine)
    published = publish(engine, settings)
    csv = pd.read_csv(published.csv, dtype={"category": str})
    in_csv = {tuple(r) for r in csv.loc[csv.suppressed, KEYS].itertuples(index=False)}
    assert in_csv
    sheets = pd.read_excel(published.workbook, sheet_name=None, header=None, skiprows=2, dtype=str)
    in_workbook = set()
    for name, sheet in sheets.items():
        if " - " in name:
            continue
        header = list(csv.drop(columns=["name_ro", "name_en"]).columns)
        sheet.columns = header[: sheet.shape[1]]
        hidden = sheet[sheet["suppressed"].str.lower() == "true"]
        assert hidden["value"].isna().all()
        in_workbook |= {tuple(r) for r in hidden[KEYS].itertuples(index=False)}
    assert in_workbook == in_csv
    page = published.html.read_text("utf-8")
    table = re.findall(r'data-indicator="([^"]+)"', page)
    assert table
    shown = page.count("suprimat / suppressed")
    assert shown >= len(in_csv)  # each suppressed table row says so (charts may repeat it)
