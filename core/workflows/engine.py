"""The local workflow engine: runs the IR step tree durably, with the semantics of docs/workflows.md.

Replay model: an execution is always (re)run from its input. Every call's
outcome, every timer's fire time, every retry delay and the outcome of every
parallel/map step is written to the journal (SQLite) before the execution
moves on; on replay a journaled entry is used instead of doing the work
again. So after a SIGKILL the engine resumes where it was: completed calls
are not invoked again and timers fire at their recorded time.

``invoke_step(function, input, correlation_id)`` runs one step function (the
local provider routes it to its workers, with the function's permissions)
and returns the result or raises :class:`StepFailure`.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import random
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait as wait_futures
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Callable

from sls_neutral.core import ir
from sls_neutral.core.errors import SlsnError
from sls_neutral.core.workflows import state as paths
from sls_neutral.core.workflows.conditions import ConditionError, ConditionEvalError, evaluate_condition, parse_condition
from sls_neutral.core.workflows.engine_store import TERMINAL, Store, connect, insert_execution

MAX_LOCAL_CONCURRENCY = 64  # map max_concurrency 0 ("no limit") runs at most this many iterations at once
TICK = 0.5  # longest uninterrupted sleep, so stop() and fail-fast are noticed quickly


class StepFailure(Exception):
    """A step function failed with a named error (a handler's StepError, Timeout or TaskFailed)."""

    def __init__(self, error: str, cause: str = ""):
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


class WorkflowError(Exception):
    """An error flowing through the step tree; catch/retry match on ``error``."""

    def __init__(self, error: str, cause: str = ""):
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause

    def as_object(self) -> dict:
        return {"error": self.error, "cause": self.cause}


class _StepTimeout(Exception):
    """One call attempt exceeded the step's timeout."""


class _Abort(BaseException):
    """Unwinds an execution without an error catch/retry could see."""


class _Cancelled(_Abort):
    """A sibling branch failed (fail fast)."""


class _Stopped(_Abort):
    """The engine is stopping; the execution stays RUNNING and resumes later."""


class _WorkflowTimeout(_Abort):
    """The workflow's own timeout expired (not catchable)."""


class _Return(BaseException):
    def __init__(self, value: Any):
        self.value = value


# ---------------------------------------------------------------- clocks
class SystemClock:
    """Wall-clock time; ``sleep`` really sleeps."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


def iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(text: Any) -> float:
    if not isinstance(text, str):
        raise WorkflowError("TaskFailed", f"wait until needs an ISO-8601 timestamp, got {text!r}")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise WorkflowError("TaskFailed", f"wait until: {text!r} is not an ISO-8601 timestamp") from None
    if parsed.tzinfo is None:
        raise WorkflowError("TaskFailed", f"wait until: {text!r} has no time zone (add Z or +00:00)")
    return parsed.timestamp()


def retry_delay(retry: ir.Retry, n: int, rng: random.Random | None = None) -> float:
    """Delay before the n-th retry (1-based) of one retrier: interval * rate^(n-1), capped, maybe jittered."""
    delay = float(retry.interval) * float(retry.backoff_rate) ** (n - 1)
    if retry.max_delay is not None:
        delay = min(delay, float(retry.max_delay))
    if retry.jitter == "full":
        delay = (rng or random).uniform(0, delay)
    return delay


def matches(names: tuple[str, ...], error: str) -> bool:
    return "all" in names or error in names


def enqueue_execution(db_path: Path, workflow: str, input: Any, execution_id: str | None = None, *,
                      timeout: float | None = None, correlation_id: str | None = None) -> str:
    """Record a start request without an engine instance; the running engine's driver picks it up.

    ``timeout`` is the workflow's timeout in seconds (the driver fills it from the app when omitted).
    Idempotent on ``execution_id``.
    """
    db = connect(Path(db_path))
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            execution_id, _ = insert_execution(db, workflow, input if input is not None else {}, time.time(),
                                               timeout, execution_id, correlation_id)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    finally:
        db.close()
    return execution_id


# ---------------------------------------------------------------- one execution
class _Scope:
    """Cancellation for a parallel/map step's children (fail fast), chained to the enclosing scope."""

    def __init__(self, parent: "_Scope | None" = None):
        self.parent = parent
        self.cancelled = threading.Event()

    def is_cancelled(self) -> bool:
        scope: _Scope | None = self
        while scope is not None:
            if scope.cancelled.is_set():
                return True
            scope = scope.parent
        return False


class _Execution:
    def __init__(self, engine: "WorkflowEngine", row: dict, workflow: ir.Workflow):
        self.engine = engine
        self.store = engine.store
        self.clock = engine.clock
        self.id = row["id"]
        self.workflow = workflow
        self.deadline = row["deadline"]
        self.correlation_id = row["correlation_id"] or row["id"]  # what the step's logs are tagged with
        self.journal = self.store.journal(self.id)
        self.journal_lock = threading.Lock()
        self.rng = random.Random()

    # ------------------------------------------------------------ plumbing
    def now(self) -> float:
        return self.clock.now()

    def event(self, type: str, step: str | None, detail: Any = None) -> None:
        self.store.event(self.id, self.now(), type, step, detail)

    def recorded(self, key: str) -> Any:
        with self.journal_lock:
            return self.journal.get(key)

    def record(self, key: str, value: Any) -> None:
        self.store.journal_put(self.id, key, value, self.now())
        with self.journal_lock:
            self.journal[key] = value

    def check(self, scope: _Scope) -> None:
        if self.engine._stopping.is_set():
            raise _Stopped()
        if self.deadline is not None and self.now() >= self.deadline:
            raise _WorkflowTimeout()
        if scope.is_cancelled():
            raise _Cancelled()

    def sleep_until(self, fire_at: float, scope: _Scope) -> None:
        while True:
            self.check(scope)
            now = self.now()
            if now >= fire_at:
                return
            end = fire_at if self.deadline is None else min(fire_at, self.deadline)
            self.clock.sleep(max(0.0, min(end - now, TICK)) or 0.001)

    def timer(self, key: str, step: str, seconds: float | None, until: float | None, scope: _Scope,
              kind: str = "TimerStarted") -> None:
        entry = self.recorded(key)
        if entry is None:
            fire_at = until if until is not None else self.now() + max(0.0, seconds or 0.0)
            entry = {"fire_at": fire_at}
            self.record(key, entry)
            if kind == "TimerStarted":
                self.event("TimerStarted", step, {"fire_at": iso(fire_at)})
        self.sleep_until(entry["fire_at"], scope)
        if kind == "TimerStarted" and not self.recorded(key).get("fired"):
            self.record(key, {"fire_at": entry["fire_at"], "fired": True})
            self.event("TimerFired", step)

    # ------------------------------------------------------------ the tree
    def run(self) -> Any:
        data = json.loads(self.store.row(self.id)["input"])
        try:
            return self.steps(self.workflow.steps, data, "", _Scope())
        except _Return as ret:
            return ret.value

    def steps(self, steps: tuple[ir.Step, ...], state: Any, prefix: str, scope: _Scope) -> Any:
        for step in steps:
            self.check(scope)
            state = self.step(step, state, prefix, scope)
        return state

    def step(self, step: ir.Step, state: Any, prefix: str, scope: _Scope) -> Any:
        try:
            handler = getattr(self, f"_{step.kind}")
            return handler(step, state, prefix, scope)
        except paths.PathError as exc:
            raise WorkflowError("TaskFailed", f"step '{step.name}': {exc}") from None
        except ConditionEvalError as exc:
            raise WorkflowError("TaskFailed", f"step '{step.name}': {exc}") from None

    def list_value(self, steps: tuple[ir.Step, ...], state: Any, prefix: str, scope: _Scope) -> Any:
        """A branch's or iteration's value: the single call/parallel/map step's result, else the final state."""
        if len(steps) == 1 and steps[0].kind in ("call", "parallel", "map"):
            out = self.step(dataclasses.replace(steps[0], result=_RESULT_PATH), state, prefix, scope)
            return out[_RESULT_KEY]
        return self.steps(steps, state, prefix, scope)

    # ------------------------------------------------------------ retry
    def with_retry(self, step: Any, prefix: str, scope: _Scope, attempt_fn: Callable[[int], Any]) -> Any:
        used = [0] * len(step.retry)
        attempt = 1
        while True:
            try:
                return attempt_fn(attempt)
            except WorkflowError as exc:
                index = next((i for i, r in enumerate(step.retry) if matches(r.errors, exc.error)), None)
                if index is None or used[index] >= step.retry[index].max_attempts:
                    raise
                used[index] += 1
                key = f"{prefix}{step.name}~retry{attempt}"
                entry = self.recorded(key)
                if entry is None:
                    delay = retry_delay(step.retry[index], used[index], self.rng)
                    entry = {"fire_at": self.now() + delay, "delay": delay}
                    self.record(key, entry)
                    self.event("RetryScheduled", step.name, {"attempt": attempt + 1, "error": exc.error,
                                                             "delay": round(delay, 6)})
                self.sleep_until(entry["fire_at"], scope)
                attempt += 1

    # ------------------------------------------------------------ step kinds
    def _call(self, step: ir.CallStep, state: Any, prefix: str, scope: _Scope) -> Any:
        data = copy.deepcopy(state) if step.input is None else paths.resolve(step.input, state)
        result = self.with_retry(step, prefix, scope, lambda n: self.invoke(step, data, f"{prefix}{step.name}#{n}",
                                                                           scope, n))
        return _store(state, step.result, result)

    def invoke(self, step: ir.CallStep, data: Any, key: str, scope: _Scope, attempt: int) -> Any:
        entry = self.recorded(key)
        if entry is None:
            self.check(scope)
            self.event("StepStarted", step.name, {"function": step.function, "attempt": attempt})
            try:
                result = self.engine._invoke(step, data, self.correlation_id, self.remaining())
                entry = {"result": result}
            except _WorkflowTimeout:
                raise
            except _StepTimeout:
                entry = {"error": "Timeout", "cause": f"step '{step.name}' exceeded its timeout of {step.timeout}s"}
            except StepFailure as exc:
                entry = {"error": exc.error, "cause": exc.cause}
            except Exception as exc:  # any other failure of the invoker is the step's TaskFailed
                entry = {"error": "TaskFailed", "cause": f"{type(exc).__name__}: {exc}"}
            self.record(key, entry)
            if "error" in entry:
                self.event("StepFailed", step.name, {"attempt": attempt, "error": entry["error"],
                                                     "cause": entry["cause"]})
            else:
                self.event("StepSucceeded", step.name, {"attempt": attempt})
        if "error" in entry:
            raise WorkflowError(entry["error"], entry.get("cause", ""))
        return entry["result"]

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.now()

    def _set(self, step: ir.SetStep, state: Any, prefix: str, scope: _Scope) -> Any:
        values = [(path, paths.resolve(value, state)) for path, value in step.assignments]
        for path, value in values:
            state = paths.write(state, path, value)
        return state

    def _switch(self, step: ir.SwitchStep, state: Any, prefix: str, scope: _Scope) -> Any:
        for case in step.cases:
            condition = case.condition if case.condition is not None else _parse(case.when)
            if evaluate_condition(condition, state):
                return self.steps(case.steps, state, prefix, scope)
        return self.steps(step.default, state, prefix, scope)

    def _wait(self, step: ir.WaitStep, state: Any, prefix: str, scope: _Scope) -> Any:
        until = None
        if step.until is not None:
            until = parse_timestamp(paths.read(state, step.until) if paths.is_path(step.until) else step.until)
        self.timer(f"{prefix}{step.name}~wait", step.name, step.seconds, until, scope)
        return state

    def _fail(self, step: ir.FailStep, state: Any, prefix: str, scope: _Scope) -> Any:
        raise WorkflowError(step.error, step.cause or "")

    def _return(self, step: ir.ReturnStep, state: Any, prefix: str, scope: _Scope) -> Any:
        raise _Return(paths.resolve(step.value, state))

    def _try(self, step: ir.TryStep, state: Any, prefix: str, scope: _Scope) -> Any:
        before = copy.deepcopy(state)

        def attempt(n: int) -> Any:
            inner = f"{prefix}{step.name}@{n}/" if n > 1 else f"{prefix}{step.name}/"
            return self.steps(step.steps, copy.deepcopy(before), inner, scope)

        try:
            return self.with_retry(step, prefix, scope, attempt)
        except WorkflowError as exc:
            for i, catch in enumerate(step.catches):
                if matches(catch.errors, exc.error):
                    self.event("ErrorCaught", step.name, exc.as_object())
                    handled = copy.deepcopy(before)
                    if catch.result is not None:
                        handled = paths.write(handled, catch.result, exc.as_object())
                    return self.steps(catch.steps, handled, f"{prefix}{step.name}!catch{i}/", scope)
            raise

    def _parallel(self, step: ir.ParallelStep, state: Any, prefix: str, scope: _Scope) -> Any:
        def attempt(n: int) -> Any:
            inner = f"{prefix}{step.name}@{n}/" if n > 1 else f"{prefix}{step.name}/"
            jobs = [(b.name, partial(self.list_value, b.steps, copy.deepcopy(state), f"{inner}{b.name}/"))
                    for b in step.branches]
            values = self.fan_out(step.name, jobs, len(jobs), scope)
            return {name: value for (name, _), value in zip(jobs, values)}

        result = self.composite(step, prefix, scope, attempt)
        return _store(state, step.result, result)

    def _map(self, step: ir.MapStep, state: Any, prefix: str, scope: _Scope) -> Any:
        items = paths.read(state, step.items)
        if not isinstance(items, list):
            raise WorkflowError("TaskFailed", f"map '{step.name}': {step.items} is not a list")

        def attempt(n: int) -> Any:
            inner = f"{prefix}{step.name}@{n}" if n > 1 else f"{prefix}{step.name}"
            jobs = [(i, partial(self.list_value, step.steps, {"item": copy.deepcopy(item), "index": i},
                                f"{inner}[{i}]/")) for i, item in enumerate(items)]
            limit = step.max_concurrency or MAX_LOCAL_CONCURRENCY
            return self.fan_out(step.name, jobs, min(limit, MAX_LOCAL_CONCURRENCY, max(1, len(jobs))), scope)

        result = self.composite(step, prefix, scope, attempt)
        return _store(state, step.result, result)

    def composite(self, step: Any, prefix: str, scope: _Scope, attempt: Callable[[int], Any]) -> Any:
        """Run a parallel/map with its retries once; its outcome is journaled so replays do not re-race it."""
        key = f"{prefix}{step.name}!"
        entry = self.recorded(key)
        if entry is None:
            self.event("StepStarted", step.name, {"kind": step.kind})
            try:
                entry = {"result": self.with_retry(step, prefix, scope, attempt)}
            except WorkflowError as exc:
                entry = exc.as_object()
            self.record(key, entry)
            if "error" in entry:
                self.event("StepFailed", step.name, entry)
            else:
                self.event("StepSucceeded", step.name, {"kind": step.kind})
        if "error" in entry:
            raise WorkflowError(entry["error"], entry["cause"])
        return entry["result"]

    def fan_out(self, name: str, jobs: list, workers: int, scope: _Scope) -> list:
        """Run ``(label, job(scope))`` pairs concurrently; the first error cancels the rest (fail fast), is raised."""
        if not jobs:
            return []
        child = _Scope(scope)
        first_error: list[BaseException] = []
        error_lock = threading.Lock()

        def run(job: Callable[[_Scope], Any]) -> Any:
            try:
                if child.is_cancelled():
                    raise _Cancelled()
                return job(child)
            except BaseException as exc:
                if not isinstance(exc, _Cancelled):
                    with error_lock:
                        if not first_error:
                            first_error.append(exc)
                child.cancelled.set()
                raise

        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=f"wf-{name}") as pool:
            futures = [pool.submit(run, job) for _, job in jobs]
            wait_futures(futures, return_when=FIRST_EXCEPTION)
            wait_futures(futures)
        if first_error:
            raise first_error[0]
        if scope.is_cancelled():
            raise _Cancelled()
        return [f.result() for f in futures]


