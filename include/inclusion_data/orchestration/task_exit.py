"""A finished task's process reaped as soon as it exits, not up to five seconds later.

Airflow's task supervisor (``airflow.sdk.execution_time.supervisor``, Task SDK 1.3) waits for
its task process in ``select()`` on the process's sockets, for at most
``[workers] min_heartbeat_interval`` (5 s), and asks whether it has exited after each wake.
The process closes its sockets a moment before the kernel makes it waitable; when the
supervisor handles the last EOF inside that moment, nothing is left to select on, and it
sleeps the whole interval beside a process that has already gone. Measured through the
CeleryExecutor: ``prepare_warehouse`` ended 0.14 s after it started and its worker took the
next task 5.0 s later, and the same happened to about one task in three; with one worker
that was 5-10 s of a 36-44 s run of 600 files.

Upstream's loop is unchanged on its main branch, so this replaces only that sleep: with no
socket left to select on, the supervisor waits for the process itself for the same time,
and returns as soon as it exits. Installed by the Celery workers' warm-up
(``celery_worker``), in the process that forks the supervisors. Shortening the heartbeat
interval instead would bound the gap, not close it, and heartbeat every task once a second.
"""

from __future__ import annotations

import contextlib
import logging

log = logging.getLogger(__name__)
_USED = {"_exit_code", "_process", "selector"}  # the supervisor's fields this reads


def reap_promptly() -> bool:
    """Make the supervisors this process starts wait for an exiting task process instead of
    sleeping on no sockets. False (and nothing changed) when the Task SDK is not the one
    this was written for."""
    from airflow.sdk.execution_time import supervisor

    watched = supervisor.WatchedSubprocess
    original = getattr(watched, "_service_subprocess", None)
    if getattr(original, "reaps_promptly", False):
        return True
    fields = {field.name for field in getattr(watched, "__attrs_attrs__", ())}
    if original is None or not hasattr(watched, "_check_subprocess_exit") or not fields >= _USED:
        log.warning("the Task SDK's supervisor has changed: its task processes are reaped as it does")
        return False

    def _service_subprocess(self, max_wait_time: float, raise_on_timeout: bool = False, expect_signal=None):
        if self._exit_code is None and not self.selector.get_map():  # nothing left to select on
            with contextlib.suppress(self._process.TimeoutExpired):
                self._process.wait(timeout=max(0.01, max_wait_time))
            return self._check_subprocess_exit(raise_on_timeout=raise_on_timeout, expect_signal=expect_signal)
        return original(self, max_wait_time, raise_on_timeout=raise_on_timeout, expect_signal=expect_signal)

    _service_subprocess.reaps_promptly = True  # type: ignore[attr-defined]
    watched._service_subprocess = _service_subprocess  # type: ignore[method-assign]
    return True
