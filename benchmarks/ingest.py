"""Throughput and memory of the ingest path, printed (not asserted: machines differ).

    .venv/bin/python benchmarks/ingest.py   # defaults: 100 files of 200 rows, 100k-row read test
    .venv/bin/python benchmarks/ingest.py --files 400 --rows 300 --read-rows 1000000

Measures: a 1 GiB zip bomb refused (time, memory);
reading a large xlsx with fastexcel (what the pipeline uses) against python-calamine
and pandas+openpyxl (CPU seconds, against fastexcel's); then a night's worth of partner files
through ``process_batch`` on a temporary SQLite warehouse (CPU per file against fastexcel
reading the same files, files per second, peak memory). ``run.py --only ingest`` runs the same.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from figures import Clock, Figure, peak_mb, show
from small_files import floor_cpu, isolate, write_files


def bench_read(rows: int, directory: Path) -> list[Figure]:
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
    megabytes = path.stat().st_size / 1e6
    timings = {
        "fastexcel, all cells as text (the floor)": lambda: (
            fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string").to_arrow()
        ),
        "read_file (fastexcel + row numbers)": lambda: read_file(path),
        "python-calamine to_python": lambda: (
            CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        ),
        "pandas + openpyxl": lambda: pd.read_excel(path, engine="openpyxl"),
    }
    figures: list[Figure] = []
    for label, run in timings.items():
        with Clock() as clock:
            run()
        floor = figures[0].value if figures else None
        note = f"{rows} rows x 8 columns, {megabytes:.1f} MB xlsx" if not figures else ""
        figures.append(Figure("read", label, clock.cpu, "CPU-s", floor=floor, note=note))
    return figures


def bench_ingest(files: int, rows_per_file: int, directory: Path) -> list[Figure]:
    isolate(directory)
    from inclusion_data.orchestration import tasks
    from inclusion_data.quality import validation
    from inclusion_data.settings import Settings

    settings = Settings.from_env()
    tasks.prepare_warehouse()
    written = write_files(settings.inbox, files, rows_per_file)
    floor = floor_cpu(settings.inbox)
    with Clock() as warm:
        validation._batch_definition()
    paths = tasks.find_batches(batch_size=files)[0]
    with Clock() as clock:
        results = tasks.process_batch(paths)
    statuses = ",".join(sorted({r["status"] for r in results}))
    return [
        Figure("process_batch", "GX import + context (once per mapped task)", warm.cpu, "CPU-s"),
        Figure("process_batch", "CPU-s per file (readers included)", clock.cpu / files, "s",
               floor=floor / files, note=f"{files} files, {written} rows in one batch: {statuses}"),
        Figure("process_batch", "files per CPU-s", files / clock.cpu, "files/s"),
        Figure("process_batch", "files/s (wall)", files / clock.wall, "files/s"),
        Figure("process_batch", "peak RSS of the process", peak_mb(), "MB"),
    ]  # fmt: skip


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


def bench_bomb(gib: float, directory: Path) -> list[Figure]:
    """A zip bomb must be refused from its directory: fast, and without inflating it."""
    import subprocess
    import sys

    path = directory / "bomb_2016-03.xlsx"
    _bomb(path, gib)
    out = subprocess.run(
        [sys.executable, "-c", _REFUSE, str(path)], capture_output=True, text=True, check=True
    )
    rule, seconds, peak = out.stdout.split()
    note = f"{gib:g} GiB of sheet XML in {path.stat().st_size / 2**20:.1f} MB, refused as {rule}"
    return [
        Figure("zip bomb", "time to refuse", float(seconds), "s", note=note),
        Figure("zip bomb", "peak RSS of the refusing process", float(peak), "MB"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--read-rows", type=int, default=100_000)
    parser.add_argument("--bomb-gib", type=float, default=1.0, help="size of the zip bomb's sheet XML")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="inclusion-bench-"))
    try:
        show(
            bench_bomb(args.bomb_gib, directory)
            + bench_read(args.read_rows, directory)
            + bench_ingest(args.files, args.rows, directory)
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
