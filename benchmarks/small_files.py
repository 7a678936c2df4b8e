"""A night of small partner files: how they are made, the floor (fastexcel reading them), the
real ingest DAG through ``dag.test()`` on them, and the no-change nightly publish after
histories of them.

Each section runs in a process of its own (``run.py`` starts it) whose environment it sets
before importing Airflow or the pipeline: a temporary INCLUSION_HOME, SQLite warehouse and
Airflow metadata database.
"""

from __future__ import annotations

import os
import secrets
import statistics
from pathlib import Path

from figures import Clock, Figure, cpu_s

PER_WORKER_FILES_S = 20.0  # issue 13: at least 20 files/s per worker process, Airflow included
NIGHTLY_S = 2.0  # issue 13: the no-change nightly publish under 2 s whatever the history


def write_files(inbox: Path, files: int, rows_per_file: int, first: int = 0) -> int:
    """``files`` beneficiary workbooks (xlsx and ods, as the demo's partners send them) of
    ``rows_per_file`` distinct rows of one partner's month each, numbered from ``first`` (a
    second round is other files); returns the rows written. A demo month has 86 to 296 rows:
    the months of demo plans of other seeds (other people) are pooled to fill a file."""
    from inclusion_data.demo.sample_data import STYLES, build_plan, write_submission

    pools: dict[tuple, list[dict]] = {}
    for seed in range(1, 8):
        for key, rows in build_plan(seed=seed).rows.items():
            if key[3] == "beneficiaries" and STYLES[key[:2]].file_format != "csv":
                pools.setdefault(key, []).extend(rows)
        if min(map(len, pools.values())) >= 2 * rows_per_file:
            break
    sources = sorted(pools.items())
    written = 0
    for made in range(first, first + files):
        (project, partner, period, _), rows = sources[made % len(sources)]
        start = (made // len(sources)) * rows_per_file % max(1, len(rows) - rows_per_file)
        chunk = rows[start : start + rows_per_file]
        write_submission(
            inbox, STYLES[(project, partner)], period, {"beneficiaries": chunk}, suffix=f"_{made:04d}"
        )
        written += len(chunk)
    return written


def floor_cpu(folder: Path) -> float:
    """CPU seconds fastexcel takes to read every cell of every file under ``folder`` as text."""
    import fastexcel

    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    start = cpu_s()
    for path in paths:
        reader = fastexcel.read_excel(path)
        for index in range(len(reader.sheet_names)):
            reader.load_sheet(index, header_row=None, dtypes="string").to_arrow()
    return cpu_s() - start


def isolate(directory: Path) -> None:
    """This process's pipeline and Airflow under ``directory``: SQLite warehouse and metadata."""
    for name in [n for n in os.environ if n.startswith(("AIRFLOW", "INCLUSION_"))]:
        del os.environ[name]
    os.environ.pop("WAREHOUSE_URL", None)
    os.environ["INCLUSION_HOME"] = str(directory / "var")
    os.environ["INCLUSION_PSEUDONYM_KEY"] = secrets.token_hex(32)
    os.environ["INCLUSION_SETTLE_SECONDS"] = "0"
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"


def dag(files: int, rows: int, directory: Path) -> list[Figure]:
    """``files`` files of ``rows`` rows through ``ingest_submissions`` by ``dag.test()``: one
    process runs every task, so its rate is a worker process's, Airflow's overhead included."""
    isolate(directory)
    from inclusion_data.orchestration import local_airflow
    from inclusion_data.settings import Settings

    settings = Settings.from_env()
    local_airflow.configure(settings)
    local_airflow.init_metadata_db()
    ingest = local_airflow.load_dags()["ingest_submissions"]
    staging = directory / "files"
    written = write_files(staging, files, rows)
    floor = floor_cpu(staging)
    from inclusion_data.demo import drop_files

    drop_files(staging, settings.inbox)
    with Clock() as clock:
        state = str(ingest.test().state).rsplit(".", 1)[-1].lower()
    left = sum(1 for p in settings.inbox.rglob("*") if p.is_file())
    note = f"{written} rows, run {state}, {left} files left in the inbox"
    per_cpu = files / clock.cpu
    return [
        Figure("dag", "files/s (wall)", files / clock.wall, "files/s", note=note),
        Figure("dag", "files per CPU-s", per_cpu, "files/s", target=f">= {PER_WORKER_FILES_S:g} files/s"),
        Figure("dag", "rows/s (wall)", written / clock.wall, "rows/s"),
        Figure("dag", "rows per CPU-s", written / clock.cpu, "rows/s", note=f"floor {written / floor:.0f}"),
        Figure("dag", "CPU-s per file (children included)", clock.cpu / files, "s", floor=floor / files),
    ]


def nightly(histories: list[int], rows: int, directory: Path, repeats: int = 3) -> list[Figure]:
    """``build_and_publish`` with nothing new, after a history of each size (files loaded by
    ``process_batch``, then one publication): the median of ``repeats`` calls, wall and CPU."""
    isolate(directory)
    from inclusion_data.orchestration import tasks
    from inclusion_data.settings import Settings

    settings = Settings.from_env()
    tasks.prepare_warehouse()
    figures, loaded = [], 0
    for size in sorted(histories):
        write_files(settings.inbox, size - loaded, rows, first=loaded)
        for batch in tasks.find_batches():
            tasks.process_batch(batch)
        loaded = size
        first = tasks.build_and_publish()
        clocks = []
        for _ in range(repeats):
            with Clock() as clock:
                again = tasks.build_and_publish()
            clocks.append(clock)
        note = f"first publication changed={first.get('changed')}, then changed={again.get('changed')}"
        wall = statistics.median(c.wall for c in clocks)
        cpu = statistics.median(c.cpu for c in clocks)
        figures += [
            Figure("nightly", f"no-change publish, {size} files (wall)", wall, "s",
                   target=f"< {NIGHTLY_S:g} s", note=note),
            Figure("nightly", f"no-change publish, {size} files (CPU)", cpu, "s"),
        ]  # fmt: skip
    return figures
