"""A month's versions, as ``load.record_submission`` decides them from the versions already
recorded: the newest by arrival stands (a tie in arrival goes to the later name), an older
one arriving late is kept superseded and the versions are renumbered in order of arrival, a
rejected one counts for neither. On both databases: SQLite hands arrival times back without
their zone, PostgreSQL with it."""

import datetime as dt

from sqlalchemy import select

from inclusion_data.intake.sealing import NameSeal
from inclusion_data.submissions.outcome import NIL, REJECTED, SubmissionRecord
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.load import record_submission

SEAL = NameSeal(b"versions-test-key")
T = dt.datetime(2016, 4, 2, 9, 30, tzinfo=dt.UTC)


def _record(name: str, minutes: int, status: str = NIL) -> SubmissionRecord:
    return SubmissionRecord(
        "TWAM", "asoc-cluj", "beneficiaries", "2016-03", name, f"hash-{name}", "Beneficiari",
        T + dt.timedelta(minutes=minutes), status, 0, int(status == REJECTED), 0, [], "",
    )  # fmt: skip


def test_versions_follow_arrival_whatever_order_they_are_loaded_in(engine):
    arrivals = [  # in the order they are loaded
        ("b.xlsx", 60, NIL, NIL),
        ("a.xlsx", 0, NIL, "superseded"),  # older, loaded after the newer one
        ("r.xlsx", 30, REJECTED, REJECTED),
        ("c.xlsx", 60, NIL, NIL),  # b's very instant: the later name stands
        ("a2.xlsx", 60, NIL, "superseded"),  # the same instant, an earlier name
    ]
    ids = {}
    for name, minutes, status, decided in arrivals:
        with engine.begin() as conn:
            ids[name], got = record_submission(conn, _record(name, minutes, status), None, SEAL)
        assert got == decided, name
    s = schema.submissions
    with engine.connect() as conn:
        rows = conn.execute(select(s.c.id, s.c.file_name, s.c.status, s.c.superseded_by, s.c.version)).all()
    names = {i: name for name, i in ids.items()}
    found = {SEAL.open(r.file_name): (r.status, names.get(r.superseded_by), r.version) for r in rows}
    assert found == {
        "a.xlsx": ("superseded", "b.xlsx", 1),
        "a2.xlsx": ("superseded", "c.xlsx", 2),
        "b.xlsx": ("superseded", "c.xlsx", 3),
        "c.xlsx": (NIL, None, 4),
        "r.xlsx": (REJECTED, None, 3),  # numbered when it came, among the two loaded then
    }
