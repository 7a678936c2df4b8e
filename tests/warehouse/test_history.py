"""``WarehouseHistory.recall``: a batch's files looked up in one query each way give the
answers the one-file queries give, and the lookups it answered ask the warehouse nothing.
On both databases, with a file filed, one recorded but not filed (a stopped run), and
unknown ones."""

import datetime as dt

from sqlalchemy import event, update

from inclusion_data.contracts.network import load_network
from inclusion_data.intake.sealing import NameSeal
from inclusion_data.orchestration.ingest import discover, process_file
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.history import WarehouseHistory
from workbooks import beneficiary, write_xlsx

KEY = b"test"


def _load(settings, engine, name, month):
    write_xlsx(settings.inbox / "TWAM" / "asoc-cluj" / name, {"Beneficiari": [beneficiary(
        service_date=dt.date(int(month[:4]), int(month[5:]), 10))]}, info_month=month)  # fmt: skip
    [outcome] = [process_file(r, settings, engine, load_network(), KEY) for r in discover(settings)]
    return outcome


def test_recalled_answers_are_the_queries_answers_and_ask_nothing(settings, engine):
    filed = _load(settings, engine, "martie.xlsx", "2016-03")
    stopped = _load(settings, engine, "aprilie.xlsx", "2016-04")
    with engine.begin() as conn:  # as a run stopped between its commit and its report leaves it
        conn.execute(
            update(schema.file_outcomes)
            .where(schema.file_outcomes.c.file_hash == stopped.file_hash)
            .values(filed_at=None)
        )
    sources = [filed.source, stopped.source, "TWAM/asoc-cluj/never.xlsx"]
    hashes = [filed.file_hash, stopped.file_hash, "0" * 64]
    asking = WarehouseHistory(engine, NameSeal(KEY))
    expected = ([asking.unfiled(s) for s in sources], [asking.already_processed(h) for h in hashes])
    assert expected[0][1] is not None and expected[0][0] is None is expected[0][2]
    assert expected[1][0] and expected[1][1] and expected[1][2] == []

    recalled = WarehouseHistory(engine, NameSeal(KEY))
    recalled.recall(sources=sources, hashes=hashes)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    answers = [recalled.unfiled(s) for s in sources], [recalled.already_processed(h) for h in hashes]
    assert answers == expected
    assert statements == []
    assert recalled.already_processed("1" * 64) == [] and len(statements) == 1  # not recalled: asked
