"""``load.serialise`` on PostgreSQL: a load's advisory locks are held until its transaction
ends, asked for once per transaction however often it is called, all in one statement (a
round trip each), and asked for again by the next transaction."""

import re

from sqlalchemy import event, text

from inclusion_data.warehouse.load import serialise

KEYS = [("TWAM", "asoc-cluj", "beneficiaries", "2016-03"), ("TWAM", "asoc-cluj", "trainings", "2016-03")]


def _advisory(conn) -> int:
    return conn.scalar(
        text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
    )


def test_locks_are_asked_for_once_per_transaction(tmp_path):
    from conftest import warehouse_database
    from inclusion_data.warehouse.engine import make_engine

    with warehouse_database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        asked: list[str] = []  # each lock asked for
        statements: list[str] = []

        def _note(conn, cursor, statement, *_):
            if "pg_advisory" in statement:
                statements.append(statement)
                asked.extend(re.findall(r"pg_advisory_xact_lock(?:_shared)?\(", statement))

        event.listen(engine, "before_cursor_execute", _note)
        with engine.begin() as conn:
            serialise(conn, "hash-1", KEYS)
            first = len(asked)
            serialise(conn, "hash-1", KEYS)  # as the load does after the caller did
            assert len(asked) == first == 4  # the file, two keys, the month (shared)
            assert len(statements) == 1  # in one round trip
            assert _advisory(conn) == 4
        with engine.begin() as conn:
            assert _advisory(conn) == 0  # ended with the transaction
            serialise(conn, "hash-1", KEYS)
            assert len(asked) == 2 * first and _advisory(conn) == 4
        engine.dispose()
