"""The Celery worker's warm-up (``orchestration.celery_worker``): run in a fresh interpreter as
a worker's main process runs it, it leaves the package, GX and a context imported and built,
opens no socket and starts no thread (a fork copies neither safely), and a process forked
after it validates a real sheet with what it inherited. The end-to-end Celery test checks that
each worker ran it once (``test_real_scheduler``)."""

import subprocess
import sys
import textwrap
from pathlib import Path

WARM_THEN_FORK = textwrap.dedent(
    """
    import os, sys, threading

    def sockets():
        found = set()
        for fd in os.listdir("/proc/self/fd"):  # the listing's own descriptor is gone by now
            try:
                found.add(os.readlink(f"/proc/self/fd/{fd}"))
            except FileNotFoundError:
                pass
        return {link for link in found if link.startswith("socket:")}

    from inclusion_data.orchestration import celery_worker
    assert "great_expectations" not in sys.modules, "imported before the warm-up"
    before = sockets()
    celery_worker.warm_up()
    assert threading.active_count() == 1, threading.enumerate()
    assert sockets() == before, sockets() - before
    from inclusion_data.quality import validation
    assert {"great_expectations", "inclusion_data.orchestration.tasks",
            "airflow.sdk.execution_time.task_runner", "airflow.dag_processing.dagbag"} <= set(sys.modules)
    assert validation._batch_definition.cache_info().currsize == 1
    assert validation._suite.cache_info().currsize == 6  # three datasets, alone and together
    from inclusion_data.intake.localities import localities
    assert localities.cache_info().currsize == 1
    import gc
    assert gc.get_freeze_count() > 100_000  # what it loaded, out of the task processes' collections
    from airflow.sdk.execution_time.supervisor import WatchedSubprocess
    assert WatchedSubprocess._service_subprocess.reaps_promptly  # orchestration.task_exit

    sys.path[:0] = sys.argv[1:]
    from test_validation_together import _frame, _plain
    from workbooks import beneficiary
    from inclusion_data.contracts.datasets import BENEFICIARIES

    child = os.fork()
    if child == 0:  # what a task process Airflow forks does: validate, with nothing built again
        found = validation.validate_frame(BENEFICIARIES, _frame([beneficiary(), beneficiary(sex=None)]))
        ok = validation._batch_definition.cache_info().misses == 1 and (
            ("required_value", "sex", (3,)) in _plain(found))
        print("child", _plain(found), flush=True)
        os._exit(0 if ok else 1)
    assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0
    """
)


def test_the_warm_up_prepares_what_a_forked_task_process_uses():
    tests = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", WARM_THEN_FORK, str(tests), str(tests / "quality")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    assert "'required_value', 'sex', (3,)" in done.stdout, done.stdout  # found by the child
