"""Two processes sharing one queue of jobs: the process and a forked copy of it.

``package -p all`` builds four independent artifact sets; in one interpreter they take the sum of their
times, on two cores they can take about the longest one. Forking (rather than spawning) matters: the child
starts with the manifest already loaded and compiled, so it does no repeated work and its memory is shared
copy-on-write.

Jobs are handed out first come, first served through a pipe holding one byte per job (a one-byte read
from a pipe is atomic, so no job runs twice). The child sends its results back with ``marshal`` (they are
plain data; pickle, and traceback for errors, are imported only when something failed or warned: ~4 ms
of every start-up otherwise); an error in either process is raised by the parent after both have
finished, so every started job completes or undoes itself (each provider's write is all-or-nothing)
before the command fails.

With ``gated=True`` the work also gets a :class:`Gate`: each job is checked in the process that takes
it, and nothing is written anywhere until every job has passed its check (so a manifest one provider
refuses still writes no provider's files, while the checks themselves run on both cores after the fork).

Only on Linux, only with more than one CPU, never with other threads running (a forked child holds
copies of their locks) and never with ``SLSN_NO_FORK=1`` (:func:`sls_neutral.core.forking.allowed`, which
the head start's helper obeys too).
"""

from __future__ import annotations

import marshal
import os
import sys
import threading
from functools import partial
from typing import Any, Callable, Iterator, Sequence

from sls_neutral.core import forking

MAX_JOBS = 255


def available() -> bool:
    return forking.allowed()


def run(jobs: Sequence[str], work: Callable[..., dict[str, Any]], *, gated: bool = False) -> dict[str, Any]:
    """``work(queue)`` in this process and in a forked child; their result mappings merged.

    ``gated``: ``work(queue, gate)``, with a :class:`Gate` shared by both processes.
    """
    if len(jobs) > MAX_JOBS:
        raise ValueError(f"at most {MAX_JOBS} jobs")
    tasks_r, tasks_w = os.pipe()
    os.write(tasks_w, bytes(range(len(jobs))))
    os.close(tasks_w)
    results_r, results_w = os.pipe()
    inboxes = (os.pipe(), os.pipe()) if gated else None  # (parent's, child's): (read end, write end)
    parent = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(results_r)
        if inboxes:
            work = partial(work, gate=_gate(len(jobs), inboxes, 1, lambda: os.getppid() == parent))
        _child(jobs, work, tasks_r, results_w)
    os.close(results_w)
    error: BaseException | None = None
    gate = None
    if inboxes:
        gate = _gate(len(jobs), inboxes, 0, lambda: _running(pid))
        work = partial(work, gate=gate)
    try:
        mine = work(_queue(jobs, tasks_r))
    except BaseException as exc:
        mine, error = {}, exc
    with os.fdopen(results_r, "rb") as pipe:
        payload = pipe.read()
    os.close(tasks_r)
    _, status = os.waitpid(pid, 0)
    if gate is not None:
        gate.close()
    theirs = _received(payload, status)
    if error is not None:
        raise error
    if isinstance(theirs, BaseException):
        raise theirs
    return {**theirs, **mine}


