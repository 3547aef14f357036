"""The local HTTP front on a real socket, with a recording pool standing in for the worker processes.

What is tested here is the runtime's own behaviour (routing, CORS, limits, error answers, dispatch); the
worker processes are exercised end to end in test_photo_pipeline.py.
"""

import asyncio
import base64
import http.client
import json
import socket

import pytest

from sls_neutral.core import ir
from sls_neutral.core.errors import SlsnError
from sls_neutral.providers.local.runtime import LocalRuntime, bind_socket


def _fn(name, *triggers):
    return ir.Function(name=name, handler=f"src/{name}.py:h", handler_file=f"src/{name}.py", handler_function="h",
                       module=f"src.{name}", runtime="python3.12", memory=128, timeout=5.0, environment={},
                       secret_environment={}, requirements=None, grants=(), triggers=tuple(triggers))


APP = ir.App(
    service="front", stage="dev", runtime="python3.12", default_provider="local",
    functions={"api": _fn("api", ir.HttpTrigger("GET", "/items/{id}", cors=True), ir.HttpTrigger("POST", "/items"),
                          ir.HttpTrigger("ANY", "/files/{path+}")),
               "boom": _fn("boom", ir.HttpTrigger("GET", "/boom")),
               "worker": _fn("worker", ir.QueueTrigger("jobs", batch_size=4)),
               "ordered": _fn("ordered", ir.QueueTrigger("fifo-jobs", batch_size=10)),
               "tick": _fn("tick", ir.ScheduleTrigger(cron=None, rate=0.3, data={"job": "sweep"}))},
    queues={"jobs": ir.Queue("jobs", dead_letter="jobs-dlq", max_receives=2), "jobs-dlq": ir.Queue("jobs-dlq"),
            "fifo-jobs": ir.Queue("fifo-jobs", fifo=True)},
    topics={}, buckets={}, secrets={},
    workflows={"flow": ir.Workflow("flow", steps=(), triggers=(ir.HttpTrigger("POST", "/flows"),))},
    provider_settings={"local": {"max_body_mb": 0.001}})


class RecordingPool:
    def __init__(self):
        self.calls = []
        self.failed_once = set()

    async def ainvoke(self, function, kind, payload):
        self.calls.append((function, kind, payload))
        if function == "boom":
            return {"error": "TaskFailed", "cause": "ZeroDivisionError: division by zero"}
        if kind == "http":
            body = json.dumps({"params": payload["path_params"], "query": payload["query_string"],
                               "body": base64.b64decode(payload["body_b64"]).decode()}).encode()
            return {"status": 200, "headers": {"content-type": "application/json"},
                    "body_b64": base64.b64encode(body).decode()}
        data = payload["event"]["data"]
        if function == "ordered" and data == "m2" and data not in self.failed_once:
            self.failed_once.add(data)
            return {"error": "TaskFailed", "cause": "first attempt of m2 fails"}
        return {"error": "TaskFailed", "cause": "bad"} if data == "poison" else {"ok": True}

    def close(self):
        pass


