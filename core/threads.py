"""The little thread machinery packaging uses, without concurrent.futures.

Importing concurrent.futures (and logging, which it imports) cost every ``package`` ~4 ms in each
process, for two uses: one background thread that writes a provider's files while the next provider
builds (:class:`Writer`), and two threads that create files side by side (:func:`run_parallel`; the
work is system calls, which release the GIL).
"""

from __future__ import annotations

import queue
import threading
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
        self._jobs: Any = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Job:
        job = Job()
        self._jobs.put((fn, args, job))
        return job

    def close(self) -> None:
        """Wait until every submitted call has finished."""
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
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
