"""Indicators from the warehouse agree with a brute-force recount of the loaded rows."""

import pandas as pd
from sqlalchemy import select

from inclusion_data.contracts.network import load_network
from inclusion_data.indicators.catalogue import ALL, TOTAL, catalogue
from inclusion_data.indicators.computation import compute
from inclusion_data.indicators.incremental import build_indicator_values
from inclusion_data.indicators.reference import reference_overlaps, reference_values
from inclusion_data.orchestration.ingest import discover, process_file
from inclusion_data.warehouse import schema
from sample_warehouse import load_small_network
from workbooks import write_xlsx


def _frame(engine, table):
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(table)).mappings().all())


def test_unique_counts_at_every_level_match_a_recount(settings, engine):
    load_small_network(settings, engine)
    values = _frame(engine, schema.indicator_values)
    rows = _frame(engine, schema.dataset_tables["beneficiaries"])
    for level in [("project", "partner"), ("project",), ()]:
        for by_month in (True, False):
            keys = list(level) + (["period"] if by_month else [])
            expected = (
                rows.groupby(keys)["person_key"].nunique()
                if keys
                else pd.Series({(): rows["person_key"].nunique()})
            )
            got = values[(values.indicator_id == "persons_assisted") & (values.dimension == TOTAL)]
            got = got[(got.partner != ALL) == ("partner" in level)]
            got = got[(got.project != ALL) == ("project" in level)]
            got = got[(got.period != TOTAL) == by_month]
            assert len(got) == len(expected) > 0
            for _, row in got.iterrows():
                key = tuple(row[k] for k in keys)
                assert row["value"] == expected[key if len(key) > 1 else (key[0] if key else ())]


def test_the_people_shared_across_partners_and_projects_count_once(settings, engine):
    load_small_network(settings, engine)
    values = _frame(engine, schema.indicator_values).set_index(
        ["indicator_id", "project", "partner", "period", "dimension", "category"]
    )["value"]
    total = ("persons_assisted", ALL, ALL, TOTAL, TOTAL, TOTAL)
    by_project = [values[("persons_assisted", p, ALL, TOTAL, TOTAL, TOTAL)] for p in ("TWAM", "ALBA")]
    # the man with CNP_M_1985 is served in both projects, the girl by both TWAM partners;
    # K9 is a partner's own code, so the two partners' K9 are two different people
    assert values[total] == 4 and sum(by_project) == 5
    assert values[("persons_assisted", "TWAM", ALL, TOTAL, TOTAL, TOTAL)] == 4
    assert values[("persons_assisted", "TWAM", "asoc-cluj", "2016-03", TOTAL, TOTAL)] == 2
    assert values[("persons_assisted", "TWAM", "asoc-cluj", TOTAL, TOTAL, TOTAL)] == 3
    assert values[("persons_assisted", "TWAM", "asoc-cluj", "2016-03", "service", "speech_therapy")] == 1
    assert values[("localities_reached", ALL, ALL, TOTAL, TOTAL, TOTAL)] == 5
    assert values[("volunteer_hours", "ALBA", "speromax", "2016-03", TOTAL, TOTAL)] == 6.5
    assert values[("volunteers", ALL, ALL, TOTAL, "sex", "F")] == 1
    assert set(values.index.get_level_values(0)) == set(catalogue())


def test_breakdowns_by_county_and_age_group(settings, engine):
    load_small_network(settings, engine)
    values = _frame(engine, schema.indicator_values).set_index(
        ["indicator_id", "project", "partner", "period", "dimension", "category"]
    )["value"]
    county = {
        c: values[("persons_assisted", ALL, ALL, TOTAL, "county", c)] for c in ("Cluj", "Bihor", "Alba")
    }
    assert county == {"Cluj": 3, "Bihor": 2, "Alba": 1}  # the girl is counted in both counties
    assert values[("persons_assisted", ALL, ALL, TOTAL, "age_group", "30-64")] == 1  # born 1985
    assert values[("persons_assisted", ALL, ALL, TOTAL, "age_group", "6-13")] == 1  # born 2008
    assert values[("volunteers", "ALBA", ALL, TOTAL, "age_group", "30-64")] == 2


def _training(**overrides):
    row = {
        "person_code": "S1",
        "name": "A B",
        "activity_type": "Seminar",
        "title": "Legislație",
        "start_date": "01.03.2016",
        "end_date": "01.03.2016",
        "hours": "4",
        "participant_category": "Specialist",
        "institution_type": "ONG",
        "completed": "Da",
        "certified": "Nu",
    }
    return {**row, **overrides}


def test_events_participations_and_professionals(settings, engine):
    write_xlsx(
        settings.inbox / "TWAM/asoc-cluj/t_2016-03.xlsx",
        {
            "Instruiri": [
                _training(),
                _training(
                    person_code="S2",
                    participant_category="Factor de decizie",
                    institution_type="Instituție publică",
                ),
                _training(start_date="08.03.2016", end_date="08.03.2016"),  # S1 again, a second seminar
                _training(
                    person_code="B1", participant_category="Beneficiar", activity_type="Atelier de lucru"
                ),
                _training(
                    person_code="Q1",
                    activity_type="Curs de calificare",
                    participant_category="Beneficiar",
                    certified="Da",
                    hours="120",
                ),
            ]
        },
    )
    write_xlsx(
        settings.inbox / "TWAM/asoc-bihor/t_2016-03.xlsx", {"Instruiri": [_training(person_code="X5")]}
    )  # the same seminar, reported by the other partner
    for relative in discover(settings):
        assert process_file(relative, settings, engine, load_network(), b"k").status == "accepted"
    build_indicator_values(engine)
    values = _frame(engine, schema.indicator_values).set_index(
        ["indicator_id", "project", "partner", "period", "dimension", "category"]
    )["value"]
    project = ("TWAM", ALL, TOTAL)
    assert values[("events_held", *project, "activity_type", "seminar")] == 2
    assert values[("events_held", *project, "activity_type", "workshop")] == 1
    assert values[("events_held", *project, TOTAL, TOTAL)] == 3  # the qualification course is no event
    assert values[("event_participants", *project, "activity_type", "seminar")] == 4
    # S1 (at two seminars: one person), S2 and X5; the workshop's B1 is a beneficiary
    assert values[("professionals_trained", *project, TOTAL, TOTAL)] == 3
    assert values[("professionals_trained", *project, "participant_category", "decision_maker")] == 1
    assert values[("persons_certified", *project, TOTAL, TOTAL)] == 1


def _sorted(rows: list[dict]) -> list[tuple]:
    return sorted(tuple(r.values()) for r in rows)


def test_the_engine_gives_what_one_sql_query_per_set_gives(settings, engine):
    """The numpy engine must give every value that a GROUP BY per level, period and breakdown
    gives, on both databases."""
    load_small_network(settings, engine)
    counted = compute(engine)
    assert len(counted) > 100
    assert _sorted(counted) == _sorted(reference_values(engine))
    stored = _frame(engine, schema.partner_overlaps)
    assert sorted(
        map(tuple, stored[["indicator_id", "partner_a", "partner_b", "persons"]].values.tolist())
    ) == sorted(tuple(r.values()) for r in reference_overlaps(engine))
