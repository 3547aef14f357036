"""The interpreter every generated Durable orchestrator embeds (stdlib only, deterministic under replay).

This file is copied verbatim into each ``slsn_workflows/<name>.py`` by
``durable.compile_durable`` (the Azure app ships no sls-neutral core), so it
must stay self-contained: no imports from sls_neutral, no clock, no randomness
that is not seeded from the instance id.

How it runs on Durable Functions: the step tree is interpreted by nested
generators that yield *lists of leaf tasks* they wait on (activity calls and
timers) and receive the task that completed. One driver at the root waits on
``context.task_any`` of every pending leaf task plus the workflow's deadline
timer, so parallel branches and map iterations progress concurrently inside a
single orchestration (no sub-orchestrations), a map keeps at most
``max_concurrency`` iterations in flight (a sliding window, not batches), and
the workflow timeout ends the execution whatever it is waiting on.

The activity contract (docs/providers/azure.md): ``call_activity(ACTIVITY,
{"function", "input", "correlation_id"})`` returns ``{"result": VALUE}`` or
``{"error": NAME, "cause": TEXT}``; an activity that raises anyway counts as
``TaskFailed``. An unhandled workflow error fails the orchestration with the
message ``NAME: CAUSE``.
"""

import copy
import datetime
import hashlib
import random
import re

MISSING = object()
_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")


class StepFailure(Exception):
    """A named workflow error (a StepError's name, Timeout, TaskFailed, or a fail step's)."""

    def __init__(self, error, cause=""):
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


class WorkflowTimeout(Exception):
    """The whole execution ran out of time; not catchable by the workflow."""

    def __init__(self, seconds):
        super().__init__(f"Timeout: the workflow exceeded its timeout of {seconds:g}s")
        self.error = "Timeout"


class _Return(Exception):
    def __init__(self, value):
        super().__init__("return")
        self.value = value


# ------------------------------------------------------------------ state paths
def parts(path):
    out, pos = [], 1
    while pos < len(path):
        match = _PART.match(path, pos)
        if not match:
            raise StepFailure("TaskFailed", f"malformed path {path}")
        out.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        pos = match.end()
    return out


def lookup(state, path):
    current = state
    for part in parts(path):
        if isinstance(part, int):
            if not isinstance(current, list) or part >= len(current):
                return MISSING
        elif not isinstance(current, dict) or part not in current:
            return MISSING
        current = current[part]
    return current


def read(state, path):
    value = lookup(state, path)
    if value is MISSING:
        raise StepFailure("TaskFailed", f"path {path} does not exist in the state")
    return copy.deepcopy(value)


def write(state, path, value):
    """A new state with ``value`` at ``path`` (missing objects are created, ``[len]`` appends)."""
    keys = parts(path)
    if not keys:
        return copy.deepcopy(value)
    root = copy.deepcopy(state)
    current = root
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(key, int):
            if not isinstance(current, list) or key > len(current):
                raise StepFailure("TaskFailed", f"cannot write {path}: no list element {key}")
            if key == len(current):
                current.append({} if not last else None)
            if last:
                current[key] = copy.deepcopy(value)
            else:
                if current[key] is None:
                    current[key] = {}
                current = current[key]
        else:
            if not isinstance(current, dict):
                raise StepFailure("TaskFailed", f"cannot write {path}: not an object at {key!r}")
            if last:
                current[key] = copy.deepcopy(value)
            else:
                if key not in current:
                    current[key] = {}
                current = current[key]
    return root


def is_path(value):
    return isinstance(value, str) and (value == "$" or value.startswith("$.") or value.startswith("$["))


def template(state, value):
    if is_path(value):
        return read(state, value)
    if isinstance(value, dict):
        return {k: template(state, v) for k, v in value.items()}
    if isinstance(value, list):
        return [template(state, v) for v in value]
    return value


# ------------------------------------------------------------------ conditions
def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _truthy(value):
    if isinstance(value, bool):
        return value
    raise StepFailure("TaskFailed", f"a condition must be true or false, got {value!r}")


