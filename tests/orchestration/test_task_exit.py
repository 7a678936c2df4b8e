"""A supervisor whose task process has closed every socket notices its exit when it happens
(``orchestration.task_exit``). Airflow's own loop would sleep ``max_wait_time`` in
``select()`` on no sockets first: the 5 s a worker lost after a third of its tasks.

The task process here is a real fork by the Task SDK's ``WatchedSubprocess.start``: it closes
its sockets as a finishing task does, then waits for the test's word to exit, so the
supervisor is certainly asked while nothing is left to select on."""

import os
import threading
import time
import uuid

import pytest
from airflow.sdk.execution_time.supervisor import WatchedSubprocess

from inclusion_data.orchestration.task_exit import reap_promptly

WAIT = 30.0  # what the supervisor may sleep for: it must return long before


def _exiting_task(release: int):
    def main() -> None:
        # every socket to the supervisor (stdin is the requests socket, stdout, stderr, the
        # logs), as a finishing task closes them: all but the pipe it waits on
        os.closerange(0, release)
        os.closerange(release + 1, 1024)
        os.read(release, 1)  # the test's word
        os._exit(3)

    return main


@pytest.fixture
def prompt():
    original = WatchedSubprocess._service_subprocess
    assert reap_promptly()
    yield
    WatchedSubprocess._service_subprocess = original


def _started(release: int) -> WatchedSubprocess:
    class Task(WatchedSubprocess):  # asks the supervisor nothing
        def _handle_request(self, msg, log, req_id):  # pragma: no cover
            raise AssertionError(msg)

    return Task.start(id=uuid.uuid4(), target=_exiting_task(release))


def test_an_exiting_task_is_seen_when_it_exits_not_after_the_wait(prompt):
    read_end, write_end = os.pipe()
    task = _started(read_end)
    os.close(read_end)
    deadline = time.monotonic() + 60
    while task.selector.get_map():  # its sockets' EOF, as the supervisor handles them
        assert task._service_subprocess(max_wait_time=1.0) is None
        assert time.monotonic() < deadline, "the task process never closed its sockets"
    threading.Timer(0.5, os.write, (write_end, b"x")).start()  # exits while the supervisor waits
    asked = time.monotonic()
    assert task._service_subprocess(max_wait_time=WAIT) == 3
    assert time.monotonic() - asked < WAIT / 2  # returned on the exit, not at the end of the wait
    os.close(write_end)


def test_a_task_that_goes_on_without_sockets_is_waited_for_as_before(prompt):
    read_end, write_end = os.pipe()
    task = _started(read_end)
    os.close(read_end)
    while task.selector.get_map():
        task._service_subprocess(max_wait_time=1.0)
    assert task._service_subprocess(max_wait_time=0.2) is None  # still running: no exit code
    os.write(write_end, b"x")
    os.close(write_end)
    assert task._service_subprocess(max_wait_time=WAIT) == 3


def test_installing_twice_changes_nothing(prompt):
    patched = WatchedSubprocess._service_subprocess
    assert reap_promptly()
    assert WatchedSubprocess._service_subprocess is patched
