"""Two processes sharing one queue of jobs: the process and a forked copy of it.

``package -p all`` builds four independent artifact sets; in one interpreter they take the sum of their
times, on two cores they can take about the longest one. Forking (rather than spawning) matters: the child
starts with the manifest already compiled, every provider already validated and imported, so it does no
repeated work and its memory is shared copy-on-write.

Jobs are handed out first come, first served through a pipe holding one byte per job (a one-byte read
from a pipe is atomic, so no job runs twice). The child sends its results back with ``marshal`` (they are
plain data; pickle, and traceback for errors, are imported only when something failed: ~4 ms of every
start-up otherwise); an error in either process is raised by the parent after both have finished, so
every started job completes or undoes itself (each provider's write is all-or-nothing) before the
command fails.

Only on Linux, only with more than one CPU, never with other threads running (a forked child holds
copies of their locks) and never with ``SLSN_NO_FORK=1``.
"""

from __future__ import annotations

import marshal
import os
import sys
import threading
from typing import Any, Callable, Iterator, Sequence

MAX_JOBS = 255


def available() -> bool:
    return (sys.platform.startswith("linux") and hasattr(os, "fork") and (os.cpu_count() or 1) > 1
            and threading.active_count() == 1 and os.environ.get("SLSN_NO_FORK", "") in ("", "0", "false"))


def run(jobs: Sequence[str], work: Callable[[Iterator[str]], dict[str, Any]]) -> dict[str, Any]:
    """``work(queue)`` in this process and in a forked child; their result mappings merged."""
    if len(jobs) > MAX_JOBS:
        raise ValueError(f"at most {MAX_JOBS} jobs")
    tasks_r, tasks_w = os.pipe()
    os.write(tasks_w, bytes(range(len(jobs))))
    os.close(tasks_w)
    results_r, results_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(results_r)
        _child(jobs, work, tasks_r, results_w)
    os.close(results_w)
    error: BaseException | None = None
    try:
        mine = work(_queue(jobs, tasks_r))
    except BaseException as exc:
        mine, error = {}, exc
    with os.fdopen(results_r, "rb") as pipe:
        payload = pipe.read()
    os.close(tasks_r)
    _, status = os.waitpid(pid, 0)
    theirs = _received(payload, status)
    if error is not None:
        raise error
    if isinstance(theirs, BaseException):
        raise theirs
    return {**theirs, **mine}


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
