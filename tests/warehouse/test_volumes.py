"""The unusual_volume warning is decided over the warehouse after the run: a month far from
the partner's other months is flagged whatever order the files came in."""

import datetime as dt
import json
import os
import random

from sqlalchemy import select

from inclusion_data.contracts.network import load_network
from inclusion_data.intake.sealing import NameSeal
from inclusion_data.orchestration.ingest import process_file
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.volumes import refresh_volume_findings
from workbooks import beneficiary, write_xlsx

SIZES = {1: 5, 2: 6, 3: 5, 4: 40, 5: 6, 6: 5}  # April is far from the other months


def _drop(settings, month: int, people: int) -> str:
    rows = [
        beneficiary(cnp=None, person_code=f"K{i}", birth_date=None, service_date=dt.date(2016, month, 3))
        for i in range(people)
    ]
    relative = f"TWAM/asoc-cluj/b_2016-{month:02d}.xlsx"
    write_xlsx(settings.inbox / relative, {"Beneficiari": rows})
    stamp = dt.datetime(2026, 1, month, tzinfo=dt.UTC).timestamp()
    os.utime(settings.inbox / relative, (stamp, stamp))
    return relative


def _findings(engine) -> dict[str, list[tuple]]:
    s = schema.submissions
    with engine.connect() as conn:
        rows = conn.execute(select(s.c.period, s.c.findings, s.c.warning_count)).all()
    return {
        r.period: ([(f["rule"], f["message_en"]) for f in json.loads(r.findings)], r.warning_count)
        for r in rows
    }


def _run(settings, engine, months: list[int]) -> dict:
    """Each file in its own batch, in this order, then the end of the run."""
    outcomes = {}
    for month in months:
        relative = _drop(settings, month, SIZES[month])
        outcomes[month] = process_file(relative, settings, engine, load_network(), b"k")
        refresh_volume_findings(engine, settings.home, NameSeal(b"k"))  # each batch its own run
    return outcomes


def test_a_month_far_from_the_others_is_flagged_whatever_the_order(settings, engine):
    """The same six files, one run per file, in two orders: April is flagged either way,
    with the same numbers, in the warehouse and in April's file report."""
    order = [4, 1, 2, 3, 5, 6]  # April first: no history yet when it arrives
    outcomes = _run(settings, engine, order)
    first = _findings(engine)
    [(rule, message)], warnings = first["2016-04"]
    assert (rule, warnings) == ("unusual_volume", 1)
    assert message.startswith(
        "40 rows this month, against a median of 5 in your 5 other months (2016-01–2016-06)"
    )
    assert all(first[m] == ([], 0) for m in first if m != "2016-04")
    stored = settings.home / outcomes[4].stored_at
    report = json.loads(stored.with_name(stored.name + ".report.json").read_text())
    assert [f["rule"] for f in report["sheet_findings"]["Beneficiari"]] == ["unusual_volume"]
    assert report["submissions"][0]["warnings"] == 1

    with engine.begin() as conn:  # the same files again, another order, into an empty warehouse
        for table in ("beneficiaries", "submissions", "file_outcomes"):
            conn.execute(schema.metadata.tables[table].delete())
    shuffled = order[::-1]
    random.Random(3).shuffle(shuffled)
    _run(settings, engine, shuffled)
    assert _findings(engine) == first