# list_value runs a branch's only step with this result path; _store then hands the value back wrapped.
_RESULT_KEY = "\x00result"
_RESULT_PATH = "$.__slsn_list_value__"


def _store(state: Any, path: str | None, value: Any) -> Any:
    if path is None:
        return state
    if path == _RESULT_PATH:
        return {_RESULT_KEY: value}
    return paths.write(state, path, value)


def _parse(text: str) -> Any:
    try:
        return parse_condition(text)
    except ConditionError as exc:
        raise WorkflowError("TaskFailed", f"condition {text!r}: {exc}") from None


# ---------------------------------------------------------------- the engine
class WorkflowEngine:
    """Starts, runs, resumes and reports workflow executions stored in ``db_path``."""

    def __init__(self, db_path: Path, app: ir.App, invoke_step: Callable[[str, Any, str], Any], *,
                 clock: Any = None, max_executions: int = 32, poll_interval: float = 0.2):
        self.db_path = Path(db_path)
        self.app = app
        self.invoke_step = invoke_step
        self.clock = clock or SystemClock()
        self.store = Store(self.db_path)
        self.max_executions = max_executions
        self.poll_interval = poll_interval
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._running: dict[str, threading.Thread] = {}
        self._running_lock = threading.Lock()
        self._driver: threading.Thread | None = None
        self._call_pool: ThreadPoolExecutor | None = None
        self._closed = False

    # ------------------------------------------------------------ API
    def start(self, workflow: str, input: Any = None, execution_id: str | None = None, *,
              correlation_id: str | None = None) -> str:
        """Record a new execution (idempotent on ``execution_id``) and wake the driver; returns its id."""
        definition = self._workflow(workflow)
        execution_id, created = self.store.insert(workflow, input if input is not None else {}, self.clock.now(),
                                                  definition.timeout, execution_id, correlation_id)
        self._wake.set()
        return execution_id

    def status(self, execution_id: str) -> dict:
        row = self._row(execution_id)
        out = {"execution_id": row["id"], "workflow": row["workflow"], "status": row["status"],
               "input": json.loads(row["input"]), "started": iso(row["started"]), "stopped": iso(row["stopped"])}
        if row["status"] == "SUCCEEDED":
            out["output"] = json.loads(row["output"]) if row["output"] is not None else None
        elif row["status"] in ("FAILED", "TIMED_OUT"):
            out["error"] = row["error"]
            out["cause"] = row["cause"]
        return out

    def history(self, execution_id: str) -> list[dict]:
        self._row(execution_id)
        return [dict(e, time=iso(e["time"])) for e in self.store.history(execution_id)]

    def wait(self, execution_id: str, timeout: float | None = None) -> dict:
        """Block until the execution ends (or ``timeout`` real seconds pass); returns its status.

        Without a running driver in this process the execution is run here (when no live process holds it),
        so ``workflow start --wait`` works without a running local deployment.
        """
        self._row(execution_id)
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            current = self.status(execution_id)
            if current["status"] in TERMINAL:
                return current
            if self._driver is None or not self._driver.is_alive():
                self._spawn(execution_id)
            remaining = None if end is None else end - time.monotonic()
            if remaining is not None and remaining <= 0:
                return current
            thread = self._running.get(execution_id)
            if thread is not None:
                thread.join(min(remaining, 1.0) if remaining is not None else 1.0)
            else:
                time.sleep(min(remaining, self.poll_interval) if remaining is not None else self.poll_interval)

    def run(self, stop_event: threading.Event | None = None) -> None:
        """Driver loop: pick up new and resumable executions until ``stop_event`` (or stop()) is set."""
        stop_event = stop_event or self._stopping
        last_renew = 0.0
        while not stop_event.is_set() and not self._stopping.is_set():
            with self._running_lock:
                free = self.max_executions - sum(1 for t in self._running.values() if t.is_alive())
            if free > 0:
                for execution_id in self.store.claimable(free):
                    self._spawn(execution_id)
            if time.monotonic() - last_renew > 5:
                with self._running_lock:
                    owned = [k for k, t in self._running.items() if t.is_alive()]
                self.store.renew(owned)
                last_renew = time.monotonic()
            self._wake.wait(self.poll_interval)
            self._wake.clear()

    def start_background(self) -> threading.Thread:
        if self._driver is None or not self._driver.is_alive():
            self._stopping.clear()
            self._driver = threading.Thread(target=self.run, name="workflow-driver", daemon=True)
            self._driver.start()
        return self._driver

    start_driver = start_background
    run_background = start_background

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the driver; executions in flight stay RUNNING and resume on the next start."""
        self._stopping.set()
        self._wake.set()
        end = time.monotonic() + timeout
        if self._driver is not None:
            self._driver.join(max(0.0, end - time.monotonic()))
        with self._running_lock:
            threads = list(self._running.items())
        for execution_id, thread in threads:
            thread.join(max(0.0, end - time.monotonic()))
            if thread.is_alive():  # stuck in a step call: let the next engine resume it
                self.store.release(execution_id)
        if self._call_pool is not None:
            self._call_pool.shutdown(wait=False, cancel_futures=True)
            self._call_pool = None

    def close(self) -> None:
        if self._closed:
            return
        self.stop()
        self._closed = True
        self.store.close()

    # ------------------------------------------------------------ internals
    def _workflow(self, name: str) -> ir.Workflow:
        workflow = self.app.workflows.get(name)
        if workflow is None:
            from sls_neutral.core.errors import did_you_mean

            raise SlsnError(f"workflow '{name}' is not declared",
                            hint=did_you_mean(name, self.app.workflows) or "declare it under workflows:")
        return workflow

    def _row(self, execution_id: str) -> dict:
        row = self.store.row(execution_id)
        if row is None:
            raise SlsnError(f"no workflow execution '{execution_id}'",
                            hint="the id is printed by 'sls-neutral workflow start'")
        return row

    def _spawn(self, execution_id: str) -> None:
        with self._running_lock:
            thread = self._running.get(execution_id)
            if thread is not None and thread.is_alive():
                return
            if not self.store.claim(execution_id):
                return
            thread = threading.Thread(target=self._drive, args=(execution_id,), name=f"wf-{execution_id[:8]}",
                                      daemon=True)
            self._running[execution_id] = thread
            thread.start()

    def _drive(self, execution_id: str) -> None:
        """Run (or resume) one claimed execution to its end, or until the engine stops."""
        try:
            row = self.store.row(execution_id)
            if row is None or row["status"] != "RUNNING":
                return
            workflow = self.app.workflows.get(row["workflow"])
            if workflow is None:
                self.store.event(execution_id, self.clock.now(), "ExecutionFailed", None,
                                 {"error": "TaskFailed", "cause": f"workflow '{row['workflow']}' is not declared"})
                self.store.finish(execution_id, "FAILED", self.clock.now(), error="TaskFailed",
                                  cause=f"workflow '{row['workflow']}' is not declared in this deployment")
                return
            if row["deadline"] is None:
                row["deadline"] = row["started"] + workflow.timeout
            execution = _Execution(self, row, workflow)
            if execution.journal:
                execution.event("ExecutionResumed", None, {"journaled": len(execution.journal)})
            try:
                output = execution.run()
            except WorkflowError as exc:
                execution.event("ExecutionFailed", None, exc.as_object())
                self.store.finish(execution_id, "FAILED", self.clock.now(), error=exc.error, cause=exc.cause)
            except _WorkflowTimeout:
                cause = f"the workflow exceeded its timeout of {workflow.timeout:g}s"
                execution.event("ExecutionTimedOut", None, {"error": "Timeout", "cause": cause})
                self.store.finish(execution_id, "TIMED_OUT", self.clock.now(), error="Timeout", cause=cause)
            except (_Stopped, _Cancelled):
                self.store.release(execution_id)
            else:
                execution.event("ExecutionSucceeded", None, {"output": output})
                self.store.finish(execution_id, "SUCCEEDED", self.clock.now(), output=output)
        except Exception as exc:  # the engine itself failed: keep the execution resumable, say why
            try:
                self.store.event(execution_id, self.clock.now(), "EngineError", None,
                                 {"cause": f"{type(exc).__name__}: {exc}"})
                self.store.release(execution_id)
            except Exception:
                pass
        finally:
            with self._running_lock:
                if self._running.get(execution_id) is threading.current_thread():
                    del self._running[execution_id]

    def _invoke(self, step: ir.CallStep, data: Any, correlation_id: str, remaining: float | None) -> Any:
        """One attempt, bounded by the step timeout (_StepTimeout) and the workflow deadline (_WorkflowTimeout)."""
        limit = step.timeout
        deadline_bound = False
        if remaining is not None and (limit is None or remaining < limit):
            limit, deadline_bound = max(remaining, 0.0), True
        if limit is None:
            return self.invoke_step(step.function, data, correlation_id)
        if self._call_pool is None:
            with self._running_lock:
                if self._call_pool is None:
                    self._call_pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="wf-call")
        future = self._call_pool.submit(self.invoke_step, step.function, data, correlation_id)
        try:
            return future.result(timeout=limit)
        except FutureTimeout:
            if future.done():  # the step itself raised TimeoutError
                raise
            if deadline_bound:
                raise _WorkflowTimeout() from None
            raise _StepTimeout() from None
