"""core/threads.py: the writer thread and the parallel map that replace concurrent.futures in packaging."""

from __future__ import annotations

import threading
import time

import pytest

from sls_neutral.core.threads import Writer, run_parallel


def test_the_writer_runs_jobs_in_order_in_one_background_thread():
    seen, threads = [], set()

    def job(n):
        time.sleep(0.002 * (3 - n % 3))  # later jobs are quicker: order must still hold
        seen.append(n)
        threads.add(threading.current_thread().name)

    writer = Writer()
    jobs = [writer.submit(job, n) for n in range(9)]
    writer.close()
    for j in jobs:
        j.result()
    assert seen == list(range(9))
    assert threads == {"slsn-write"}


def test_a_failed_job_raises_for_its_waiter_and_the_others_still_run():
    done = []
    writer = Writer()
    first = writer.submit(lambda: done.append(1))
    bad = writer.submit(lambda: 1 / 0)
    last = writer.submit(lambda: done.append(3))
    writer.close()
    first.result()
    last.result()
    with pytest.raises(ZeroDivisionError):
        bad.result()
    assert done == [1, 3]


def test_run_parallel_runs_every_item_once_on_two_threads():
    seen, names = [], set()
    lock = threading.Lock()

    def work(item):
        time.sleep(0.001)
        with lock:
            seen.append(item)
            names.add(threading.current_thread().name)

    run_parallel(work, range(40))
    assert sorted(seen) == list(range(40))
    assert len(names) == 2


def test_run_parallel_raises_the_first_error_after_every_item_ran():
    seen = []

    def work(item):
        seen.append(item)
        if item in (7, 3):
            raise ValueError(item)

    with pytest.raises(ValueError) as info:
        run_parallel(work, range(10))
    assert info.value.args == (3,)
    assert sorted(seen) == list(range(10))
