"""The warehouse's promises under concurrency and crashes, on real PostgreSQL (and SQLite where
it makes sense): one accepted version per month, the newest by arrival; the same bytes loaded
once whatever their names; a file killed after its commit completed by the re-run.

Real processes (forked), a real database, real files; the only artificial thing is *when*
two loads meet (a barrier after the evaluation) or where a process is killed (SIGKILL at the
move or the report).
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import random
import shutil
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, func, inspect, select

from conftest import prepared_settings, warehouse_database
from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.contracts.network import load_network
from inclusion_data.intake.sealing import NameSeal
from inclusion_data.orchestration import ingest, tasks
from inclusion_data.orchestration.ingest import discover, process_file
from inclusion_data.submissions.evaluation import evaluate_file
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.engine import make_engine
from sample_warehouse import accepted_beneficiary_rows
from workbooks import beneficiary, write_xlsx

KEY = b"test"
FORK = multiprocessing.get_context("fork")
ROUNDS = 10  # each forces both races of a kind, newest first and last
ARRIVAL = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC).timestamp()


def _people(n: int, month: str = "2016-03", locality: str = "Cojocna", prefix: str = "P") -> list[dict]:
    year, mon = map(int, month.split("-"))
    return [
        beneficiary(
            cnp=None,
            person_code=f"{prefix}{i}",
            birth_date=None,
            locality=locality,
            service_date=dt.date(year, mon, 3),
        )
        for i in range(n)
    ]


def _write_csv(path: Path, rows: list[dict]) -> None:
    """A `;`-separated CSV as partners send them: its one sheet is named after the file."""
    fields = [f for f in DATASETS["beneficiaries"].fields if any(r.get(f.name) is not None for r in rows)]
    lines = [";".join(f.ro for f in fields)]
    for row in rows:
        cells = [row[f.name] for f in fields]
        lines.append(";".join(f"{c:%d.%m.%Y}" if isinstance(c, dt.date) else str(c) for c in cells))
    path.write_text("\n".join(lines) + "\n", "utf-8")


def _place(source: Path, target: Path, mtime: float) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    os.utime(target, (mtime, mtime))


def _accepted(engine) -> list[tuple]:
    """(file name, rows) of the accepted submissions; the warehouse keeps names sealed."""
    s, seal = schema.submissions, NameSeal(KEY)
    with engine.connect() as conn:
        return [
            (seal.open(name), rows)
            for name, rows in conn.execute(
                select(s.c.file_name, s.c.row_count).where(s.c.status == "accepted")
            )
        ]


def _empty_warehouse(engine) -> None:
    present = set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            if table.name in present and table.name not in {
                "projects",
                "partners",
                "project_partners",
                "localities",
            }:
                conn.execute(delete(table))


def _load_at_barrier(relative: str, barrier, delay: float, results) -> None:
    """A worker process: evaluate the file, wait for the other worker, then load it."""
    settings = tasks.Settings.from_env()
    engine = make_engine(settings.warehouse_url)
    real = ingest.finish_file

    def meet_then_load(*args, **kwargs):  # evaluated: both workers load at the same moment
        barrier.wait(timeout=60)
        time.sleep(delay)
        return real(*args, **kwargs)

    ingest.finish_file = meet_then_load
    outcome = process_file(relative, settings, engine, load_network(), KEY)
    results.put((relative, outcome.status))
    engine.dispose()


def _race(files: list[str], delays: tuple[float, float]) -> dict[str, str]:
    barrier, results = FORK.Barrier(2), FORK.Queue()
    workers = [
        FORK.Process(target=_load_at_barrier, args=(relative, barrier, delay, results))
        for relative, delay in zip(files, delays, strict=True)
    ]
    for w in workers:
        w.start()
    statuses = dict(results.get(timeout=120) for _ in workers)
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    return statuses


@pytest.fixture
def postgres_settings(tmp_path, monkeypatch):
    with warehouse_database("postgresql", tmp_path) as url:
        yield prepared_settings(tmp_path / "var", url, monkeypatch)


@pytest.mark.slow
def test_two_processes_loading_one_month_leave_the_newest_version_alone_accepted(postgres_settings, tmp_path):
    settings = postgres_settings
    engine = make_engine(settings.warehouse_url)
    older, newer = tmp_path / "older.xlsx", tmp_path / "newer.xlsx"
    write_xlsx(older, {"Beneficiari": _people(3)}, info_month="2016-03")
    write_xlsx(newer, {"Beneficiari": _people(4)}, info_month="2016-03")
    as_csv = tmp_path / "newer.csv"
    _write_csv(as_csv, _people(4))
    folder = settings.inbox / "TWAM" / "asoc-cluj"
    evaluate_file(older, "TWAM", "asoc-cluj", load_network(), KEY)  # the workers fork with GX loaded
    wrong: dict[str, int] = {"versions": 0, "same bytes": 0}
    rows_seen: dict[str, set[int]] = {"versions": set(), "same bytes": set()}
    for i in range(ROUNDS):
        for newest_first in (False, True):
            _empty_warehouse(engine)
            # two versions: "b" arrived a minute after "a" (by mtime, whatever the names say)
            _place(older, folder / "z_martie.xlsx", ARRIVAL)
            _place(newer, folder / "a_martie.xlsx", ARRIVAL + 60)
            order = ["TWAM/asoc-cluj/a_martie.xlsx", "TWAM/asoc-cluj/z_martie.xlsx"]
            _race(order if newest_first else order[::-1], (0.0, 0.05))
            accepted, rows = _accepted(engine), accepted_beneficiary_rows(engine)
            rows_seen["versions"].add(rows)
            if accepted != [("a_martie.xlsx", 4)] or rows != 4:
                wrong["versions"] += 1
            # the same bytes under two names, at the same time (a CSV's sheet is its file name)
            _empty_warehouse(engine)
            _place(as_csv, folder / "raport_2016-03.csv", ARRIVAL + 120 + i)
            _place(as_csv, folder / "raport (1)_2016-03.csv", ARRIVAL + 120 + i)
            names = ["TWAM/asoc-cluj/raport_2016-03.csv", "TWAM/asoc-cluj/raport (1)_2016-03.csv"]
            statuses = _race(names[:: -1 if newest_first else 1], (0.0, 0.0))
            rows = accepted_beneficiary_rows(engine)
            rows_seen["same bytes"].add(rows)
            if (
                len(_accepted(engine)) != 1
                or rows != 4
                or sorted(statuses.values()) != ["accepted", "duplicate"]
            ):
                wrong["same bytes"] += 1
    engine.dispose()
    print(f"\nof {2 * ROUNDS} races of each kind: wrong outcome {wrong}; current rows seen {rows_seen}")
    assert wrong == {"versions": 0, "same bytes": 0}


def _months() -> list[tuple[str, str, str, str]]:
    """60 (project, partner, month, locality): every month four partners report beneficiaries."""
    months = [f"{y}-{m:02d}" for y in (2016, 2017) for m in range(1, 13) if f"{y}-{m:02d}" <= "2017-04"]
    keys = [("TWAM", "asoc-cluj", m, "Cojocna") for m in months]
    keys += [("TWAM", "asoc-bihor", m, "Oradea") for m in months]
    keys += [("ALBA", "primaria-alba-iulia", m, "Alba Iulia") for m in months]
    keys += [("ALBA", "speromax", m, "Alba Iulia") for m in months[:12]]
    return keys


@pytest.mark.slow
def test_sixty_months_of_five_versions_through_the_dag_keep_the_newest(
    postgres_settings, tmp_path, airflow_db, monkeypatch
):
    """300 files dropped at once, in batches of 20 (15 mapped tasks) processed in a shuffled
    order (as parallel mapped tasks finish in any order): the newest version by arrival is
    accepted in every month."""
    settings = postgres_settings
    keys = _months()
    assert len(keys) == 60
    for n, (project, partner, month, locality) in enumerate(keys):
        for version in range(1, 6):
            source = tmp_path / "files" / f"{n}_{version}.xlsx"
            # each partner its own people: two partners' files of a month must never be the
            # same bytes (a file's hash is its identity; xlsx timestamps only differ by second)
            people = _people(version, month, locality, prefix=partner)
            write_xlsx(source, {"Beneficiari": people}, info_month=month)
            # versions arrive a minute apart; their names do not tell the order
            name = f"raport_{(version * 7) % 5}_{month}.xlsx"
            _place(source, settings.inbox / project / partner / name, ARRIVAL + n + 60 * version)
    real_discover = tasks.discover

    def shuffled(*args, **kwargs):
        found = real_discover(*args, **kwargs)
        random.Random(10).shuffle(found)
        return found

    monkeypatch.setattr(tasks, "discover", shuffled)
    monkeypatch.setenv("INCLUSION_BATCH_SIZE", "20")
    run = airflow_db["ingest_submissions"].test()
    assert str(run.state).rsplit(".", 1)[-1].lower() == "success"
    engine = make_engine(settings.warehouse_url)
    s = schema.submissions
    with engine.connect() as conn:
        accepted = conn.execute(
            select(s.c.project, s.c.partner, s.c.period, s.c.row_count).where(s.c.status == "accepted")
        ).all()
        total = conn.scalar(select(func.count()).select_from(s))
    engine.dispose()
    newest = sum(1 for r in accepted if r.row_count == 5)
    print(f"\nnewest version accepted in {newest}/60 months; {len(accepted)} accepted of {total} submissions")
    assert total == 300 and len(accepted) == 60 and newest == 60


def _crash_at(point: str, relative: str) -> None:
    """A worker killed by SIGKILL right after the warehouse commit, at ``point``."""
    settings = tasks.Settings.from_env()
    engine = make_engine(settings.warehouse_url)

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if point == "move":
        ingest.shutil.move = die
    else:
        ingest.write_file_report = die
    process_file(relative, settings, engine, load_network(), KEY)


@pytest.mark.parametrize("point", ["move", "report"])
@pytest.mark.parametrize("status", ["accepted", "rejected"])
def test_a_load_killed_after_its_commit_is_completed_by_the_rerun(settings, engine, point, status):
    rows = _people(2) + [beneficiary(cnp=None, person_code="W", birth_date=None, sessions=25)]
    if status == "rejected":
        rows.append(beneficiary(cnp="1234567890123", birth_date=None))
    write_xlsx(settings.inbox / "TWAM/asoc-cluj/martie.xlsx", {"Beneficiari": rows}, info_month="2016-03")
    [relative] = discover(settings)
    worker = FORK.Process(target=_crash_at, args=(point, relative))
    worker.start()
    worker.join(timeout=120)
    assert worker.exitcode == -signal.SIGKILL
    with engine.connect() as conn:
        committed = conn.execute(select(schema.submissions.c.status)).scalars().all()
    assert committed == [status]  # the commit happened before the kill
    [again] = [process_file(r, settings, engine, load_network(), KEY) for r in discover(settings)]
    assert again.status == status
    stored = settings.home / again.stored_at
    assert stored.exists() and again.stored_at.startswith("archive/" if status == "accepted" else "rejected/")
    report = json.loads(stored.with_name(stored.name + ".report.json").read_text())
    assert report["status"] == status and "already_processed" not in json.dumps(report)
    assert again.feedback and (settings.home / again.feedback).exists()
    with engine.connect() as conn:
        s = schema.submissions
        assert conn.execute(select(s.c.status, s.c.stored_at)).all() == [(status, again.stored_at)]
    assert not any(settings.inbox.rglob("*.xlsx"))
    # one copy, filed under its arrival and hash; its report keeps the name it was sent under
    assert [p.name for p in settings.home.rglob("*.xlsx") if "feedback" not in p.name] == [stored.name]
    assert "martie" not in stored.name and report["file_name"] == "martie.xlsx"


def test_versions_that_arrived_in_the_same_instant_are_ordered_by_their_sealed_names(settings, engine):
    """Copied together (an unzipped folder keeps one mtime): the later name wins, although the
    warehouse keeps names sealed, whichever is processed first."""
    folder = settings.inbox / "TWAM" / "asoc-cluj"
    for name, people in (("raport_v2.xlsx", 3), ("raport_v1.xlsx", 5)):
        write_xlsx(folder / name, {"Beneficiari": _people(people)}, info_month="2016-03")
        os.utime(folder / name, (ARRIVAL, ARRIVAL))
    for relative in ("TWAM/asoc-cluj/raport_v2.xlsx", "TWAM/asoc-cluj/raport_v1.xlsx"):
        process_file(relative, settings, engine, load_network(), KEY)
    assert _accepted(engine) == [("raport_v2.xlsx", 3)]
    with engine.connect() as conn:
        stored = conn.scalars(select(schema.submissions.c.file_name)).all()
    assert len(stored) == 2 and not any("raport" in name for name in stored)
