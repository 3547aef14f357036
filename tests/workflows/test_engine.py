"""Local engine behaviour beyond the corpus: retry timing, timers, idempotency, driver, concurrency, history."""

from __future__ import annotations

import threading
import time

import pytest

from sls_neutral.core.errors import SlsnError
from sls_neutral.core.workflows.engine import StepFailure, SystemClock, WorkflowEngine, enqueue_execution

from .corpus_loader import CorpusCase
from .fakeclock import FakeClock


def make_app(body: dict, functions: dict | None = None, name: str = "wf"):
    return CorpusCase(name=name, file=None, functions=functions or {}, workflow_body=body, cases=[]).app()


def events(engine, execution_id, kind=None):
    return [e for e in engine.history(execution_id) if kind is None or e["type"] == kind]


def test_retry_delays_grow_by_backoff_and_are_capped(make_engine):
    app = make_app({"steps": [{"flaky": {"call": "flaky", "retry": [
        {"errors": ["Busy"], "interval": "1s", "max_attempts": 4, "backoff_rate": 2.0, "max_delay": "3s"}]}}]},
        {"flaky": {}})
    engine = make_engine(app, {"flaky": {"fail_times": 4, "error": "Busy"}})
    execution_id = engine.start("wf", {})
    result = engine.wait(execution_id, 10)
    assert result["status"] == "SUCCEEDED" and result["output"] == {"flaky": {"attempts": 5}}
    delays = [e["detail"]["delay"] for e in events(engine, execution_id, "RetryScheduled")]
    assert delays == [1.0, 2.0, 3.0, 3.0]
    assert engine.fake_clock.now() - engine.fake_clock.slept[0] >= 0  # clock advanced only through sleep
    assert sum(engine.fake_clock.slept) == pytest.approx(9.0, abs=0.01)


def test_full_jitter_stays_within_the_delay(make_engine):
    app = make_app({"steps": [{"flaky": {"call": "flaky", "retry": [
        {"errors": ["all"], "interval": "10s", "max_attempts": 5, "backoff_rate": 1.0, "jitter": "full"}]}}]},
        {"flaky": {}})
    engine = make_engine(app, {"flaky": {"fail_times": 5, "error": "Busy"}})
    execution_id = engine.start("wf", {})
    assert engine.wait(execution_id, 10)["status"] == "SUCCEEDED"
    delays = [e["detail"]["delay"] for e in events(engine, execution_id, "RetryScheduled")]
    assert len(delays) == 5 and all(0 <= d <= 10 for d in delays)
    assert len(set(delays)) > 1  # random, not the fixed delay


def test_wait_never_ends_early(make_engine):
    app = make_app({"steps": [{"pause": {"wait": {"seconds": "50m"}}}, {"after": {"set": {"$.done": True}}}]})
    clock = FakeClock(start=1_000_000.0)
    engine = make_engine(app, clock=clock)
    execution_id = engine.start("wf", {})
    result = engine.wait(execution_id, 10)
    assert result["output"] == {"done": True}
    fired = events(engine, execution_id, "TimerFired")[0]
    started = events(engine, execution_id, "TimerStarted")[0]
    assert started["detail"]["fire_at"] == "1970-01-12T14:36:40.000Z"  # 1_000_000 + 3000
    assert clock.now() >= 1_000_000.0 + 3000
    assert fired["seq"] > started["seq"]


def test_start_is_idempotent_on_execution_id(make_engine):
    app = make_app({"steps": [{"one": {"call": "echo"}}]}, {"echo": {}})
    engine = make_engine(app, {"echo": {"echo": True}})
    first = engine.start("wf", {"a": 1}, execution_id="order-42")
    second = engine.start("wf", {"a": 2}, execution_id="order-42")
    assert first == second == "order-42"
    assert engine.wait("order-42", 10)["output"] == {"a": 1, "one": {"a": 1}}
    assert engine.behaviours.count("order-42", "echo") == 1


def test_driver_picks_up_executions_enqueued_by_another_process(tmp_path, make_engine):
    app = make_app({"steps": [{"one": {"call": "echo", "input": {"v": "$.v"}}}]}, {"echo": {}})
    engine = make_engine(app, {"echo": {"echo": True}}, clock=SystemClock())  # shares time with the writer
    engine.start_background()
    execution_id = enqueue_execution(tmp_path / "state.db", "wf", {"v": 7})
    deadline = time.monotonic() + 10
    while engine.status(execution_id)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.02)
    status = engine.status(execution_id)
    assert status["status"] == "SUCCEEDED" and status["output"] == {"v": 7, "one": {"v": 7}}
    assert status["started"].endswith("Z") and status["stopped"] >= status["started"]


