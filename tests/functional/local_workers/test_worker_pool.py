"""WorkerPool: warm reuse, limits, crash isolation, FCFS hand-out, concurrency, reload, shutdown."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time

import pytest

from sls_neutral.providers.local.workers import INTERPRETER_ALLOWANCE_MB, WorkerPool


def http(body=None, path="/", query="", headers=None, correlation_id=None):
    raw = b"" if body is None else json.dumps(body).encode()
    return {"method": "POST", "path": path, "route": f"POST {path}", "path_params": {}, "query_string": query,
            "headers": headers or {}, "body_b64": base64.b64encode(raw).decode(), "correlation_id": correlation_id}


def body(result):
    assert "status" in result, result
    return json.loads(base64.b64decode(result["body_b64"]))


@pytest.fixture(scope="module")
def pool(app, state_dir):
    pool = WorkerPool(app, state_dir)
    yield pool
    pool.close()


def test_warm_worker_serves_many_calls_with_one_import(pool):
    first = body(pool.invoke("hello", "http", http(query="a=1&a=2")))
    second = body(pool.invoke("hello", "http", http()))
    assert first["pid"] == second["pid"] != os.getpid()
    assert first["imported_at"] == second["imported_at"]
    assert first["query"] == {"a": ["1", "2"]}


def test_function_environment_and_slsn_variables(pool, service, state_dir):
    result = pool.invoke("hello", "http", http(correlation_id="corr-1"))
    assert result["status"] == 200 and result["headers"]["content-type"] == "application/json"
    assert len(result["request_id"]) == 32
    data = body(result)
    assert data["env"] == {"GREETING": "hi", "SLSN_PROVIDER": "local", "SLSN_FUNCTION": "hello",
                           "SLSN_STATE_DIR": str(state_dir.resolve()),
                           "SLSN_GRANTS": data["env"]["SLSN_GRANTS"],
                           "SLSN_HANDLER": "src.handlers:hello", "SLSN_TIMEOUT_MS": "5000",
                           "SLSN_SERVICE": "workers-test", "API_KEY": "k-123"}
    assert set(data["env"]["SLSN_GRANTS"].split(",")) >= {"queue:jobs:send"}
    assert data["cwd"] == str(service.resolve())
    assert data["correlation_id"] == "corr-1"
    assert 0 < data["remaining"] <= 5000


def test_response_status_and_headers_come_back(pool):
    payload = http({"x": 1}, path="/items/7")
    payload["path_params"] = {"id": "7"}
    payload["route"] = "GET /items/{id}"
    result = pool.invoke("items", "http", payload)
    assert result["status"] == 201 and result["headers"]["X-Item"] == "7"
    assert body(result) == {"id": "7", "body": {"x": 1}, "route": "GET /items/{id}"}


def test_timeout_kills_the_worker_and_the_next_call_works(pool):
    before = body(pool.invoke("slow", "http", http({"sleep": 0})))["pid"]
    started = time.monotonic()
    result = pool.invoke("slow", "http", http({"sleep": 30}))
    assert result["error"] == "Timeout" and "timeout of 1 s" in result["cause"]
    assert time.monotonic() - started < 5
    after = body(pool.invoke("slow", "http", http({"sleep": 0})))["pid"]
    assert after != before
    with pytest.raises(ProcessLookupError):
        os.kill(before, 0)


def test_memory_limit_fails_the_call_clearly_and_a_fresh_worker_follows(pool):
    fine = body(pool.invoke("hog", "http", http({"mb": 32})))
    assert fine["allocated"] == 32 * 1024 * 1024
    result = pool.invoke("hog", "http", http({"mb": 128 + INTERPRETER_ALLOWANCE_MB + 64}))
    assert result["error"] == "TaskFailed"
    assert "MemoryError" in result["cause"] and "memory limit (128 MB)" in result["cause"]
    again = body(pool.invoke("hog", "http", http({"mb": 1})))
    assert again["pid"] != fine["pid"]


@pytest.mark.parametrize("how, why", [("exit", "exit code 3"), ("segfault", "SIGSEGV")])
def test_a_crashing_worker_fails_only_its_call(pool, how, why):
    result = pool.invoke("crash", "http", http({"how": how}))
    assert result["error"] == "TaskFailed" and "crashed" in result["cause"] and why in result["cause"]
    assert "pid" in body(pool.invoke("crash", "http", http({})))
    assert "pid" in body(pool.invoke("hello", "http", http()))


def test_a_raising_handler_keeps_its_warm_worker(pool):
    pid = body(pool.invoke("crash", "http", http({})))["pid"]
    result = pool.invoke("crash", "http", http({"how": "raise"}))
    assert result == {"error": "TaskFailed", "cause": "ValueError: bad input"}
    assert body(pool.invoke("crash", "http", http({})))["pid"] == pid


def test_event_invocations_and_logs(pool, state_dir):
    event = {"specversion": "1.0", "id": "m-1", "source": "//x/queues/jobs", "type": "sls.queue.message",
             "datacontenttype": "application/json", "data": {"n": 1}}
    assert pool.invoke("consume", "event", {"event": event, "correlation_id": "corr-q"})["ok"] is True
    failed = pool.invoke("consume", "event", {"event": {**event, "data": "fail"}, "correlation_id": None})
    assert failed == {"error": "TaskFailed", "cause": "RuntimeError: cannot handle this message"}
    lines = [json.loads(line) for line in (state_dir / "logs" / "consume.log").read_text().splitlines()]
    assert {"seen": "sls.queue.message", "correlation_id": "corr-q", "data": {"n": 1}} in lines
    plain = [line for line in lines if line.get("message") == "plain text line"]
    assert plain and plain[0]["function"] == "consume" and plain[0]["stream"] == "stdout"
    assert any("Traceback" in line.get("message", "") for line in lines)


def test_step_invocations(pool):
    ok = pool.invoke("step", "step", {"input": {"n": 21}, "correlation_id": "corr-s"})
    assert ok["result"] == {"doubled": 42, "correlation_id": "corr-s"}
    bare = pool.invoke("step", "step", {"n": 1, "_slsn": {"correlation_id": "corr-w"}})
    assert bare["result"] == {"doubled": 2, "correlation_id": "corr-w"}
    failed = pool.invoke("step", "step", {"input": {"fail": True, "sku": 9}, "correlation_id": None})
    assert failed == {"error": "OutOfStock", "cause": "sku 9"}


def test_a_handler_that_cannot_load_fails_clearly_and_the_pool_survives(pool):
    result = pool.invoke("broken", "step", {"input": {}})
    assert result["error"] == "TaskFailed"
    assert "failed to load" in result["cause"] and "does_not_exist_anywhere" in result["cause"]
    assert "pid" in body(pool.invoke("hello", "http", http()))


def test_unknown_function_and_kind(pool):
    with pytest.raises(KeyError):
        pool.invoke("nope", "http", http())
    with pytest.raises(ValueError):
        pool.invoke("hello", "teleport", {})


def test_free_workers_go_to_waiting_callers_first_come_first_served(app, state_dir):
    async def scenario() -> list[int]:
        pool = WorkerPool(app, state_dir, max_workers=1)
        try:
            await pool.ainvoke("slow", "http", http({"sleep": 0}))  # warm
            finished: list[int] = []

            async def caller(tag: int) -> None:
                result = await pool.ainvoke("slow", "http", http({"sleep": 0.05, "tag": tag}))
                finished.append(body(result)["tag"])

            tasks = []
            for tag in range(6):
                tasks.append(asyncio.create_task(caller(tag)))
                await asyncio.sleep(0.01)  # arrival order is tag order; a newcomer must never overtake
            await asyncio.gather(*tasks)
            return finished
        finally:
            await pool.aclose()

    assert asyncio.run(scenario()) == list(range(6))


def test_concurrent_calls_grow_the_pool_up_to_its_cap(app, state_dir):
    async def scenario() -> tuple[float, set[int]]:
        pool = WorkerPool(app, state_dir, max_workers=3)
        try:
            await pool.ainvoke("slow", "http", http({"sleep": 0}))
            started = time.monotonic()
            results = await asyncio.gather(*(pool.ainvoke("slow", "http", http({"sleep": 0.4})) for _ in range(6)))
            return time.monotonic() - started, {body(r)["pid"] for r in results}
        finally:
            await pool.aclose()

    elapsed, pids = asyncio.run(scenario())
    assert len(pids) == 3
    assert elapsed < 6 * 0.4  # ran side by side, at most three at a time


def test_restart_reimports_and_close_stops_every_worker(app, state_dir):
    pool = WorkerPool(app, state_dir)
    try:
        first = body(pool.invoke("hello", "http", http()))
        pool.restart("hello")
        second = body(pool.invoke("hello", "http", http()))
        assert second["pid"] != first["pid"] and second["imported_at"] > first["imported_at"]
        pids = pool.pids("hello")
        assert pids == [second["pid"]]
    finally:
        pool.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_workers_reach_the_local_store_through_their_own_backend(pool, state_dir):
    from sls_neutral.providers.local.store import LocalStore

    result = pool.invoke("writer", "step", {"input": {"key": "w/1.txt", "text": "from a worker"}})
    assert result["result"] == "from a worker"
    assert LocalStore(state_dir).bucket_get("files", "w/1.txt") == b"from a worker"
    denied = pool.invoke("writer", "step", {"input": {"key": "w/2.txt", "text": "x", "sneaky": True}})
    assert denied["error"] == "TaskFailed" and "PermissionDenied" in denied["cause"]


def test_start_prestarts_the_warm_workers_a_function_asks_for(app, state_dir):
    async def scenario() -> tuple[list[int], int]:
        pool = WorkerPool(app, state_dir)
        try:
            await pool.start()
            warm = pool.pids("warmed")
            result = await pool.ainvoke("warmed", "step", {"input": {"n": 1}})
            assert result["result"]["doubled"] == 2
            return warm, len(pool.pids("hello"))
        finally:
            await pool.aclose()

    warm, cold = asyncio.run(scenario())
    assert len(warm) == 2 and cold == 0
