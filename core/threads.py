"""The little thread machinery packaging uses, without concurrent.futures.

Importing concurrent.futures (and logging, which it imports) cost every ``package`` ~4 ms in each
process, for two uses: one background thread that writes a provider's files while the next provider
builds (:class:`Writer`), and two threads that create folders side by side (:func:`run_parallel`; the
work is system calls, which release the GIL).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable, Iterable


class Job:
    """A submitted call; :meth:`result` waits for it and raises what it raised."""

    def __init__(self) -> None:
        self.finished = threading.Event()
        self.error: BaseException | None = None

    def result(self) -> None:
        self.finished.wait()
        if self.error is not None:
            raise self.error


class Writer:
    """Runs calls one after another in one background thread, in the order they were submitted."""

    def __init__(self, name: str = "slsn-write") -> None:
        self._jobs: deque = deque()  # appends and pops are atomic; the semaphore counts what is waiting
        self._waiting = threading.Semaphore(0)
        self._thread = threading.Thread(target=self._run, name=name)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Job:
        job = Job()
        self._put((fn, args, job))
        return job

    def close(self) -> None:
        """Wait until every submitted call has finished."""
        self._put(None)
        self._thread.join()

    def _put(self, item: Any) -> None:
        self._jobs.append(item)
        self._waiting.release()

    def _run(self) -> None:
        while True:
            self._waiting.acquire()
            item = self._jobs.popleft()
            if item is None:
                return
            fn, args, job = item
            try:
                fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the job
                job.error = exc
            finally:
                job.finished.set()


def run_parallel(fn: Callable[[Any], Any], items: Iterable[Any], workers: int = 2) -> None:
    """``fn(item)`` for every item, in ``workers`` threads (this one included); after all have run, the
    first error in item order is raised."""
    items = list(items)
    errors: list[tuple[int, BaseException]] = []

    def share(start: int) -> None:
        for index in range(start, len(items), workers):
            try:
                fn(items[index])
            except BaseException as exc:  # noqa: BLE001 - raised below, once every item has run
                errors.append((index, exc))

    threads = [threading.Thread(target=share, args=(start,), name="slsn-files") for start in range(1, workers)]
    for thread in threads:
        thread.start()
    try:
        share(0)
    finally:
        for thread in threads:
            thread.join()
    if errors:
        raise min(errors, key=lambda e: e[0])[1]