@pytest.fixture
def runtime(tmp_path):
    loop = asyncio.new_event_loop()
    pool = RecordingPool()
    rt = LocalRuntime(APP, tmp_path / "state", "127.0.0.1", 0, pool=pool)
    loop.run_until_complete(rt.start())
    import threading

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield rt, pool
    asyncio.run_coroutine_threadsafe(rt.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def request(rt, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", rt.port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def test_routes_params_query_and_body(runtime):
    rt, pool = runtime
    status, headers, body = request(rt, "GET", "/items/42?x=1&x=2")
    assert status == 200 and json.loads(body) == {"params": {"id": "42"}, "query": "x=1&x=2", "body": ""}
    assert headers["access-control-allow-origin"] == "*" and headers["x-correlation-id"]
    status, _, body = request(rt, "POST", "/items", body=b'{"a": 1}')
    assert json.loads(body)["body"] == '{"a": 1}'
    status, _, body = request(rt, "DELETE", "/files/a/b/c.txt")
    assert json.loads(body)["params"] == {"path": "a/b/c.txt"}
    assert pool.calls[-1][2]["method"] == "DELETE"


def test_not_found_method_not_allowed_and_preflight(runtime):
    rt, _ = runtime
    assert request(rt, "GET", "/nowhere")[0] == 404
    status, headers, _ = request(rt, "PUT", "/items")
    assert status == 405 and headers["allow"] == "POST"
    status, headers, _ = request(rt, "OPTIONS", "/items/1", headers={"Origin": "http://x",
                                                                     "Access-Control-Request-Method": "GET"})
    assert status == 204 and "GET" in headers["access-control-allow-methods"]
    assert request(rt, "OPTIONS", "/items", headers={"Access-Control-Request-Method": "POST"})[0] == 405


def test_request_size_limit(runtime):
    rt, pool = runtime
    before = len(pool.calls)
    status, _, body = request(rt, "POST", "/items", body=b"x" * 5000)
    assert status == 413 and json.loads(body)["limit_bytes"] == 1048
    assert len(pool.calls) == before  # the function never ran


def test_failed_function_is_a_500_with_a_log_line(runtime):
    rt, _ = runtime
    status, _, body = request(rt, "GET", "/boom")
    assert status == 500 and json.loads(body)["error"] == "TaskFailed"
    lines = [json.loads(l) for l in (rt.state_dir / "logs" / "boom.log").read_text().splitlines()]
    assert lines[-1]["outcome"] == "failed" and "ZeroDivisionError" in lines[-1]["cause"]


def test_workflow_route_without_engine_is_501(runtime, monkeypatch):
    rt, _ = runtime
    status, _, body = request(rt, "POST", "/flows", body=b"{}")
    if status == 202:  # the workflow engine is installed: it answers with an execution id
        assert json.loads(body)["execution_id"]
    else:
        assert status == 501 and "workflow engine" in json.loads(body)["message"]


def test_batch_failure_retries_only_the_failed_message_then_dead_letters(runtime):
    rt, pool = runtime
    rt.store.queue_send_many("jobs", [b"ok-1", b"poison", b"ok-2"])
    import time

    deadline = time.time() + 10
    while time.time() < deadline and rt.store.depth("jobs-dlq")["total"] == 0:
        time.sleep(0.05)
    worker_calls = [c[2]["event"]["data"] for c in pool.calls if c[0] == "worker"]
    assert worker_calls.count("ok-1") == 1 and worker_calls.count("ok-2") == 1
    assert worker_calls.count("poison") == 2  # max_receives: 2
    assert [m["body"] for m in rt.store.peek("jobs-dlq")] == [b"poison"]
    assert rt.store.depth("jobs")["total"] == 0


def test_port_in_use_is_a_user_error():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        with pytest.raises(SlsnError) as err:
            bind_socket("127.0.0.1", port)
        assert "already in use" in str(err.value) and "--port" in err.value.hint
    finally:
        holder.close()


def test_rate_schedule_fires_with_its_data_and_records_the_tick(runtime):
    rt, pool = runtime
    import time

    time.sleep(1.1)
    ticks = [c[2]["event"] for c in pool.calls if c[0] == "tick"]
    assert 2 <= len(ticks) <= 4
    assert {t["type"] for t in ticks} == {"sls.schedule.tick"} and ticks[0]["data"] == {"job": "sweep"}
    assert rt.store.schedule_last_tick("function:tick:0") is not None


def test_fifo_failure_blocks_later_messages_until_it_succeeds(runtime):
    rt, pool = runtime
    import time

    rt.store.queue_send_many("fifo-jobs", [b"m1", b"m2", b"m3", b"m4"])
    deadline = time.time() + 10
    while time.time() < deadline and rt.store.depth("fifo-jobs")["total"]:
        time.sleep(0.05)
    seen = [c[2]["event"]["data"] for c in pool.calls if c[0] == "ordered"]
    assert seen == ["m1", "m2", "m2", "m3", "m4"]  # m3 never overtook the failed m2
