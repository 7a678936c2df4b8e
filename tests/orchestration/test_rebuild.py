"""The full rebuild command, on SQLite and PostgreSQL: a table damaged behind the pipeline's
back is not something the nightly (incremental) build can see; the command recomputes it
from the accepted rows."""

import json
import subprocess
import sys

from sqlalchemy import update
from test_period_close import FIRST, PERSONS, _drop, _persons_in_march

from inclusion_data.orchestration import tasks
from inclusion_data.warehouse import schema


def test_the_rebuild_command_recomputes_what_the_nightly_build_keeps(settings, engine):
    _drop(settings, "raport_2016-03.xlsx", 7, FIRST)
    [batch] = tasks.find_batches()
    assert [r["status"] for r in tasks.process_batch(batch)] == ["accepted"]
    first = tasks.build_and_publish()
    assert first["changed"] and _persons_in_march(engine) == 7

    v = schema.indicator_values
    with engine.begin() as conn:  # a figure damaged behind the pipeline's back
        conn.execute(
            update(v).where((v.c.indicator_id == PERSONS) & (v.c.period == "2016-03")).values(value=99)
        )
    assert tasks.build_and_publish()["changed"] is False  # nothing new arrived: nothing recomputed
    assert _persons_in_march(engine) == 99

    done = subprocess.run(
        [sys.executable, "-m", "inclusion_data.orchestration.rebuild"],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["indicators"] == "full"
    # the standing publication was computed before the damage: it stands
    assert result["changed"] is False and result["publication"] == first["publication"]
    assert _persons_in_march(engine) == 7
