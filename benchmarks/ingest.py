"""Throughput and memory of the ingest path, printed (not asserted: machines differ).

    make bench                       # defaults: 100 files of 200 rows, 100k-row read test
    .venv/bin/python benchmarks/ingest.py --files 400 --rows 300 --read-rows 1000000

Measures: a 1 GiB zip bomb refused (time, memory);
reading a large xlsx with fastexcel (what the pipeline uses) against python-calamine
and pandas+openpyxl; then a night's worth of partner files through ``process_batch`` on a
temporary SQLite warehouse (files per second, seconds per file, peak memory).
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import shutil
import tempfile
import time
from pathlib import Path


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children: steady on a shared machine."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_read(rows: int, directory: Path) -> None:
    import fastexcel
    import openpyxl
    import pandas as pd
    from python_calamine import CalamineWorkbook

    from inclusion_data.intake.reading import read_file

    path = directory / "big.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Beneficiari")
    sheet.append(
        ["CNP", "Nume și prenume", "Sex", "Etnie", "Localitate", "Serviciu", "Data", "Număr ședințe"]
    )
    for i in range(rows):
        sheet.append(
            [
                f"1850314{i % 1000000:06d}",
                f"Nume {i}",
                "M",
                "Romă",
                "Cojocna",
                "Logopedie",
                "14.03.2016",
                i % 5 + 1,
            ]
        )
    book.save(path)
    print(f"read {rows} rows x 8 columns ({path.stat().st_size / 1e6:.1f} MB xlsx)")
    timings = {
        "fastexcel, all cells as text (pipeline reader)": lambda: (
            fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string").to_arrow()
        ),
        "inclusion_data.intake.reading.read_file (fastexcel + row numbers)": lambda: read_file(path),
        "python-calamine to_python": lambda: (
            CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        ),
        "pandas + openpyxl": lambda: pd.read_excel(path, engine="openpyxl"),
    }
    for label, run in timings.items():
        start = time.perf_counter()
        run()
        print(f"  {label:60s} {time.perf_counter() - start:7.2f} s")


def bench_ingest(files: int, rows_per_file: int, directory: Path) -> None:
    os.environ["INCLUSION_HOME"] = str(directory / "var")
    os.environ["INCLUSION_PSEUDONYM_KEY"] = secrets.token_hex(32)
    os.environ["INCLUSION_SETTLE_SECONDS"] = "0"
    os.environ.pop("WAREHOUSE_URL", None)
    from inclusion_data.demo.sample_data import STYLES, build_plan, write_submission
    from inclusion_data.orchestration import tasks
    from inclusion_data.settings import Settings

    settings = Settings.from_env()
    tasks.prepare_warehouse()
    plan = build_plan(seed=1)
    sources = [
        (key, rows)
        for key, rows in plan.rows.items()
        if key[3] == "beneficiaries" and STYLES[key[:2]].file_format != "csv"
    ]
    for made in range(files):
        (project, partner, period, _), rows = sources[made % len(sources)]
        start = (made // len(sources)) * rows_per_file % max(1, len(rows) - rows_per_file)
        chunk = rows[start : start + rows_per_file]  # distinct rows of one partner's month
        write_submission(
            settings.inbox,
            STYLES[(project, partner)],
            period,
            {"beneficiaries": chunk},
            suffix=f"_{made:04d}",
        )
    start_import = time.perf_counter()
    from inclusion_data.quality import validation

    validation._batch_definition()
    warm = time.perf_counter() - start_import
    paths = tasks.find_batches(batch_size=files)[0]
    start, cpu = time.perf_counter(), _cpu_s()
    results = tasks.process_batch(paths)
    elapsed, cpu = time.perf_counter() - start, _cpu_s() - cpu
    statuses = {r["status"] for r in results}
    print(f"ingest {files} files of up to {rows_per_file} beneficiary rows in one batch ({statuses})")
    print(f"  GX import + context (paid once per mapped task)          {warm:7.2f} s")
    print(f"  processing                                               {elapsed:7.2f} s")
    print(f"  per file                                                 {elapsed / files:7.3f} s")
    print(f"  CPU per file (this process and the readers it forks)     {cpu / files:7.3f} s")
    print(f"  files per minute                                         {files / elapsed * 60:7.0f}")
    print(f"  peak memory of the process                               {_peak_mb():7.0f} MB")


def _bomb(path: Path, gib: float) -> None:
    """An .xlsx whose one sheet is ``gib`` GiB of XML (whitespace, so ~1 MB zipped)."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b"<worksheet><sheetData>")
            chunk = b" " * 2**24
            for _ in range(int(gib * 2**30) // len(chunk)):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")


_REFUSE = """
import resource, sys, time
from pathlib import Path
from inclusion_data.intake.guard import UnreadableFile
from inclusion_data.intake.reading import read_file
start = time.perf_counter()
try:
    read_file(Path(sys.argv[1]))
    print("READ (not refused!)")
except UnreadableFile as refused:
    print(refused.rule, f"{time.perf_counter() - start:.3f}",
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
"""


def bench_bomb(gib: float, directory: Path) -> None:
    """A zip bomb must be refused from its directory: fast, and without inflating it."""
    import subprocess
    import sys

    path = directory / "bomb_2016-03.xlsx"
    _bomb(path, gib)
    out = subprocess.run(
        [sys.executable, "-c", _REFUSE, str(path)], capture_output=True, text=True, check=True
    )
    rule, seconds, peak = out.stdout.split()
    print(f"\nZip bomb: {gib:g} GiB of sheet XML in {path.stat().st_size / 2**20:.1f} MB")
    print(f"  refused as {rule:<25} in {float(seconds):7.3f} s, peak memory {float(peak):5.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--read-rows", type=int, default=100_000)
    parser.add_argument("--bomb-gib", type=float, default=1.0, help="size of the zip bomb's sheet XML")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="inclusion-bench-"))
    try:
        bench_bomb(args.bomb_gib, directory)
        bench_read(args.read_rows, directory)
        bench_ingest(args.files, args.rows, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
