"""The figures of a benchmark run: each with its unit, the floor measured in the same run (what
the work cannot go below: fastexcel reading the same cells) and the target of issue 13, printed
beside it (never asserted: machines differ), and the JSON two runs are compared by."""

from __future__ import annotations

import json
import resource
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path


def cpu_s() -> float:
    """CPU seconds of this process and its children that have ended (the readers it forks):
    steady on a shared machine, where wall time says more about the neighbours."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_mb() -> float:
    """This process's peak RSS. Linux keeps ``ru_maxrss`` across fork and exec: in a process
    started by a bigger one it says the parent's peak (``TreeMemory`` measures a child)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class TreeMemory:
    """The peak memory of a running process and its descendants (a task and its reader
    child), sampled from outside every ``interval`` s: the sum of their PSS, each shared page
    counted once across them (RSS would count the pages a fork shares in both), and the
    sum of their RSS beside it. Kernel figures (``/proc/<pid>/smaps_rollup``); the sampling's
    cost falls on this process, not on the one measured."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval = pid, interval
        self.pss_mb = self.rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.is_set():
            pss = rss = 0
            for pid in _tree(self.pid):
                kb = _rollup(pid)
                pss, rss = pss + kb.get("Pss", 0), rss + kb.get("Rss", 0)
            self.pss_mb, self.rss_mb = max(self.pss_mb, pss / 1024), max(self.rss_mb, rss / 1024)
            self._stop.wait(self.interval)


def _tree(pid: int) -> list[int]:
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                waiting += [int(child) for child in (task / "children").read_text().split()]
        except OSError:  # ended meanwhile
            continue
    return found


def _rollup(pid: int) -> dict[str, int]:
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    except OSError:
        return {}
    return {name.rstrip(":"): int(kb) for name, kb, *_ in (line.split() for line in lines)}


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
