"""The hand-out rule itself, without processes: a released worker goes to the oldest waiter, never to a newcomer."""

from __future__ import annotations

import asyncio
import types

from sls_neutral.providers.local.workers import FunctionWorkers, WorkerPool


class FakeWorker:
    def __init__(self, name: str):
        self.name = name
        self.generation = 0
        self.killed = False

    def kill(self) -> None:
        self.killed = True


def make_pool(cap: int = 1) -> tuple[WorkerPool, FunctionWorkers]:
    fn = types.SimpleNamespace(name="f", timeout=1.0, warm=0, max_instances=None, memory=128)
    app = types.SimpleNamespace(functions={"f": fn}, root=".", settings=lambda p: {})
    pool = WorkerPool(app, "/nonexistent/.sls-neutral/local/dev", root="/", max_workers=cap)
    state = pool._state("f")
    return pool, state


def test_release_hands_the_worker_to_the_oldest_waiter_before_any_newcomer():
    async def scenario():
        pool, state = make_pool()
        worker = FakeWorker("w")
        state.all.add(worker)
        state.total = 1
        first = asyncio.ensure_future(pool._acquire(state))
        second = asyncio.ensure_future(pool._acquire(state))
        await asyncio.sleep(0)
        pool._release(state, worker)  # the worker frees up ...
        newcomer = asyncio.ensure_future(pool._acquire(state))  # ... and a newcomer arrives in the same tick
        await asyncio.sleep(0)
        assert first.done() and first.result() is worker
        assert not second.done() and not newcomer.done()
        assert list(state.waiters)[-1] is not None and len(state.waiters) == 2
        pool._release(state, worker)
        await asyncio.sleep(0)
        assert second.result() is worker and not newcomer.done()
        pool._release(state, worker)
        await asyncio.sleep(0)
        assert newcomer.result() is worker
        pool._release(state, worker)
        assert state.idle == [worker]

    asyncio.run(scenario())


def test_a_cancelled_waiter_gives_its_turn_away():
    async def scenario():
        pool, state = make_pool()
        worker = FakeWorker("w")
        state.all.add(worker)
        state.total = 1
        gone = asyncio.ensure_future(pool._acquire(state))
        stays = asyncio.ensure_future(pool._acquire(state))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.sleep(0)
        pool._release(state, worker)
        await asyncio.sleep(0)
        assert stays.result() is worker

    asyncio.run(scenario())


def test_workers_of_an_old_generation_are_retired_not_reused():
    async def scenario():
        pool, state = make_pool()
        worker = FakeWorker("w")
        state.all.add(worker)
        state.total = 1
        state.generation = 1  # a restart happened while the worker was busy
        pool._release(state, worker)
        assert worker.killed and state.idle == [] and state.total == 0

    asyncio.run(scenario())
