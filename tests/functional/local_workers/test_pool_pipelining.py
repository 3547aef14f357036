"""Edge cases of the pipelined worker pool: a call queued behind a worker that times out, crashes or
retires runs elsewhere; cancelled callers keep the worker; big bodies both ways; fairness; restarts."""

from __future__ import annotations

import asyncio
import base64
import json
import os


from sls_neutral.providers.local.workers import WorkerPool


def http(body=None, path="/"):
    raw = b"" if body is None else json.dumps(body).encode()
    return {"method": "POST", "path": path, "route": f"POST {path}", "path_params": {}, "query_string": "",
            "headers": {}, "body_b64": base64.b64encode(raw).decode(), "correlation_id": None}


def body(result):
    assert "status" in result, result
    return json.loads(base64.b64decode(result["body_b64"]))


def run(coro):
    return asyncio.run(coro)


def test_queued_call_behind_a_timeout_runs_elsewhere(app, state_dir):
    async def scenario():
        pool = WorkerPool(app, state_dir, max_workers=1)
        try:
            for _ in range(20):
                await pool.ainvoke("slow", "http", http({"sleep": 0}))  # fast: pipelining on
            state = pool._functions["slow"]
            assert state.room(1)
            slow = asyncio.ensure_future(pool.ainvoke("slow", "http", http({"sleep": 30})))
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            quick = asyncio.ensure_future(pool.ainvoke("slow", "http", http({"sleep": 0, "tag": 1})))
            await asyncio.sleep(0.05)
            worker = next(iter(state.all))
            depth = len(worker.pending)
            r1, r2 = await asyncio.gather(slow, quick)
            return depth, r1, r2
        finally:
            await pool.aclose()
    depth, r1, r2 = run(scenario())
    assert depth == 2  # the quick call was queued behind the slow one
    assert r1["error"] == "Timeout"
    assert body(r2)["tag"] == 1  # ran on a fresh worker, not lost


def test_queued_call_behind_a_crash_runs_elsewhere(app, state_dir):
    async def scenario():
        pool = WorkerPool(app, state_dir, max_workers=1)
        try:
            for _ in range(20):
                await pool.ainvoke("crash", "http", http({}))
            state = pool._functions["crash"]
            a = asyncio.ensure_future(pool.ainvoke("crash", "http", http({"how": "exit"})))
            await asyncio.sleep(0); await asyncio.sleep(0)
            b = asyncio.ensure_future(pool.ainvoke("crash", "http", http({})))
            await asyncio.sleep(0); await asyncio.sleep(0)
            depth = max(len(w.pending) for w in state.all) if state.all else 0
            return depth, *(await asyncio.gather(a, b))
        finally:
            await pool.aclose()
    depth, r1, r2 = run(scenario())
    assert r1["error"] == "TaskFailed" and "exit code 3" in r1["cause"]
    assert "pid" in body(r2)
    print("depth", depth)


def test_retire_with_queued_call(app, state_dir):
    from sls_neutral.providers.local.workers import INTERPRETER_ALLOWANCE_MB
    async def scenario():
        pool = WorkerPool(app, state_dir, max_workers=1)
        try:
            for _ in range(20):
                await pool.ainvoke("hog", "http", http({"mb": 1}))
            a = asyncio.ensure_future(pool.ainvoke("hog", "http", http({"mb": 128 + INTERPRETER_ALLOWANCE_MB + 64})))
            await asyncio.sleep(0); await asyncio.sleep(0)
            b = asyncio.ensure_future(pool.ainvoke("hog", "http", http({"mb": 1})))
            return await asyncio.gather(a, b)
        finally:
            await pool.aclose()
    r1, r2 = run(scenario())
    assert "MemoryError" in r1["cause"]
    assert body(r2)["allocated"] == 1024 * 1024


def test_cancelled_caller_keeps_the_worker(app, state_dir):
    async def scenario():
        pool = WorkerPool(app, state_dir, max_workers=1)
        try:
            pid = body(await pool.ainvoke("slow", "http", http({"sleep": 0})))["pid"]
            t = asyncio.ensure_future(pool.ainvoke("slow", "http", http({"sleep": 0.3})))
            await asyncio.sleep(0.05)
            t.cancel()
            again = body(await pool.ainvoke("slow", "http", http({"sleep": 0})))
            return pid, again["pid"]
        finally:
            await pool.aclose()
    before, after = run(scenario())
    assert before == after


def test_big_bodies_both_ways(app, state_dir):
    async def scenario():
        pool = WorkerPool(app, state_dir, max_workers=2)
        try:
            big = os.urandom(5 * 1024 * 1024)
            results = await asyncio.gather(*(pool.ainvoke_http("items", "POST", "/items/7", "GET /items/{id}", {"id": "7"}, "", {}, "c", json.dumps({"b": base64.b64encode(big).decode()}).encode()) for _ in range(3)))
            return big, results
        finally:
            await pool.aclose()
    big, results = run(scenario())
    for r in results:
        assert r["status"] == 201
        assert base64.b64decode(json.loads(r["body"])["body"]["b"]) == big


def test_many_concurrent_calls_all_answered_in_fifo_fairness(app, state_dir):
    async def scenario():
        pool = WorkerPool(app, state_dir, max_workers=3)
        try:
            rs = await asyncio.gather(*(pool.ainvoke("slow", "http", http({"sleep": 0, "tag": i})) for i in range(2000)))
            return [body(r)["tag"] for r in rs], max(len(w.pending) for s in pool._functions.values() for w in s.all)
        finally:
            await pool.aclose()
    tags, _ = run(scenario())
    assert tags == list(range(2000))


def test_restart_during_pipelined_load(app, state_dir):
    async def scenario():
        pool = WorkerPool(app, state_dir, max_workers=2)
        try:
            first = {body(r)["pid"] for r in await asyncio.gather(*(pool.ainvoke("slow", "http", http({"sleep": 0})) for _ in range(50)))}
            calls = [asyncio.ensure_future(pool.ainvoke("slow", "http", http({"sleep": 0.001}))) for _ in range(200)]
            await asyncio.sleep(0.05)
            await pool.arestart("slow")
            rs = await asyncio.gather(*calls)
            later = {body(r)["pid"] for r in await asyncio.gather(*(pool.ainvoke("slow", "http", http({"sleep": 0})) for _ in range(50)))}
            return first, rs, later, pool.pids("slow")
        finally:
            await pool.aclose()
    first, rs, later, pids = run(scenario())
    assert all("status" in r for r in rs), [r for r in rs if "status" not in r][:3]
    assert not (later & first)
    assert len(pids) <= 2
