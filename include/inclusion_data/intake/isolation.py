"""Where the spreadsheet reader runs: a forked child with a cap on its memory, so that a crash,
an abort or a memory blow-up costs one file, not the worker (calamine is Rust and can abort
the whole process on a hostile file, which Python cannot catch).

A fork costs about 25 ms from a worker holding Airflow and pandas, more than reading a monthly
file, so a batch of files keeps one child (``reader_child``) that reads them one after
another. Its verdict on a file never depends on what it read before: when a reused child
dies or runs out of memory on a file, that file is read again in a fresh child, and only that
answer counts. The batch may ask for the next file ahead (``read_ahead``): the child reads it
while the parent checks the one before, and answers in the order it was asked.

Bare ``os.fork`` and pipes rather than ``multiprocessing``: under the CeleryExecutor a task
runs in a daemonic pool process, and multiprocessing refuses to start children from one; and
a ``multiprocessing`` pool would hide which file a dead worker was reading.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import pickle
import resource
import signal
import struct
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar

from inclusion_data.intake.guard import UnreadableFile, reader_stopped, too_big_in_memory
from inclusion_data.settings import ReadingLimits

T = TypeVar("T")

_FRAME = struct.Struct("<Q")  # the length of each message (and count of buffers) on the pipes
AHEAD = 2  # reads asked for ahead and not yet taken, at most: a request is a few hundred bytes
RELEASE_AFTER_BYTES = 32 << 20  # after an answer this big (a big workbook) the child shrinks
_active: contextvars.ContextVar[ReaderChild | None] = contextvars.ContextVar("reader_child", default=None)


class ChildStopped(Exception):
    """The child died (killed, aborted, out of memory) before it answered."""


def in_child(read: Callable[..., T], limits: ReadingLimits, *args: Any) -> T:
    """``read(*args)`` in a forked child whose address space may grow by at most
    ``limits.reader_memory_bytes``; the result comes back pickled. Inside ``reader_child``
    the batch's child runs it (``read`` and ``args`` must pickle: a module-level function);
    otherwise a child is forked for this call alone."""
    child = _active.get()
    if child is not None and child.limits == limits:
        return child.run(read, args)
    return _unpack(_fresh(read, args, limits))


def read_ahead(read: Callable[..., object], limits: ReadingLimits, *args: Any) -> None:
    """Ask the batch's child for ``read(*args)`` now; the ``in_child`` call with the same
    arguments takes its answer. Outside ``reader_child``, nothing."""
    child = _active.get()
    if child is not None and child.limits == limits:
        child.ahead(read, args)


@contextlib.contextmanager
def reader_child(limits: ReadingLimits) -> Iterator[ReaderChild]:
    """One child reads every file ``in_child`` is given inside this block."""
    child = ReaderChild(limits)
    token = _active.set(child)
    try:
        yield child
    finally:
        _active.reset(token)
        child.close()


class ReaderChild:
    """A forked child that runs reads one after another, forked again after it stops."""

    def __init__(self, limits: ReadingLimits):
        self.limits = limits
        self.forks = 0  # how many children were started: what the tests see
        self._pid: int | None = None
        self._requests: Any = None  # parent -> child
        self._answers: Any = None  # child -> parent
        self._served = 0
        self._ahead: deque[bytes] = deque()  # requests sent whose answers are not taken, in order
        self._in_flight = 0  # requests sent and not answered yet: the child may be reading one

    def ahead(self, read: Callable[..., object], args: tuple) -> None:
        """Send the request now: the child reads it while the parent works on the file before."""
        request = _request(read, args)
        if request is None or len(self._ahead) >= AHEAD or request in self._ahead:
            return
        if self._pid is None:
            self._start()
        if self._send(request):
            self._ahead.append(request)
        else:  # dead: ``run`` starts another
            self.close()

    def run(self, read: Callable[..., T], args: tuple) -> T:
        request = _request(read, args)
        if request is None:  # a closure: a child of its own
            return _unpack(_fresh(read, args, self.limits))
        self._drop_ahead_of(request)
        if self._pid is None:
            self._start()
        reused = self._served > 0
        if self._ahead:  # asked for ahead: its answer is the next one
            self._ahead.popleft()
            answer = self._take()
        else:
            answer = self._take() if self._send(request) else None
        if answer is None or _out_of_memory(answer):
            self.close()  # dead, or its heap may stay fragmented: the next file gets a fresh child
            if reused:
                answer = _fresh(read, args, self.limits)  # the verdict a fresh child gives
        return _unpack(answer)

    def _drop_ahead_of(self, request: bytes) -> None:
        """The answers to requests asked for ahead of ``request`` and not wanted after all (a
        file found a duplicate before it was read), or to all of them when ``request`` was not
        asked for ahead: read and dropped, as a verdict never taken. A child that stops or
        runs out of memory on one is closed, as ``run`` would close it."""
        while self._ahead and self._ahead[0] != request:
            self._ahead.popleft()
            dropped = self._take()
            if dropped is None or _out_of_memory(dropped):
                self.close()
                return

    def _send(self, request: bytes) -> bool:
        """False when the child is gone. Interrupted half-way, the pipe is out of step: the
        child is closed."""
        try:
            _send(self._requests, request)
        except OSError:
            return False
        except BaseException:
            self.close()
            raise
        self._in_flight += 1
        return True

    def _take(self) -> tuple[bool, Any] | None:
        """The next answer; None when the child stopped before giving it whole. Interrupted
        half-way (a task's timeout), the pipe is out of step: the child is closed."""
        try:
            answer = _receive_answer(self._answers)
            self._in_flight -= 1
        except (OSError, EOFError, ChildStopped, pickle.UnpicklingError):
            return None
        except BaseException:
            self.close()
            raise
        self._served += 1
        return answer

    def close(self) -> None:
        if self._pid is None:
            return
        if self._in_flight:  # it may be reading a file nobody will take: not waited for
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
        for pipe in (self._requests, self._answers):
            with contextlib.suppress(OSError):
                pipe.close()
        os.waitpid(self._pid, 0)
        self._pid, self._served, self._in_flight = None, 0, 0
        self._ahead.clear()

    def _start(self) -> None:
        from_parent, to_child = os.pipe()
        from_child, to_parent = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(to_child)
            os.close(from_child)
            _serve(os.fdopen(from_parent, "rb"), os.fdopen(to_parent, "wb"), self.limits)
        os.close(from_parent)
        os.close(to_parent)
        self._pid, self._served = pid, 0
        self._requests, self._answers = os.fdopen(to_child, "wb"), os.fdopen(from_child, "rb")
        self.forks += 1


def _request(read: Callable[..., object], args: tuple) -> bytes | None:
    """A read as it is sent to the child; None when it cannot be sent (a closure)."""
    try:
        return pickle.dumps((read, args))
    except (pickle.PicklingError, AttributeError, TypeError):
        return None


def _fresh(read: Callable[..., T], args: tuple, limits: ReadingLimits) -> tuple[bool, Any] | None:
    """The answer of a child forked for this read alone; None when it stopped without one."""
    receiver, sender = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(receiver)
        try:
            _limit(limits)
            with os.fdopen(sender, "wb") as pipe:
                _send_answer(pipe, _attempt(read, args))
        finally:
            os._exit(0)  # nothing of the parent's (atexit, Airflow's handlers) runs in the child
    os.close(sender)
    try:
        with os.fdopen(receiver, "rb") as pipe:
            return _receive_answer(pipe)
    except Exception:  # nothing or half an answer: killed, aborted, out of memory
        return None
    finally:
        os.waitpid(pid, 0)


def _serve(requests: Any, answers: Any, limits: ReadingLimits) -> NoReturn:
    try:
        _limit(limits)
        while True:
            try:
                read, args = pickle.loads(_receive(requests))
            except ChildStopped:  # the parent closed the pipe: the batch is done
                break
            if _send_answer(answers, _attempt(read, args)) > RELEASE_AFTER_BYTES:
                _release_freed_memory()
    finally:
        os._exit(0)


def _release_freed_memory() -> None:
    """Give back to the system what reading a big workbook freed. The allocators keep it
    otherwise (glibc's malloc for calamine's cells, mimalloc for Arrow): a child that had read
    a 1M-row sheet held 590 MB beside the parent's work on that sheet, the task's peak."""
    import ctypes
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # glibc only; elsewhere it stays
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _limit(limits: ReadingLimits) -> None:
    in_use = _address_space()
    resource.setrlimit(resource.RLIMIT_AS, (in_use + limits.reader_memory_bytes, resource.RLIM_INFINITY))


def _attempt(read: Callable[..., object], args: tuple) -> tuple[bool, object]:
    try:
        return (True, read(*args))
    except MemoryError:
        return (False, too_big_in_memory())
    except UnreadableFile as exc:
        return (False, exc)
    except Exception as exc:  # a reader's error: pickled back as the reader's message
        return (False, RuntimeError(f"{type(exc).__name__}: {exc}"))


def _out_of_memory(answer: tuple[bool, Any]) -> bool:
    ok, value = answer
    return not ok and getattr(value, "rule", None) == "too_big_unpacked"


def _unpack(answer: tuple[bool, Any] | None) -> Any:
    if answer is None:
        raise reader_stopped()
    ok, value = answer
    if ok:
        return value
    raise value


def _send(pipe: Any, payload: bytes | memoryview) -> None:
    pipe.write(_FRAME.pack(memoryview(payload).nbytes))
    pipe.write(payload)
    pipe.flush()


def _receive(pipe: Any) -> bytes:
    (size,) = _FRAME.unpack(_read_exactly(pipe, _FRAME.size))
    return _read_exactly(pipe, size)


def _read_exactly(pipe: Any, size: int) -> bytes:
    payload = pipe.read(size)
    if len(payload) < size:
        raise ChildStopped
    return payload


def _send_answer(pipe: Any, answer: tuple[bool, object]) -> int:
    """A reader's answer: its pickle, then the data buffers it refers to (pickle protocol 5,
    out of band): the sheets' Arrow columns go down the pipe as they are, not copied into one
    pickle first, and the parent's sheets are made on the buffers it receives. Returns the
    bytes sent."""
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(answer, protocol=5, buffer_callback=buffers.append)
    views = [buffer.raw() for buffer in buffers]
    pipe.write(_FRAME.pack(len(views)))
    for view in [memoryview(head), *views]:
        _send(pipe, view)
    return len(head) + sum(view.nbytes for view in views)


def _receive_answer(pipe: Any) -> tuple[bool, Any]:
    (count,) = _FRAME.unpack(_read_exactly(pipe, _FRAME.size))
    head = _receive(pipe)
    return pickle.loads(head, buffers=[_receive(pipe) for _ in range(count)])


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()
