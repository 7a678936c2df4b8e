"""The reader's child process: an abort or a memory blow-up costs one file, not the worker."""

import os
import signal
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from inclusion_data.intake.guard import UnreadableFile
from inclusion_data.intake.isolation import in_child, read_ahead, reader_child
from inclusion_data.intake.paths import inside, safe_name, unsafe_reason
from inclusion_data.intake.reading import ask_ahead
from inclusion_data.settings import ReadingLimits

SMALL = ReadingLimits(reader_memory_bytes=256 * 2**20)


def test_a_result_comes_back_from_the_child():
    assert in_child(lambda: [("Beneficiari", [1, "ă"])], SMALL) == [("Beneficiari", [1, "ă"])]


def test_an_abort_in_the_reader_is_a_refusal_not_a_crash():
    with pytest.raises(UnreadableFile) as refused:
        in_child(os.abort, SMALL)  # what a Rust panic that aborts does to a process
    assert refused.value.rule == "corrupt_file"
    assert os.getpid() > 0  # and we are still here


def test_memory_beyond_the_cap_is_refused():
    with pytest.raises(UnreadableFile) as refused:
        in_child(lambda: bytearray(1024 * 2**20), SMALL)
    assert refused.value.rule == "too_big_unpacked"


def test_a_reader_error_comes_back_as_an_error():
    def fails():
        raise ValueError("bad cell")

    with pytest.raises(RuntimeError, match="ValueError: bad cell"):
        in_child(fails, SMALL)


def _pid() -> int:
    return os.getpid()


def _allocate(mb: int) -> int:
    return len(bytearray(mb * 2**20))


def _fails(message: str) -> None:
    raise ValueError(message)


def test_a_batch_reads_in_one_child():
    with reader_child(SMALL) as child:
        pids = {in_child(_pid, SMALL) for _ in range(5)}
        assert in_child(_allocate, SMALL, 10) == 10 * 2**20
    assert len(pids) == 1 and os.getpid() not in pids
    assert child.forks == 1


_KEPT: list[bytes] = []