def test_history_tells_the_story(make_engine):
    app = make_app({"steps": [{"a": {"call": "flaky", "retry": [{"errors": ["all"], "max_attempts": 1}]}},
                              {"b": {"fail": {"error": "Nope", "cause": "done"}}}]}, {"flaky": {}})
    engine = make_engine(app, {"flaky": {"fail_times": 1, "error": "Busy"}})
    execution_id = engine.start("wf", {})
    assert engine.wait(execution_id, 10)["error"] == "Nope"
    history = engine.history(execution_id)
    assert [e["seq"] for e in history] == list(range(1, len(history) + 1))
    assert [(e["type"], e["step"]) for e in history] == [
        ("ExecutionStarted", None), ("StepStarted", "a"), ("StepFailed", "a"), ("RetryScheduled", "a"),
        ("StepStarted", "a"), ("StepSucceeded", "a"), ("ExecutionFailed", None)]
    assert history[2]["detail"] == {"attempt": 1, "error": "Busy", "cause": "attempt 1 failed"}


def test_unknown_workflow_and_execution_are_user_errors(make_engine):
    engine = make_engine(make_app({"steps": [{"s": {"set": {"$.a": 1}}}]}))
    with pytest.raises(SlsnError, match="not declared"):
        engine.start("wff", {})
    with pytest.raises(SlsnError, match="no workflow execution"):
        engine.status("missing")


def test_map_respects_max_concurrency(make_engine):
    inflight, peak, lock = [0], [0], threading.Lock()

    def invoke(function, data, correlation_id):
        with lock:
            inflight[0] += 1
            peak[0] = max(peak[0], inflight[0])
        time.sleep(0.02)
        with lock:
            inflight[0] -= 1
        return data["n"] * 2

    app = make_app({"steps": [{"each": {"map": {"items": "$.xs", "max_concurrency": 3, "steps": [
        {"double": {"call": "double", "input": {"n": "$.item"}}}]}}}]}, {"double": {}})
    engine = make_engine(app, invoke=invoke)
    execution_id = engine.start("wf", {"xs": list(range(12))})
    assert engine.wait(execution_id, 20)["output"]["each"] == [n * 2 for n in range(12)]
    assert 1 < peak[0] <= 3


def test_parallel_fails_fast_and_later_branch_steps_never_start(make_engine):
    invoked = []

    def invoke(function, data, correlation_id):
        invoked.append(function)
        if function == "boom":
            raise StepFailure("Boom", "now")
        time.sleep(0.3)
        return {}

    app = make_app({"steps": [{"fan": {"parallel": [
        {"bad": {"call": "boom"}},
        {"slow": {"steps": [{"first": {"call": "slow"}}, {"second": {"call": "later"}}]}}]}}]},
        {"boom": {}, "slow": {}, "later": {}})
    engine = make_engine(app, invoke=invoke)
    execution_id = engine.start("wf", {})
    result = engine.wait(execution_id, 10)
    assert (result["status"], result["error"], result["cause"]) == ("FAILED", "Boom", "now")
    assert "later" not in invoked


def test_any_other_exception_is_task_failed(make_engine):
    def invoke(function, data, correlation_id):
        raise KeyError("oops")

    app = make_app({"steps": [{"one": {"call": "f"}}]}, {"f": {}})
    engine = make_engine(app, invoke=invoke)
    result = engine.wait(engine.start("wf", {}), 10)
    assert result["error"] == "TaskFailed" and "KeyError" in result["cause"]


def test_a_stopped_engine_leaves_the_execution_for_the_next_one(tmp_path):
    app = make_app({"steps": [{"one": {"call": "f"}}, {"pause": {"wait": {"seconds": 30}}},
                              {"two": {"call": "f"}}]}, {"f": {}})
    calls = []

    def invoke(function, data, correlation_id):
        calls.append(function)
        return len(calls)

    first = WorkflowEngine(tmp_path / "s.db", app, invoke)  # real clock: the 30 s timer is pending
    execution_id = first.start("wf", {})
    first.start_background()
    deadline = time.monotonic() + 10
    while not any(e["type"] == "TimerStarted" for e in first.history(execution_id)):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    first.close()
    clock = FakeClock()
    second = WorkflowEngine(tmp_path / "s.db", app, invoke, clock=clock)
    try:
        assert second.status(execution_id)["status"] == "RUNNING"
        result = second.wait(execution_id, 10)
    finally:
        second.close()
    assert result["output"] == {"one": 1, "two": 2}
    assert calls == ["f", "f"]


def test_workflow_timeout_interrupts_a_running_call(make_engine):
    release = threading.Event()

    def invoke(function, data, correlation_id):
        release.wait(5)
        return {}

    app = make_app({"timeout": "0.3s", "steps": [{"slow": {"call": "f"}}]}, {"f": {}})
    engine = make_engine(app, invoke=invoke, clock=SystemClock())
    started = time.monotonic()
    result = engine.wait(engine.start("wf", {}), 10)
    release.set()
    assert (result["status"], result["error"]) == ("TIMED_OUT", "Timeout")
    assert time.monotonic() - started < 3
    assert events(engine, result["execution_id"], "ExecutionTimedOut")


def test_steps_get_the_start_requests_correlation_id(make_engine):
    seen = []

    def invoke(function, data, correlation_id):
        seen.append(correlation_id)
        return {}

    engine = make_engine(make_app({"steps": [{"one": {"call": "f"}}]}, {"f": {}}), invoke=invoke)
    with_corr = engine.start("wf", {}, correlation_id="req-1")
    without = engine.start("wf", {})
    engine.wait(with_corr, 10), engine.wait(without, 10)
    assert seen == ["req-1", without]