class Gate:
    """Whether every job has passed its check, in whichever process took it.

    Each outcome is one byte written to both processes' inboxes (a write of one byte to a pipe is atomic),
    so each process learns the outcomes by reading only its own inbox. :meth:`wait` is called from a
    writer thread while the main thread goes on checking and building the jobs it takes: no process
    waits for a check that only it could still run.
    """

    PASSED, FAILED = b"+", b"-"

    def __init__(self, total: int, inbox: int, outboxes: tuple[int, int], peer_alive: Callable[[], bool]):
        self.total = total
        self._inbox = inbox
        self._outboxes = outboxes
        self._peer_alive = peer_alive
        self._passed = 0
        self._reading = threading.Lock()  # one reader of the inbox at a time; the others find the verdict
        self.verdict: bool | None = None  # None: not known yet

    def passed(self) -> None:
        self._tell(self.PASSED)

    def failed(self) -> None:
        self._tell(self.FAILED)

    def _tell(self, outcome: bytes) -> None:
        for fd in self._outboxes:
            os.write(fd, outcome)

    def wait(self) -> bool:
        """True once every job has passed; False as soon as one failed (or the other process died)."""
        import select

        with self._reading:
            while self.verdict is None:
                ready, _, _ = select.select([self._inbox], [], [], 0.5)
                if not ready:
                    if not self._peer_alive():
                        self.verdict = False
                    continue
                outcomes = os.read(self._inbox, self.total)
                self._passed += len(outcomes)
                if self.FAILED in outcomes:
                    self.verdict = False
                elif self._passed >= self.total:
                    self.verdict = True
        return self.verdict

    def close(self) -> None:
        for fd in (self._inbox, *self._outboxes):
            try:
                os.close(fd)
            except OSError:
                pass


class OpenGate:
    """The gate of work in one process, whose jobs are all checked before any is built."""

    verdict = True

    def passed(self) -> None:
        pass

    def failed(self) -> None:
        pass

    def wait(self) -> bool:
        return True


def _gate(total: int, inboxes: tuple, me: int, peer_alive: Callable[[], bool]) -> Gate:
    """The gate of process ``me`` (0 the parent, 1 the child): it reads its own inbox and tells both."""
    mine, theirs = inboxes[me], inboxes[1 - me]
    return Gate(total, mine[0], (mine[1], theirs[1]), peer_alive)


def _running(pid: int) -> bool:
    """Whether the child is still running (without reaping it: the parent waits for it afterwards)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
    except ChildProcessError:
        return False


def _queue(jobs: Sequence[str], fd: int) -> Iterator[str]:
    while True:
        byte = os.read(fd, 1)
        if not byte:
            return
        yield jobs[byte[0]]


def _child(jobs, work, tasks_r: int, results_w: int) -> None:
    status = 0
    try:
        try:
            result = work(_queue(jobs, tasks_r))
            try:
                data = b"M" + marshal.dumps(result)
            except ValueError:  # something marshal cannot carry (a plugin's object): pickle it
                import pickle

                data = b"P" + pickle.dumps(result)
        except BaseException as exc:  # noqa: BLE001 - every error goes to the parent
            import pickle

            data, status = b"P" + pickle.dumps(_portable(exc)), 1
        with os.fdopen(results_w, "wb") as pipe:
            pipe.write(data)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling unchanged, else one that carries its message."""
    import pickle
    import traceback

    detail = "".join(traceback.format_exception(exc))
    try:
        copy = pickle.loads(pickle.dumps(exc))
        if type(copy) is type(exc) and str(copy) == str(exc) and getattr(copy, "__dict__", {}).keys() == \
                getattr(exc, "__dict__", {}).keys():
            if _debug():
                copy.add_note(f"(in the parallel build process)\n{detail}")
            return copy
    except Exception:  # noqa: BLE001 - not picklable: fall through
        pass
    from sls_neutral.core.errors import SlsnError

    if isinstance(exc, SlsnError):
        return SlsnError(exc.render())
    return RuntimeError(f"{type(exc).__name__} in the parallel build process: {exc}\n{detail}")


def _received(payload: bytes, status: int) -> Any:
    """The child's results, or the exception it sent (a result is a mapping, an error an exception)."""
    try:
        if payload[:1] == b"M":
            return marshal.loads(payload[1:])
        if payload[:1] == b"P":
            import pickle

            return pickle.loads(payload[1:])
    except Exception:  # noqa: BLE001 - a truncated answer: fall through
        pass
    # the child died before it could answer (killed, out of memory)
    return RuntimeError(f"the parallel build process ended without a result (wait status {status}); "
                        "rerun with SLSN_NO_FORK=1 to build in one process")


def _debug() -> bool:
    return os.environ.get("SLSN_DEBUG", "") not in ("", "0", "false")