def _read_a_big_workbook(mb: int) -> pa.Array:
    """What a reader of a big sheet leaves: ``mb`` of small allocations freed, under one kept."""
    cells = [bytes(600) + i.to_bytes(4, "little") for i in range(mb * 2**20 // 640)]
    _KEPT.append(bytes(600))  # on top of the heap: the free space below it stays the process's
    del cells
    return pa.array(np.arange(5 * 2**20, dtype=np.int64))  # 40 MB, as a sheet's columns


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_a_child_gives_back_what_a_big_workbook_took_and_keeps_serving():
    limits = ReadingLimits(reader_memory_bytes=2 * 2**30)
    with reader_child(limits) as child:
        pid = in_child(_pid, limits)
        before = _rss_mb(pid)
        answer = in_child(_read_a_big_workbook, limits, 300)
        assert answer.to_numpy()[-1] == 5 * 2**20 - 1  # the columns came back whole
        deadline = time.monotonic() + 10
        while _rss_mb(pid) > before + 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _rss_mb(pid) < before + 100  # not the 300 MB the read had freed
        assert in_child(_pid, limits) == pid and child.forks == 1


def test_a_file_that_stops_the_batch_child_costs_that_file_only():
    with reader_child(SMALL) as child:
        first = in_child(_pid, SMALL)
        with pytest.raises(UnreadableFile) as refused:
            in_child(os.abort, SMALL)
        assert refused.value.rule == "corrupt_file"
        after = in_child(_pid, SMALL)
    assert after != first  # the next file got a new child
    assert child.forks == 2  # the abort was tried again in a child of its own, not counted here


def test_memory_beyond_the_cap_in_a_reused_child_is_judged_by_a_fresh_one():
    with reader_child(SMALL) as child:
        in_child(_pid, SMALL)
        with pytest.raises(UnreadableFile) as refused:
            in_child(_allocate, SMALL, 1024)
        assert refused.value.rule == "too_big_unpacked"
        assert in_child(_allocate, SMALL, 100) == 100 * 2**20  # within the cap, in a new child
    assert child.forks == 2


def test_errors_and_closures_in_a_batch():
    with reader_child(SMALL) as child:
        with pytest.raises(RuntimeError, match="ValueError: bad cell"):
            in_child(_fails, SMALL, "bad cell")
        assert in_child(lambda: "ă", SMALL) == "ă"  # cannot be sent: read in a child of its own
        assert in_child(_pid, SMALL) != os.getpid()
    assert child.forks == 1


def _noted(log: str, value: str) -> str:
    with open(log, "a") as noted:
        noted.write(value + "\n")
    return value


def _wait_for(path: Path, lines: int) -> list[str]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.exists() and len(found := path.read_text().splitlines()) >= lines:
            return found
        time.sleep(0.01)
    raise AssertionError(f"{path} never had {lines} lines")


def test_a_read_asked_ahead_is_read_before_it_is_asked_for_and_only_once(tmp_path):
    log = tmp_path / "reads"
    with reader_child(SMALL) as child:
        read_ahead(_noted, SMALL, str(log), "a")
        read_ahead(_noted, SMALL, str(log), "b")
        assert _wait_for(log, 2) == ["a", "b"]  # both read while the parent did nothing
        assert in_child(_noted, SMALL, str(log), "a") == "a"
        assert in_child(_noted, SMALL, str(log), "b") == "b"
        assert in_child(_noted, SMALL, str(log), "c") == "c"  # not asked ahead: read now
    assert log.read_text().splitlines() == ["a", "b", "c"]
    assert child.forks == 1


def test_answers_asked_for_ahead_and_not_wanted_are_dropped(tmp_path):
    log = tmp_path / "reads"
    with reader_child(SMALL) as child:
        read_ahead(_noted, SMALL, str(log), "skipped")  # say, a file found a duplicate first
        read_ahead(_noted, SMALL, str(log), "wanted")
        assert in_child(_noted, SMALL, str(log), "wanted") == "wanted"
        read_ahead(_noted, SMALL, str(log), "never taken")
        assert in_child(_noted, SMALL, str(log), "other") == "other"
    assert log.read_text().splitlines() == ["skipped", "wanted", "never taken", "other"]
    assert child.forks == 1


def test_a_read_ahead_that_stops_the_child_costs_that_file_only():
    with reader_child(SMALL) as child:
        read_ahead(_pid, SMALL)
        read_ahead(os.abort, SMALL)
        first = in_child(_pid, SMALL)
        with pytest.raises(UnreadableFile) as refused:
            in_child(os.abort, SMALL)  # judged again by a child of its own
        assert refused.value.rule == "corrupt_file"
        assert in_child(_pid, SMALL) != first
    assert child.forks == 2


def test_a_dropped_read_ahead_that_ran_out_of_memory_retires_the_child():
    with reader_child(SMALL) as child:
        read_ahead(_pid, SMALL)
        read_ahead(_allocate, SMALL, 1024)
        first = in_child(_pid, SMALL)
        assert in_child(_allocate, SMALL, 10) == 10 * 2**20  # not the one asked ahead
        assert in_child(_pid, SMALL) != first  # its heap may be fragmented: a new child
    assert child.forks == 2


def test_the_batch_does_not_wait_for_a_read_ahead_nobody_takes():
    started = time.monotonic()
    with reader_child(SMALL):
        read_ahead(time.sleep, SMALL, 120)
        time.sleep(0.2)  # it is being read
    assert time.monotonic() - started < 60


def _slow(value: str, seconds: float) -> str:
    time.sleep(seconds)
    return value


class Interrupted(Exception):
    pass


def test_a_read_interrupted_in_the_parent_retires_the_child_and_its_stale_answer():
    def interrupt(*_):
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with reader_child(SMALL) as child:
            first = in_child(_pid, SMALL)
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            started = time.monotonic()
            with pytest.raises(Interrupted):  # a task's timeout, say, while the child reads
                in_child(_slow, SMALL, "stale", 30)
            assert time.monotonic() - started < 20  # the child was stopped, not waited for
            assert in_child(_slow, SMALL, "fresh", 0) == "fresh"  # not the stale answer
            assert in_child(_pid, SMALL) != first
        assert child.forks == 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_file_the_guard_refuses_is_never_read_ahead(tmp_path):
    secret = tmp_path / "secret.xlsx"
    secret.write_bytes(b"not for the reader")
    link = tmp_path / "link.xlsx"
    link.symlink_to(secret)
    with reader_child(SMALL) as child:
        ask_ahead(link, SMALL)
        ask_ahead(tmp_path / "gone.xlsx", SMALL)
        assert child.forks == 0  # no child was even started


@pytest.mark.parametrize(
    "name", ["../x", "TWAM/../../x", "/etc/passwd", "C:\\x", "a/\x00b", "a\nb", "", "TWAM/./x"]
)
def test_names_that_lead_out_or_hide_are_refused(name, tmp_path):
    assert unsafe_reason(name)
    with pytest.raises(ValueError):
        inside(tmp_path, name)


def test_a_linked_folder_that_leads_out_is_refused(tmp_path):
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "TWAM").symlink_to(tmp_path)
    with pytest.raises(ValueError, match="outside"):
        inside(tmp_path / "inbox", "TWAM/secret")
    assert inside(tmp_path / "inbox", "ALBA/x.xlsx") == (tmp_path / "inbox" / "ALBA/x.xlsx").resolve()


def test_safe_names_keep_what_can_be_kept():
    assert safe_name("raport_2016-03.xlsx") == "raport_2016-03.xlsx"
    assert safe_name("..\n/raport") == "__raport"
