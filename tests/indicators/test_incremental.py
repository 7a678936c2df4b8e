"""An incremental build of the indicators gives what a full rebuild gives, on both databases,
and does nothing when nothing was accepted or withdrawn."""

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from inclusion_data.contracts.network import load_network
from inclusion_data.indicators.incremental import build_indicator_values
from inclusion_data.orchestration.ingest import discover, process_file
from inclusion_data.warehouse import schema
from sample_warehouse import CHILD, load_small_network
from workbooks import CNP_M_1985, beneficiary, make_cnp, write_xlsx


def _table(engine, table, keys) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(select(table)).all(), columns=[c.name for c in table.columns])
    return frame.sort_values(keys).reset_index(drop=True)


def _both(engine):
    keys = ["indicator_id", "project", "partner", "period", "dimension", "category"]
    return (
        _table(engine, schema.indicator_parts, keys),
        _table(
            engine,
            schema.indicator_values,
            ["indicator_id", "project", "partner", "period", "dimension", "category"],
        ),
        _table(engine, schema.partner_overlaps, ["indicator_id", "partner_a", "partner_b"]),
    )


def _load_inbox(settings, engine) -> None:
    for relative in discover(settings):
        outcome = process_file(relative, settings, engine, load_network(), b"k")
        assert outcome.status == "accepted", (relative, outcome.all_findings())


def _assert_equal_to_a_full_rebuild(engine) -> None:
    parts, values, overlaps = _both(engine)
    assert build_indicator_values(engine, full=True).mode == "full"
    full_parts, full_values, full_overlaps = _both(engine)
    pd.testing.assert_frame_equal(values, full_values, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(overlaps, full_overlaps)
    pd.testing.assert_frame_equal(parts, full_parts)
    assert len(parts) and len(overlaps)


def test_an_empty_warehouse_builds_its_zero_totals(engine):
    """The first nightly run may come before any file: every indicator but the threshold
    publishes its grand total, 0 (as SQL's aggregate over no row does)."""
    assert build_indicator_values(engine).mode == "full"
    _, values, _ = _both(engine)
    assert set(values.value) == {0.0} and len(values) == 10
    assert build_indicator_values(engine).mode == "unchanged"


def test_nothing_new_builds_nothing(settings, engine):
    load_small_network(settings, engine)
    before = _both(engine)
    built = build_indicator_values(engine)
    assert (built.mode, built.values) == ("unchanged", 0)
    pd.testing.assert_frame_equal(before[1], _both(engine)[1])


@pytest.mark.parametrize("rounds", [1, 2])
def test_replacing_adding_and_emptying_months_equals_a_full_rebuild(settings, engine, rounds):
    """A partner's month re-sent with one person dropped (only there), one added and one
    service changed; a month of a new partner; the second round re-sends that month again
    without the child the other partner also served (the overlap must fall)."""
    load_small_network(settings, engine)
    write_xlsx(
        settings.inbox / "TWAM/asoc-cluj/a_2016-03_v2.xlsx",
        {
            "Beneficiari": [
                beneficiary(service="Logopedie"),
                beneficiary(
                    cnp=make_cnp("F", dt.date(1990, 5, 5), 12, 7),
                    birth_date=dt.date(1990, 5, 5),
                    sex="F",
                    locality="Huedin",
                ),
                beneficiary(
                    cnp=None,
                    person_code="K9",
                    sex="F",
                    birth_date=None,
                    locality="Huedin",
                    service="Logopedie",
                ),
            ]
        },
    )
    write_xlsx(
        settings.inbox / "ALBA/speromax/c_2016-04.xlsx",
        {"Beneficiari": [beneficiary(locality="Alba Iulia", service_date=dt.date(2016, 4, 4)),
                         beneficiary(**CHILD, locality="Sebeș", service_date=dt.date(2016, 4, 5))]},
    )  # fmt: skip
    _load_inbox(settings, engine)
    built = build_indicator_values(engine)
    assert (built.mode, built.added, built.withdrawn) == ("incremental", 2, 1)
    _assert_equal_to_a_full_rebuild(engine)
    if rounds == 2:
        write_xlsx(
            settings.inbox / "ALBA/speromax/c_2016-04_v2.xlsx",
            {
                "Beneficiari": [
                    beneficiary(cnp=CNP_M_1985, locality="Alba Iulia", service_date=dt.date(2016, 4, 4))
                ]
            },
        )
        _load_inbox(settings, engine)
        assert build_indicator_values(engine).mode == "incremental"
        _assert_equal_to_a_full_rebuild(engine)


def test_a_changed_target_file_rebuilds_whole(settings, engine, tmp_path, monkeypatch):
    load_small_network(settings, engine)
    path = tmp_path / "targets.yaml"
    path.write_text("TWAM:\n  persons_assisted: 100\n", "utf-8")
    monkeypatch.setenv("INCLUSION_TARGETS", str(path))
    assert build_indicator_values(engine).mode == "full"
    _, values, _ = _both(engine)
    top = values.set_index(["indicator_id", "project", "partner", "period", "dimension", "category"])
    row = top.loc[[("persons_assisted", "TWAM", "ALL", "total", "total", "total")]]
    assert row.target.tolist() == [100.0]
