"""The figures of a benchmark run: each with its unit, the floor measured in the same run (what
the work cannot go below: fastexcel reading the same cells) and the target of issue 13, printed
beside it (never asserted: machines differ), and the JSON two runs are compared by."""

from __future__ import annotations

import json
import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path


def cpu_s() -> float:
    """CPU seconds of this process and its children that have ended (the readers it forks):
    steady on a shared machine, where wall time says more about the neighbours."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Clock:
    """Wall and CPU seconds of a ``with`` block."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), cpu_s()
        return self

    def __exit__(self, *_) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, cpu_s() - self.cpu


@dataclass
class Figure:
    section: str
    name: str
    value: float
    unit: str
    floor: float | None = None  # the same figure for the floor, measured in this run
    target: str = ""  # issue 13's, as text: "<= 3x floor (aim 2x)", ">= 20 files/s", ...
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.floor if self.floor else None


def show(figures: list[Figure]) -> None:
    section = None
    for f in figures:
        if f.section != section:
            section = f.section
            print(f"\n== {section}")
        floor = f"floor {f.floor:10.3f}  {f.ratio:6.1f}x" if f.floor is not None and f.ratio else " " * 25
        target = f"  target {f.target}" if f.target else ""
        note = f"  ({f.note})" if f.note else ""
        print(f"  {f.name:46s} {f.value:12.3f} {f.unit:8s} {floor}{target}{note}")


def write(figures: list[Figure], path: Path, options: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "options": options,
        "figures": [{**asdict(f), "ratio": f.ratio} for f in figures],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nfigures written to {path}")


def read(path: Path) -> list[Figure]:
    return [
        Figure(**{k: v for k, v in row.items() if k != "ratio"})
        for row in json.loads(path.read_text())["figures"]
    ]


def compare(old: Path, new: Path) -> None:
    """Two runs side by side: each figure (and its ratio to the floor) and the change."""
    before = {(f.section, f.name): f for f in read(old)}
    after = {(f.section, f.name): f for f in read(new)}
    print(f"{'':64s} {old.name:>22s} {new.name:>22s}  change")
    for key in [*before, *(k for k in after if k not in before)]:
        a, b = before.get(key), after.get(key)
        cells = []
        for f in (a, b):
            cells.append(f"{f.value:12.3f}{f' ({f.ratio:5.1f}x)' if f.ratio else ' ' * 9}" if f else " " * 21)
        change = f"{(b.value / a.value - 1) * 100:+6.0f}%" if a and b and a.value else ""
        unit = (b or a).unit  # type: ignore[union-attr]
        print(f"  {key[0] + ': ' + key[1]:54s} {unit:7s} {cells[0]:>22s} {cells[1]:>22s}  {change}")
