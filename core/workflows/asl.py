"""Compile a workflow's IR step tree to an Amazon States Language definition (Step Functions).

Conventions (docs/workflows.md, "Step Functions"):

- A ``call`` is a Task whose ``Resource`` is the Lambda function's ARN (``task_resource(name)``, e.g.
  ``${ChargeCardFunctionArn}`` for DefinitionSubstitutions). With a direct ARN the Lambda's return value *is* the
  task result (no ``Payload`` wrapper to peel off), and an exception raised by the function becomes the ASL error
  named after its ``errorType``. The AWS adapter re-raises a ``StepError("PaymentDeclined", ...)`` as an
  exception whose class is ``PaymentDeclined``, and any other exception as ``TaskFailed``; so the workflow's
  ``retry``/``catch`` names are ASL error names unchanged. ``Timeout`` also matches ``States.Timeout`` (the
  step's ``timeout``) and ``Sandbox.Timedout`` (the Lambda's own); ``TaskFailed`` also matches Lambda's crash
  names (``Lambda.Unknown``, ``Runtime.*``); ``all`` is ``States.ALL``.
- A caught error arrives as ``{"error": NAME, "cause": TEXT}`` like everywhere else: the Catch stores ASL's
  ``{Error, Cause}``, and two small states rename it, taking ``errorMessage`` out of a Lambda's JSON cause.
- ``try`` wraps its block in a one-branch Parallel: ASL retries states, not blocks, and a Catch on the wrapper
  sees the state from before the try (the DSL rolls the state back). A ``return`` inside it travels out as a
  marker that a Choice after the wrapper turns into the execution's output.
- A parallel branch or map iteration outputs its step-list value: a lone call/parallel/map writes its result
  at ``$`` (so the branch's output *is* the result); longer lists output their final state.
- ``set`` is one Pass per assignment, ``return`` a Pass whose output is the value and that ends the execution.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from sls_neutral.core import ir
from sls_neutral.core.errors import Diagnostic, UnsupportedFeatureError
from sls_neutral.core.workflows import conditions as c
from sls_neutral.core.workflows.conditions import parse_path
from sls_neutral.core.workflows.compile_common import (ALL, TASK_FAILED, TIMEOUT, error_names, has_paths, is_path,
                                                       reachable)

ERROR_ALIASES: dict[str, tuple[str, ...]] = {
    TIMEOUT: ("States.Timeout", "Timeout", "Sandbox.Timedout"),
    TASK_FAILED: ("TaskFailed", "Lambda.Unknown", "Runtime.ExitError", "Runtime.ImportModuleError",
                  "Runtime.HandlerNotFound", "Runtime.UserCodeSyntaxError"),
}
# Lambda service hiccups (the function did not run): retried as AWS recommends, after the workflow's own retriers.
LAMBDA_TRANSIENT = ("Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
                    "Lambda.TooManyRequestsException")
RETURN_MARK = "__slsn_return"
INLINE_MAP_MAX_CONCURRENCY = 40
ALWAYS_TRUE = {"Variable": "$", "IsPresent": True}


def compile_asl(workflow: ir.Workflow, task_resource: Callable[[str], str]) -> dict[str, Any]:
    """The state machine definition as a dict (deterministic: same workflow, same dict)."""
    return _Builder(workflow, task_resource).build()


def asl_step_names(workflow: ir.Workflow) -> dict[str, str | None]:
    """Every state name :func:`compile_asl` gives the workflow -> the manifest step it belongs to.

    ``reserve``, ``reserve.2``, ``reserve.done`` and ``check.catch1.error`` all map to their step; a state that
    belongs to no step (the terminal ``Done``) maps to None. States inside parallel branches and map iterations
    map to the step they were compiled from. Names are what the compiler gives (the same workflow compiles the
    same way), so ``workflow history`` can report the user's step names.
    """
    builder = _Builder(workflow, str)
    builder.build()
    return dict(builder.origins)


def asl_error_names(names: tuple[str, ...] | list[str]) -> list[str]:
    """The ASL ErrorEquals list for workflow error names (``all`` alone becomes ``States.ALL``)."""
    names = error_names(names)
    if names == (ALL,):
        return ["States.ALL"]
    out: list[str] = []
    for name in names:
        for alias in ERROR_ALIASES.get(name, (name,)):
            if alias not in out:
                out.append(alias)
    return out


def workflow_limit_diagnostics(workflow: ir.Workflow) -> list[Diagnostic]:
    """Step Functions limits (core/workflows/build.py) plus what this compiler rounds (for ``validate -p aws``)."""
    from sls_neutral.core.workflows.build import workflow_limit_diagnostics as limits

    out = list(limits(workflow, "aws"))
    for step in ir.walk_steps(workflow.steps):
        for retry in getattr(step, "retry", ()):
            if retry.interval != math.ceil(retry.interval) or (
                    retry.max_delay is not None and retry.max_delay != math.ceil(retry.max_delay)):
                out.append(Diagnostic(
                    f"workflow '{workflow.name}', step '{step.name}': Step Functions retries in whole seconds; "
                    "the interval/max_delay is rounded up", step.source or workflow.source,
                    "use whole seconds", code="aws-retry-seconds", severity="warning"))
        if isinstance(step, ir.CallStep) and step.timeout and step.timeout != math.ceil(step.timeout):
            out.append(Diagnostic(
                f"workflow '{workflow.name}', step '{step.name}': Step Functions task timeouts are whole seconds; "
                f"{step.timeout:g}s becomes {_seconds(step.timeout)}s", step.source or workflow.source,
                "use whole seconds", code="aws-timeout-seconds", severity="warning"))
        if isinstance(step, ir.WaitStep) and step.seconds is not None and step.seconds != math.ceil(step.seconds):
            out.append(Diagnostic(
                f"workflow '{workflow.name}', step '{step.name}': Step Functions waits whole seconds; "
                f"{step.seconds}s becomes {math.ceil(step.seconds)}s", step.source or workflow.source,
                "use whole seconds", code="aws-wait-seconds", severity="warning"))
    return out


# ---------------------------------------------------------------- conditions
def choice_rule(node: c.Node) -> dict[str, Any]:
    """An ASL Choice rule (without Next) equivalent to a condition tree.

    Types are checked the ASL way: a comparison whose sides have other types than the operator needs is
    false on Step Functions where the local evaluator raises an error (documented approximation).
    """
    if isinstance(node, c.And):
        return {"And": [choice_rule(item) for item in node.items]}
    if isinstance(node, c.Or):
        return {"Or": [choice_rule(item) for item in node.items]}
    if isinstance(node, c.Not):
        return {"Not": choice_rule(node.item)}
    if isinstance(node, c.Exists):
        return {"Variable": asl_path(node.path.path), "IsPresent": True}
    if isinstance(node, c.PathRef):
        return {"Variable": asl_path(node.path), "BooleanEquals": True}
    if isinstance(node, c.Literal):
        return _constant(node.value is True)
    if isinstance(node, c.Compare):
        return _compare(node.op, node.left, node.right)
    raise UnsupportedFeatureError(f"condition node {node!r} cannot be compiled to ASL")


def _constant(value: bool) -> dict[str, Any]:
    return dict(ALWAYS_TRUE) if value else {"Not": dict(ALWAYS_TRUE)}


_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_SUFFIX = {"==": "Equals", "<": "LessThan", "<=": "LessThanEquals", ">": "GreaterThan", ">=": "GreaterThanEquals"}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _compare(op: str, left: c.Node, right: c.Node) -> dict[str, Any]:
    if isinstance(left, c.Literal) and isinstance(right, c.Literal):
        try:
            return _constant(c.compare(op, left.value, right.value))
        except c.ConditionEvalError:
            return _constant(False)
    if isinstance(left, c.Literal):  # literal on the left: mirror the operator
        return _compare(_FLIP[op], right, left)
    if not isinstance(left, c.PathRef):
        raise UnsupportedFeatureError("only paths and literals can be compared")
    if op == "!=":
        return {"Not": _compare("==", left, right)}
    variable = asl_path(left.path)
    suffix = _SUFFIX[op]
    if isinstance(right, c.PathRef):
        other = asl_path(right.path)
        rules = [{"Variable": variable, f"Numeric{suffix}Path": other},
                 {"Variable": variable, f"String{suffix}Path": other}]
        if op == "==":
            rules += [{"Variable": variable, "BooleanEqualsPath": other},
                      {"And": [{"Variable": variable, "IsNull": True}, {"Variable": other, "IsNull": True}]}]
        return {"Or": rules}
    value = right.value
    if _is_number(value):
        return {"Variable": variable, f"Numeric{suffix}": value}
    if isinstance(value, str):
        return {"Variable": variable, f"String{suffix}": value}
    if op == "==" and isinstance(value, bool):
        return {"Variable": variable, "BooleanEquals": value}
    if op == "==" and value is None:
        return {"Variable": variable, "IsNull": True}
    # ordering against true/false/null: an error locally, never true on Step Functions (and still an error
    # when the path is missing: only IsPresent tolerates a missing Variable)
    return {"And": [{"Variable": variable, "IsNull": True}, {"Not": {"Variable": variable, "IsNull": True}}]}


# ---------------------------------------------------------------- values
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def asl_path(path: str | None) -> str | None:
    """A state path as an ASL Reference Path: names that are not identifiers (``$.boom-c``) in brackets."""
    if path is None or not is_path(path):
        return path
    out = "$"
    for part in parse_path(path):
        if isinstance(part, int):
            out += f"[{part}]"
        elif _NAME.fullmatch(part):
            out += f".{part}"
        else:
            out += "['" + part + "']"
    return out


def _intrinsic_arg(value: Any) -> str:
    if is_path(value):
        return asl_path(value)
    if isinstance(value, str):
        escaped = "".join("\\" + ch if ch in "'{}\\" else ch for ch in value)
        return f"'{escaped}'"
    if _is_number(value):
        return repr(value)
    raise UnsupportedFeatureError(f"a list mixing state paths with {value!r} cannot be built on Step Functions",
                                  hint="lists that read the state may hold paths, strings and numbers only")


def parameters(value: dict[str, Any]) -> dict[str, Any]:
    """ASL Parameters for a DSL mapping: ``$.`` strings become ``key.$`` references."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        if is_path(item):
            out[f"{key}.$"] = asl_path(item)
        elif isinstance(item, dict):
            out[key] = parameters(item)
        elif isinstance(item, (list, tuple)) and has_paths(item):
            out[f"{key}.$"] = "States.Array(" + ", ".join(_intrinsic_arg(v) for v in item) + ")"
        else:
            out[key] = item
    return out


