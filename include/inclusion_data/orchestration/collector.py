"""Python's cycle collector kept off what a batch only reads: the imports, GX's context and
suites, the localities' index. Its full collections walk every live object, and with
Airflow, pandas and GX loaded that is millions of them, ~5 ms of every small file's 50.

``gc.freeze`` (made for this: long-lived objects moved out of the collector's sight) is the
standard library's own answer; nothing here is collected less, only not walked again.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def freeze_for_forks() -> None:
    """Before a process forks the ones that do the work (a Celery worker's warm-up): what it
    loaded is frozen, so their collections neither walk it nor copy its pages. (Airflow's
    Celery app unfreezes the worker's main process once its pool has started; the pool
    processes keep the freeze, and one started later freezes per batch, ``loaded_frozen``.)"""
    gc.freeze()


@contextlib.contextmanager
def loaded_frozen() -> Iterator[None]:
    """Inside, what was alive on entry is out of the collector's sight; on leaving it is
    collected as before, so a long-lived caller (the tests, ``dag.test()``) keeps nothing
    for ever. A process whose parent froze what it loaded (``freeze_for_forks``) is left
    as it is."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