def evaluate(node, state):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "path":
        return read(state, node[1])
    if kind == "exists":
        return lookup(state, node[1]) is not MISSING
    if kind == "not":
        return not _truthy(evaluate(node[1], state))
    if kind == "and":
        return all(_truthy(evaluate(item, state)) for item in node[1])
    if kind == "or":
        return any(_truthy(evaluate(item, state)) for item in node[1])
    op, left, right = node[1], evaluate(node[2], state), evaluate(node[3], state)
    if op in ("==", "!="):
        equal = left == right if _number(left) and _number(right) else (type(left) is type(right) and left == right)
        return equal if op == "==" else not equal
    if not ((_number(left) and _number(right)) or (isinstance(left, str) and isinstance(right, str))):
        raise StepFailure("TaskFailed", f"cannot compare {left!r} {op} {right!r}")
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


# ------------------------------------------------------------------ the interpreter
def _utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


class Runner:
    """Interprets the step tree; every method that waits is a generator (see the module docstring)."""

    def __init__(self, context, activity, correlation_id=None):
        self.context = context
        self.activity = activity
        self.correlation_id = correlation_id

    def now(self):
        return _utc(self.context.current_utc_datetime)

    def timer(self, fire_at):
        return self.context.create_timer(fire_at)

    def sleep(self, seconds):
        if seconds > 0:
            yield [self.timer(self.now() + datetime.timedelta(seconds=seconds))]

    def run(self, steps, state):
        try:
            return (yield from self.steps(steps, state))
        except _Return as done:
            return done.value

    def steps(self, steps, state):
        for step in steps:
            state = yield from getattr(self, "step_" + step["kind"])(step, state)
        return state

    def value_of(self, steps, state):
        """A parallel branch's / map iteration's step-list value (docs/workflows.md)."""
        if len(steps) == 1 and steps[0]["kind"] in ("call", "parallel", "map"):
            steps = [dict(steps[0], result="$")]
        return (yield from self.steps(steps, state))

    # -------------------------------------------------------------- retry
    def retrying(self, step, attempt):
        used = [0] * len(step.get("retry", ()))
        tries = 0
        while True:
            tries += 1
            try:
                return (yield from attempt())
            except StepFailure as failure:
                index = next((i for i, r in enumerate(step.get("retry", ()))
                              if "all" in r["errors"] or failure.error in r["errors"]), None)
                if index is None:
                    raise
                rule = step["retry"][index]
                if used[index] >= rule["max_attempts"]:
                    raise
                used[index] += 1
                delay = rule["interval"] * rule["backoff_rate"] ** (used[index] - 1)
                if rule.get("max_delay") is not None:
                    delay = min(delay, rule["max_delay"])
                if rule.get("jitter") == "full":  # seeded by the instance: the same draw on every replay
                    seed = f"{self.context.instance_id}/{step['name']}/{tries}".encode()
                    delay = random.Random(hashlib.sha256(seed).digest()).uniform(0, delay)
                yield from self.sleep(delay)

    # -------------------------------------------------------------- steps
    def step_call(self, step, state):
        data = copy.deepcopy(state) if step["input"] is None else template(state, step["input"])
        payload = {"function": step["function"], "input": data, "correlation_id": self.correlation_id}

        def attempt():
            task = self.context.call_activity(self.activity, payload)
            waiting = [task]
            deadline = None
            if step.get("timeout"):
                deadline = self.timer(self.now() + datetime.timedelta(seconds=step["timeout"]))
                waiting.append(deadline)
            done = yield waiting
            if deadline is not None and done is deadline:
                raise StepFailure("Timeout", f"step '{step['name']}' exceeded {step['timeout']:g}s")
            if deadline is not None:
                deadline.cancel()
            envelope = done.result
            if isinstance(envelope, Exception):
                raise StepFailure("TaskFailed", str(envelope).strip())
            if isinstance(envelope, dict) and "error" in envelope:
                raise StepFailure(envelope["error"], envelope.get("cause") or "")
            return envelope.get("result") if isinstance(envelope, dict) else envelope

        result = yield from self.retrying(step, attempt)
        return state if step["result"] is None else write(state, step["result"], result)

    def step_set(self, step, state):
        values = [(path, template(state, value)) for path, value in step["assign"]]
        for path, value in values:
            state = write(state, path, value)
        return state
        yield  # a generator like every step

    def step_switch(self, step, state):
        for condition, steps in step["cases"]:
            if _truthy(evaluate(condition, state)):
                return (yield from self.steps(steps, state))
        return (yield from self.steps(step["default"], state))

    def step_parallel(self, step, state):
        def attempt():
            values = yield from self.gather(
                [lambda b=branch: self.value_of(b["steps"], copy.deepcopy(state)) for branch in step["branches"]], 0)
            return {branch["name"]: value for branch, value in zip(step["branches"], values)}

        result = yield from self.retrying(step, attempt)
        return state if step["result"] is None else write(state, step["result"], result)

    def step_map(self, step, state):
        def attempt():
            items = read(state, step["items"])
            if not isinstance(items, list):
                raise StepFailure("TaskFailed", f"map items at {step['items']} are not a list")
            return (yield from self.gather(
                [lambda i=i, item=item: self.value_of(step["steps"], {"item": item, "index": i})
                 for i, item in enumerate(items)], step["max_concurrency"]))

        result = yield from self.retrying(step, attempt)
        return state if step["result"] is None else write(state, step["result"], result)

    def step_wait(self, step, state):
        if step["seconds"] is not None:
            yield from self.sleep(step["seconds"])
            return state
        text = read(state, step["until"]) if is_path(step["until"]) else step["until"]
        try:
            until = _utc(datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00")))
        except ValueError:
            raise StepFailure("TaskFailed", f"wait until {text!r} is not an ISO-8601 timestamp") from None
        if until > self.now():
            yield [self.timer(until)]
        return state

    def step_try(self, step, state):
        def attempt():
            return (yield from self.steps(step["steps"], state))

        try:
            return (yield from self.retrying(step, attempt))
        except StepFailure as failure:
            for catch in step["catches"]:
                if "all" in catch["errors"] or failure.error in catch["errors"]:
                    caught = state  # rolled back to the state before the try
                    if catch["result"] is not None:
                        caught = write(caught, catch["result"], {"error": failure.error, "cause": failure.cause})
                    return (yield from self.steps(catch["steps"], caught))
            raise

    def step_fail(self, step, state):
        raise StepFailure(step["error"], step["cause"])
        yield  # a generator like every step

    def step_return(self, step, state):
        raise _Return(template(state, step["value"]))
        yield  # a generator like every step

    # -------------------------------------------------------------- concurrency
    def gather(self, starters, window):
        """Run child generators concurrently, at most ``window`` at once (0: all); results in order; fail fast."""
        results = [None] * len(starters)
        active = {}
        started = finished = 0
        while finished < len(starters):
            while started < len(starters) and (window <= 0 or len(active) < window):
                index, started = started, started + 1
                child = starters[index]()
                try:
                    active[index] = (child, next(child))
                except StopIteration as stop:
                    results[index], finished = stop.value, finished + 1
            if finished == len(starters):
                break
            done = yield [task for index in sorted(active) for task in active[index][1]]
            owner = next(i for i in sorted(active) if any(task is done for task in active[i][1]))
            child = active.pop(owner)[0]
            try:
                active[owner] = (child, child.send(done))
            except StopIteration as stop:
                results[owner], finished = stop.value, finished + 1
        return results


def drive(context, steps, activity, timeout_seconds):
    """The orchestrator body: interpret the tree, racing every wait against the workflow deadline."""
    state = context.get_input()
    if state is None:
        state = {}
    meta = state.get("_slsn") if isinstance(state, dict) else None
    runner = Runner(context, activity, meta.get("correlation_id") if isinstance(meta, dict) else None)
    deadline = context.create_timer(runner.now() + datetime.timedelta(seconds=timeout_seconds))
    body = runner.run(steps, state)
    try:
        waiting = next(body)
        while True:
            done = yield context.task_any(list(waiting) + [deadline])
            if done is deadline:
                raise WorkflowTimeout(timeout_seconds)
            waiting = body.send(done)
    except StopIteration as stop:
        if not deadline.is_completed:
            deadline.cancel()
        return stop.value