def _seconds(value: float) -> int:
    return max(1, int(math.ceil(value)))


def _utc_timestamp(text: str) -> str:
    when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- the builder
@dataclass
class _Scope:
    states: dict[str, Any]
    in_wrapper: bool = False
    end: list[str] = field(default_factory=list)  # the lazily made terminal Pass of this state list


class _Builder:
    def __init__(self, workflow: ir.Workflow, task_resource: Callable[[str], str]):
        self.workflow = workflow
        self.task_resource = task_resource
        self.names: set[str] = set()
        self.origins: dict[str, str | None] = {}  # state name -> manifest step (None: plumbing)
        self.current: list[str] = []  # the manifest steps being compiled, innermost last

    def build(self) -> dict[str, Any]:
        scope = _Scope({})
        start = self.seq(self.workflow.steps, None, scope) or self.terminal(scope)
        definition: dict[str, Any] = {"Comment": f"sls-neutral workflow '{self.workflow.name}'",
                                      "StartAt": start, "States": _in_flow_order(start, scope.states)}
        if self.workflow.timeout:
            definition["TimeoutSeconds"] = _seconds(self.workflow.timeout)
        return definition

    # -------------------------------------------------------- plumbing
    def name(self, wanted: str) -> str:
        candidate, n = wanted[:80], 2
        while candidate in self.names:
            suffix = f"-{n}"
            candidate, n = wanted[:80 - len(suffix)] + suffix, n + 1
        self.names.add(candidate)
        self.origins[candidate] = self.current[-1] if self.current else None
        return candidate

    def add(self, scope: _Scope, name: str, state: dict[str, Any], next_: str | None) -> str:
        if state["Type"] not in ("Choice", "Fail", "Succeed"):
            if next_ is None:
                state["End"] = True
            else:
                state["Next"] = next_
        scope.states[name] = state
        return name

    def terminal(self, scope: _Scope) -> str:
        if not scope.end:
            name = self.name("Done")
            self.origins[name] = None  # the end of a state list, whichever step made it first
            scope.states[name] = {"Type": "Pass", "End": True}
            scope.end.append(name)
        return scope.end[0]

    def target(self, next_: str | None, scope: _Scope) -> str:
        """A state to jump to (Choice and Catch need a name, never End)."""
        return next_ if next_ is not None else self.terminal(scope)

    def seq(self, steps: tuple[ir.Step, ...], next_: str | None, scope: _Scope) -> str | None:
        ends = [i for i, step in enumerate(steps) if isinstance(step, (ir.ReturnStep, ir.FailStep))]
        if ends:  # steps after a return/fail never run, and Step Functions refuses unreachable states
            steps, next_ = steps[:ends[0] + 1], None
        for step in reversed(steps):
            next_ = self.step(step, next_, scope)
        return next_

    def retries(self, retries: tuple[ir.Retry, ...], lambda_task: bool = False) -> list[dict[str, Any]]:
        out = []
        for retry in reachable(retries):
            rule: dict[str, Any] = {"ErrorEquals": asl_error_names(retry.errors),
                                    "IntervalSeconds": _seconds(retry.interval),
                                    "MaxAttempts": retry.max_attempts, "BackoffRate": float(retry.backoff_rate),
                                    "JitterStrategy": "FULL" if retry.jitter == "full" else "NONE"}
            if retry.max_delay is not None:
                rule["MaxDelaySeconds"] = _seconds(retry.max_delay)
            out.append(rule)
        if lambda_task and not any(r["ErrorEquals"] == ["States.ALL"] for r in out):
            out.append({"ErrorEquals": list(LAMBDA_TRANSIENT), "IntervalSeconds": 1, "MaxAttempts": 3,
                        "BackoffRate": 2.0, "JitterStrategy": "FULL"})
        return out

    def guarded(self, state: dict[str, Any], scope: _Scope, retries: list[dict[str, Any]]) -> dict[str, Any]:
        if retries:
            state["Retry"] = retries
        return state

    # -------------------------------------------------------- steps
    def step(self, step: ir.Step, next_: str | None, scope: _Scope) -> str | None:
        handler = getattr(self, f"step_{step.kind}")
        self.current.append(step.name)
        try:
            return handler(step, next_, scope)
        finally:
            self.current.pop()

    def step_call(self, step: ir.CallStep, next_: str | None, scope: _Scope) -> str:
        state: dict[str, Any] = {"Type": "Task", "Resource": self.task_resource(step.function)}
        value = step.input
        if value is None:
            pass
        elif is_path(value):
            state["InputPath"] = asl_path(value)
        elif isinstance(value, dict):
            state["Parameters"] = parameters(value)
        else:
            raise UnsupportedFeatureError(
                f"step '{step.name}': a call input must be a mapping or a state path on Step Functions",
                position=step.source, hint="wrap the value in a mapping, e.g. input: {value: ...}")
        state["ResultPath"] = asl_path(step.result)
        if step.timeout:
            state["TimeoutSeconds"] = _seconds(step.timeout)
        self.guarded(state, scope, self.retries(step.retry, lambda_task=True))
        return self.add(scope, self.name(step.name), state, next_)

    def step_set(self, step: ir.SetStep, next_: str | None, scope: _Scope) -> str:
        if _reads_own_writes(step.assignments):
            return self.set_from_snapshot(step, next_, scope)
        names = [self.name(step.name if i == 0 else f"{step.name}.{i + 1}") for i in range(len(step.assignments))]
        for name, (path, value) in reversed(list(zip(names, step.assignments))):
            next_ = self.assign(scope, name, path, value, next_)
        return next_

    def set_from_snapshot(self, step: ir.SetStep, next_: str | None, scope: _Scope) -> str:
        """Values read before any write: compute them all beside the state, write, then unwrap the state."""
        unwrap = self.add(scope, self.name(f"{step.name}.done"), {"Type": "Pass", "InputPath": "$.state",
                                                                   "ResultPath": "$"}, next_)
        next_ = unwrap
        for i, (path, _value) in reversed(list(enumerate(step.assignments))):
            target = "$.state" + asl_path(path)[1:]
            next_ = self.add(scope, self.name(f"{step.name}.{i + 1}"),
                             {"Type": "Pass", "InputPath": f"$.values.v{i}", "ResultPath": target}, next_)
        values = {f"v{i}": value for i, (_path, value) in enumerate(step.assignments)}
        return self.add(scope, self.name(step.name), {"Type": "Pass", "Parameters": {
            "state.$": "$", "values": parameters(values)}, "ResultPath": "$"}, next_)

    def assign(self, scope: _Scope, name: str, target: str, value: Any, next_: str | None) -> str:
        target = asl_path(target)
        if is_path(value):
            return self.add(scope, name, {"Type": "Pass", "InputPath": asl_path(value), "ResultPath": target},
                            next_)
        if isinstance(value, dict) and has_paths(value):
            return self.add(scope, name, {"Type": "Pass", "Parameters": parameters(value), "ResultPath": target},
                            next_)
        if isinstance(value, (list, tuple)) and has_paths(value):
            unwrap = self.add(scope, self.name(f"{name}.unwrap"),
                              {"Type": "Pass", "InputPath": f"{target}.value", "ResultPath": target}, next_)
            return self.add(scope, name, {"Type": "Pass", "Parameters": parameters({"value": list(value)}),
                                          "ResultPath": target}, unwrap)
        return self.add(scope, name, {"Type": "Pass", "Result": value, "ResultPath": target}, next_)

    def step_return(self, step: ir.ReturnStep, next_: str | None, scope: _Scope) -> str:
        name = self.name(step.name)
        if scope.in_wrapper:  # leave the wrapper as a marker; the Choice after it ends the execution
            return self.assign(scope, name, "$", {RETURN_MARK: step.value}, None)
        value = step.value
        if is_path(value):
            return self.add(scope, name, {"Type": "Pass", "InputPath": asl_path(value)}, None)
        if isinstance(value, dict) and has_paths(value):
            return self.add(scope, name, {"Type": "Pass", "Parameters": parameters(value)}, None)
        if isinstance(value, (list, tuple)) and has_paths(value):
            done = self.add(scope, self.name(f"{step.name}.output"), {"Type": "Pass", "OutputPath": "$.value"},
                            None)
            return self.add(scope, name, {"Type": "Pass", "Parameters": parameters({"value": list(value)})}, done)
        return self.add(scope, name, {"Type": "Pass", "Result": value}, None)

    def step_fail(self, step: ir.FailStep, next_: str | None, scope: _Scope) -> str:
        return self.add(scope, self.name(step.name), {"Type": "Fail", "Error": step.error, "Cause": step.cause},
                        None)

    def step_wait(self, step: ir.WaitStep, next_: str | None, scope: _Scope) -> str:
        state: dict[str, Any] = {"Type": "Wait"}
        if step.seconds is not None:
            state["Seconds"] = max(0, int(math.ceil(step.seconds)))
        elif is_path(step.until):
            state["TimestampPath"] = asl_path(step.until)
        else:
            state["Timestamp"] = _utc_timestamp(step.until)
        return self.add(scope, self.name(step.name), state, next_)

    def step_switch(self, step: ir.SwitchStep, next_: str | None, scope: _Scope) -> str:
        name = self.name(step.name)
        choices = []
        for case in step.cases:
            entry = self.target(self.seq(case.steps, next_, scope), scope)
            rule = choice_rule(case.condition if case.condition is not None else c.parse_condition(case.when))
            choices.append({**rule, "Next": entry})
        default = self.target(self.seq(step.default, next_, scope), scope)
        return self.add(scope, name, {"Type": "Choice", "Choices": choices, "Default": default}, None)

    def branch(self, steps: tuple[ir.Step, ...], in_wrapper: bool = False) -> dict[str, Any]:
        """A branch's states. Outside try wrappers its output is the step-list value (docs/workflows.md):
        a lone call/parallel/map gives its result (ResultPath "$"), anything else the final state."""
        if not in_wrapper and len(steps) == 1 and isinstance(steps[0], (ir.CallStep, ir.ParallelStep, ir.MapStep)):
            steps = (replace(steps[0], result="$"),)
        inner = _Scope({}, in_wrapper=in_wrapper)
        start = self.seq(steps, None, inner) or self.terminal(inner)
        return {"StartAt": start, "States": _in_flow_order(start, inner.states)}

    def step_parallel(self, step: ir.ParallelStep, next_: str | None, scope: _Scope) -> str:
        state: dict[str, Any] = {"Type": "Parallel", "Branches": [self.branch(b.steps) for b in step.branches]}
        state["ResultSelector"] = {f"{b.name}.$": f"$[{i}]" for i, b in enumerate(step.branches)}
        state["ResultPath"] = asl_path(step.result)
        self.guarded(state, scope, self.retries(step.retry))
        return self.add(scope, self.name(step.name), state, next_)

    def step_map(self, step: ir.MapStep, next_: str | None, scope: _Scope) -> str:
        processor = self.branch(step.steps)
        state: dict[str, Any] = {
            "Type": "Map", "ItemsPath": asl_path(step.items),
            "ItemSelector": {"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **processor},
            "ResultPath": asl_path(step.result)}
        if step.max_concurrency:
            state["MaxConcurrency"] = step.max_concurrency
        self.guarded(state, scope, self.retries(step.retry))
        return self.add(scope, self.name(step.name), state, next_)

    def step_try(self, step: ir.TryStep, next_: str | None, scope: _Scope) -> str:
        """A one-branch Parallel: Retry re-runs the block and Catch sees the state from before the try."""
        catches = []
        for i, catch in enumerate(reachable(step.catches)):
            steps_entry = self.target(self.seq(catch.steps, next_, scope), scope)
            entry = steps_entry
            if catch.result is not None:
                entry = self.error_renaming(scope, f"{step.name}.catch{i + 1}", asl_path(catch.result), steps_entry)
            catches.append({"ErrorEquals": asl_error_names(catch.errors), "Next": entry,
                            "ResultPath": asl_path(catch.result)})
        name = self.name(step.name)
        after = next_
        if any(isinstance(s, ir.ReturnStep) for s in ir.walk_steps(step.steps)):
            after = self.return_check(scope, step.name, next_)
        state: dict[str, Any] = {"Type": "Parallel", "Branches": [self.branch(step.steps, in_wrapper=True)],
                                 "OutputPath": "$[0]"}
        retries = self.retries(step.retry)
        if retries:
            state["Retry"] = retries
        if catches:
            state["Catch"] = catches
        return self.add(scope, name, state, after)

    def return_check(self, scope: _Scope, step_name: str, next_: str | None) -> str:
        if scope.in_wrapper:  # still inside an outer wrapper: keep the marker as this branch's output
            out = self.add(scope, self.name(f"{step_name}.return"), {"Type": "Pass"}, None)
        else:
            out = self.add(scope, self.name(f"{step_name}.return"),
                           {"Type": "Pass", "OutputPath": f"$.{RETURN_MARK}"}, None)
        check = self.name(f"{step_name}.returned")
        scope.states[check] = {"Type": "Choice", "Choices": [
            {"Variable": f"$.{RETURN_MARK}", "IsPresent": True, "Next": out}],
            "Default": self.target(next_, scope)}
        return check

    def error_renaming(self, scope: _Scope, prefix: str, result: str, next_: str) -> str:
        """ASL's ``{Error, Cause}`` at ``result`` -> ``{"error", "cause"}``; a Lambda's JSON cause gives its message."""
        plain = self.add(scope, self.name(f"{prefix}.plain"), {
            "Type": "Pass", "Parameters": {"error.$": f"{result}.Error", "cause.$": f"{result}.Cause"},
            "ResultPath": result}, next_)
        bare = self.add(scope, self.name(f"{prefix}.bare"), {
            "Type": "Pass", "Parameters": {"error.$": f"{result}.Error", "cause": ""}, "ResultPath": result}, next_)
        message = self.add(scope, self.name(f"{prefix}.message"), {
            "Type": "Pass", "Parameters": {"error.$": f"{result}.Error", "cause.$": f"{result}.Cause.errorMessage"},
            "ResultPath": result}, next_)
        parse = self.add(scope, self.name(f"{prefix}.parse"), {
            "Type": "Pass", "Parameters": {"Error.$": f"{result}.Error",
                                           "Cause.$": f"States.StringToJson({result}.Cause)"},
            "ResultPath": result}, message)
        entry = self.name(f"{prefix}.error")
        scope.states[entry] = {"Type": "Choice", "Choices": [  # rules are tried in order: guard, then match
            {"Not": {"Variable": f"{result}.Cause", "IsPresent": True}, "Next": bare},
            {"Variable": f"{result}.Cause", "StringMatches": '{"errorMessage"*', "Next": parse}],
            "Default": plain}
        return entry


def _in_flow_order(start: str, states: dict[str, Any]) -> dict[str, Any]:
    """States listed as a reader follows them (built back to front, they would read upside down)."""
    order: list[str] = []
    pending = [start]
    while pending:
        name = pending.pop(0)
        if name in order or name not in states:
            continue
        order.append(name)
        state = states[name]
        targets = [choice["Next"] for choice in state.get("Choices", [])]
        targets += [state[key] for key in ("Next", "Default") if key in state]
        targets += [catch["Next"] for catch in state.get("Catch", [])]
        pending[:0] = [t for t in targets if t not in order]
    order += [name for name in states if name not in order]
    return {name: states[name] for name in order}


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or a.startswith(b + "[") or b.startswith(a + ".") or \
        b.startswith(a + "[") or a == "$" or b == "$"


def _reads(value: Any) -> list[str]:
    if is_path(value):
        return [value]
    if isinstance(value, dict):
        return [p for v in value.values() for p in _reads(v)]
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in _reads(v)]
    return []


def _reads_own_writes(assignments: tuple[tuple[str, Any], ...]) -> bool:
    """Whether a later value reads what an earlier assignment of the same set writes."""
    written: list[str] = []
    for target, value in assignments:
        if any(_overlaps(read, w) for read in _reads(value) for w in written):
            return True
        written.append(target)
    return False
