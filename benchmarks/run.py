"""The figures of issue 13, each against the floor measured in the same run, with the target
printed beside it (not asserted: machines differ), and one JSON of them to compare runs.

    make bench                                           # the default set, about 10 minutes
    make bench BENCH_ARGS="--only dag,nightly --files 100"
    .venv/bin/python benchmarks/run.py --big-rows 1000000 --facts 10000000 --json var/bench/full.json
    .venv/bin/python benchmarks/run.py --compare var/bench/old.json var/bench/new.json

Sections (``--only``, comma-separated; all by default):
  ingest      zip bomb refused; the readers compared; small files through ``process_batch``
  bigfile     one big workbook stage by stage, and its whole ingest's CPU and peak RSS
  dag         small files through the real ``ingest_submissions`` by ``dag.test()`` (SQLite)
  nightly     the no-change ``build_and_publish`` after histories of two sizes
  celery      small files through the scheduler and CeleryExecutor, one worker then two
              (PostgreSQL, Redis on 127.0.0.1)
  indicators  the indicator rebuild on PostgreSQL over COPY-loaded facts

Each section runs in a fresh process (its own environment, peak RSS and CPU accounting) in a
temporary directory. CPU seconds include the children that ended (the reader processes).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from figures import Figure, compare, show, write

SECTIONS = ("ingest", "bigfile", "dag", "nightly", "celery", "indicators")
DEFAULT_JSON = Path("var/bench") / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"


def section(name: str, args: argparse.Namespace, directory: Path) -> list[Figure]:
    """One section's figures, in this process."""
    if name == "ingest":
        import ingest

        return (
            ingest.bench_bomb(args.bomb_gib, directory)
            + ingest.bench_read(args.read_rows, directory)
            + ingest.bench_ingest(args.ingest_files, args.rows_per_file, directory)
        )
    if name == "bigfile":
        import big_file

        return big_file.as_figures(big_file.measure(args.big_rows, args.flagged))
    if name == "dag":
        import small_files

        return small_files.dag(args.files, args.rows_per_file, directory)
    if name == "nightly":
        import small_files

        return small_files.nightly(args.histories, args.rows_per_file, directory)
    if name == "celery":
        import celery_run

        return celery_run.celery(args.celery_files, args.rows_per_file, args.batch_size, directory)
    if name == "indicators":
        import indicators

        return indicators.as_figures(indicators.measure(args.facts, engine_only=not args.per_set, check=True))
    raise SystemExit(f"no section {name!r}: {', '.join(SECTIONS)}")


def in_child(name: str, argv: list[str]) -> list[Figure]:
    """``section`` in a fresh process; what it prints is shown as it comes."""
    with tempfile.TemporaryDirectory(prefix=f"inclusion-bench-{name}-") as folder:
        out = Path(folder) / "figures.json"
        done = subprocess.run([sys.executable, __file__, *argv, "--child", name, "--child-out", str(out)])
        if done.returncode or not out.exists():
            print(f"section {name} failed (exit {done.returncode})", file=sys.stderr)
            return []
        return [Figure(**row) for row in json.loads(out.read_text())]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.epilog = __doc__.split("\n\n", 1)[1]
    p.add_argument("--only", default=",".join(SECTIONS), help="sections, comma-separated")
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where the figures go")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"), help="two runs side by side")
    sizes = p.add_argument_group("sizes")
    sizes.add_argument("--rows-per-file", type=int, default=300, help="rows of each small file")
    sizes.add_argument("--files", type=int, default=600, help="small files through dag.test()")
    sizes.add_argument("--histories", default="200,600", help="nightly: history sizes in files")
    sizes.add_argument("--celery-files", type=int, default=60, help="files of each Celery round")
    sizes.add_argument("--batch-size", type=int, default=10, help="files of a mapped task (Celery)")
    sizes.add_argument("--big-rows", type=int, default=200_000, help="rows of the big file")
    sizes.add_argument("--flagged", type=float, default=0.0, help="big file: share of rows with an error")
    sizes.add_argument("--facts", type=int, default=1_000_000, help="facts of the indicator rebuild")
    sizes.add_argument("--per-set", action="store_true", help="indicators: also the per-set queries")
    sizes.add_argument("--ingest-files", type=int, default=100, help="files through process_batch")
    sizes.add_argument("--read-rows", type=int, default=100_000, help="rows of the reader comparison")
    sizes.add_argument("--bomb-gib", type=float, default=1.0, help="size of the zip bomb's sheet XML")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    return p


def main() -> None:
    argv = sys.argv[1:]
    args = parser().parse_args(argv)
    args.histories = [int(size) for size in str(args.histories).split(",")]
    if args.compare:
        compare(*args.compare)
        return
    if args.child:
        directory = Path(tempfile.mkdtemp(prefix=f"inclusion-bench-{args.child}-"))
        try:
            figures = section(args.child, args, directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        args.child_out.write_text(json.dumps([asdict(f) for f in figures]))
        return
    figures: list[Figure] = []
    for name in args.only.split(","):
        if name not in SECTIONS:
            raise SystemExit(f"no section {name!r}: {', '.join(SECTIONS)}")
        print(f"-- {name}", flush=True)
        started = time.monotonic()
        figures += in_child(name, argv)
        print(f"-- {name}: {time.monotonic() - started:.0f} s", flush=True)
    show(figures)
    options = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if v is not None}
    write(figures, args.json, options)


if __name__ == "__main__":
    main()
