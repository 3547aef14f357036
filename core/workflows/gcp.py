"""Compile a workflow's IR step tree to Google Cloud Workflows (YAML).

Conventions (docs/workflows.md, "Cloud Workflows"):

- The state lives in the variable ``state`` (``s_<branch>`` inside a parallel branch or map iteration, which
  start from a copy). A ``call`` is ``http.post`` with ``auth: {type: OIDC}`` to the function's URL
  (``function_url(name)``) with the resolved input as JSON body; the function answers 200 with the result as
  JSON, or a non-2xx status with JSON ``{"error": NAME, "cause": TEXT}`` (the GCP adapter's side of the
  contract). The subworkflow ``slsn_error`` turns whatever was raised (that HttpError, a ``fail`` step's map, a
  KeyError of a missing path, a TimeoutError) into ``{"error", "cause"}``; every handler matches on that.
- ``retry`` is the native ``try``/``retry`` with a predicate subworkflow per retrier (error names), and
  ``backoff`` (interval, backoff_rate, max_delay). ``catch`` is ``except`` with a ``switch`` on the error name;
  the state is rolled back to the snapshot taken before the ``try``.
- ``parallel`` runs ``branches`` with one shared result variable and one shared error variable per branch:
  each branch catches its own error, and after the step the first failed branch (in document order) is
  re-raised -- fail-fast emulated, since Cloud Workflows lets the other branches finish. ``map`` is
  ``parallel: for`` with ``concurrency_limit``, results collected per index into a shared map and re-ordered.
- ``wait`` is ``sys.sleep`` / ``sys.sleep_until``; ``fail`` is ``raise``; ``return`` is ``return``.

What Cloud Workflows cannot do exactly is listed by :func:`gcp_approximations` (lint reports it).
"""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any, Callable

from sls_neutral.core import ir
from sls_neutral.core.errors import UnsupportedFeatureError
from sls_neutral.core.workflows import conditions as c
from sls_neutral.core.workflows.compile_common import ALL, error_names, is_path, path_parts, reachable

ERROR_SUBWORKFLOW = "slsn_error"
GCP_MAX_BRANCHES = 10
GCP_MAX_CONCURRENCY = 20
HTTP_MAX_TIMEOUT = 1800


def compile_gcp(workflow: ir.Workflow, function_url: Callable[[str], str]) -> dict[str, Any]:
    """The Cloud Workflows definition as a dict (deterministic); ``to_yaml`` renders it."""
    return _Builder(workflow, function_url).build()


def gcp_step_names(workflow: ir.Workflow) -> dict[str, str | None]:
    """Every name :func:`compile_gcp` gives in ``main`` -> the manifest step it belongs to.

    ``charge_card``, ``charge_card_response`` and ``charge_card_result`` map to ``charge-card``; ``init`` and
    ``done`` (and any other name outside the steps) map to None. Variables are listed too (they share the
    name space). Steps of the subworkflows (``slsn_error``, the retry predicates) are not listed: they are
    plumbing, told apart by their routine. ``workflow history`` uses this to report the user's step names.
    """
    builder = _Builder(workflow, str)
    builder.build()
    return dict(builder.origins)


def to_yaml(definition: dict[str, Any]) -> str:
    """Deterministic YAML (insertion order, block style, LF)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.representer.sort_base_mapping_type_on_output = False  # try before except, call before args
    out = io.StringIO()
    yaml.dump(definition, out)
    return out.getvalue()


def workflow_limit_diagnostics(workflow: ir.Workflow, provider: str = "gcp") -> list:
    """Cloud Workflows limits (core/workflows/build.py) plus each approximation as an info (for validate/lint)."""
    from sls_neutral.core.errors import Diagnostic
    from sls_neutral.core.workflows.build import workflow_limit_diagnostics as limits

    out = list(limits(workflow, provider))
    for note in gcp_approximations(workflow):
        out.append(Diagnostic(f"workflow '{workflow.name}': {note}", workflow.source,
                              "see docs/workflows.md, 'Where the targets differ'", code="gcp-approximation",
                              severity="info"))
    return out


def condition_program(node: c.Node, target: str = "verdict", var: str = "state") -> list[dict[str, Any]]:
    """The steps that leave a condition's boolean in ``target`` (what a switch with and/or compiles to)."""
    return _Builder(ir.Workflow(name="condition", steps=()), str).condition_steps(node, target, var)


def gcp_approximations(workflow: ir.Workflow) -> list[str]:
    """Where the compiled Cloud Workflows program differs from the DSL's semantics (for lint)."""
    notes: list[str] = []
    for step in ir.walk_steps(workflow.steps):
        for retry in getattr(step, "retry", ()):
            if retry.jitter == "full":
                notes.append(f"step '{step.name}': Cloud Workflows retries have no jitter; delays are exact "
                             "exponential backoff")
            if any(v != math.floor(v) for v in (retry.interval, retry.backoff_rate, retry.max_delay or 0)):
                notes.append(f"step '{step.name}': retry interval, backoff_rate and max_delay are rounded to whole "
                             "numbers (the backoff block takes integers)")
        if len(reachable(getattr(step, "retry", ()))) > 1:
            notes.append(f"step '{step.name}': several retriers become nested try/retry blocks; an error of an "
                         "outer retrier restarts the inner one's count")
        if isinstance(step, (ir.ParallelStep, ir.MapStep)):
            notes.append(f"step '{step.name}': fail-fast is emulated; after an error the other "
                         f"{'branches' if isinstance(step, ir.ParallelStep) else 'iterations'} still run to the end "
                         "before the error is raised")
        if isinstance(step, ir.CallStep) and step.timeout and step.timeout > HTTP_MAX_TIMEOUT:
            notes.append(f"step '{step.name}': an HTTP call waits at most {HTTP_MAX_TIMEOUT}s")
    if workflow.timeout:
        notes.append("the workflow timeout is not enforced by Cloud Workflows (executions may run up to a year); "
                     "bound the steps instead")
    return notes


# ---------------------------------------------------------------- expressions
def _key(part: str | int) -> str:
    return f"[{part}]" if isinstance(part, int) else f"[{json.dumps(part)}]"


def path_expr(path: str, var: str) -> str:
    """``$.order.items[0]`` -> ``state["order"]["items"][0]`` (a missing key raises KeyError, as the DSL errs)."""
    return var + "".join(_key(p) for p in path_parts(path))


def _literal(value: Any) -> str:
    return json.dumps(value)


def condition_expr(node: c.Node, var: str = "state") -> str:
    """A Cloud Workflows expression (without ``${}``) for a condition tree."""
    if isinstance(node, c.Literal):
        return _literal(node.value)
    if isinstance(node, c.PathRef):
        return path_expr(node.path, var)
    if isinstance(node, c.Exists):
        return _exists(node.path.path, var)
    if isinstance(node, c.Not):
        return f"(not {condition_expr(node.item, var)})"
    if isinstance(node, c.And):
        return "(" + " and ".join(condition_expr(i, var) for i in node.items) + ")"
    if isinstance(node, c.Or):
        return "(" + " or ".join(condition_expr(i, var) for i in node.items) + ")"
    if isinstance(node, c.Compare):
        return f"({condition_expr(node.left, var)} {node.op} {condition_expr(node.right, var)})"
    raise UnsupportedFeatureError(f"condition node {node!r} cannot be compiled to Cloud Workflows")


def _exists(path: str, var: str) -> str:
    parts = path_parts(path)
    if not parts:
        return "true"
    *prefix, last = parts
    if any(isinstance(p, int) for p in prefix):
        raise UnsupportedFeatureError(f"exists({path}) with a list index before the last part cannot be compiled "
                                      "to Cloud Workflows", hint="test the list first: exists($.items[0]) ...")
    container = var if not prefix else f"default(map.get({var}, {json.dumps(list(prefix))}), null)"
    if isinstance(last, int):
        return f"(len(default({container}, [])) > {last})" if prefix else f"(len({var}) > {last})"
    if not prefix:
        return f"({json.dumps(last)} in {var})"
    return f"({json.dumps(last)} in default({container}, {{}}))"


def template(value: Any, var: str) -> Any:
    """A DSL template as a Cloud Workflows value: paths become ``${...}`` expressions."""
    if is_path(value):
        return "${" + path_expr(value, var) + "}"
    if isinstance(value, dict):
        return {k: template(v, var) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [template(v, var) for v in value]
    if isinstance(value, str) and "${" in value:  # a literal that would read as an expression
        return "${" + json.dumps(value) + "}"
    return value


def _has_logic(node: c.Node) -> bool:
    """Whether a condition has and/or anywhere (where evaluation order decides if a missing path is read)."""
    if isinstance(node, (c.And, c.Or)):
        return True
    if isinstance(node, c.Not):
        return _has_logic(node.item)
    if isinstance(node, c.Compare):
        return _has_logic(node.left) or _has_logic(node.right)
    return False


def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


# ---------------------------------------------------------------- the builder
class _Builder:
    def __init__(self, workflow: ir.Workflow, function_url: Callable[[str], str]):
        self.workflow = workflow
        self.function_url = function_url
        self.names: set[str] = set()
        self.subworkflows: dict[str, Any] = {}
        self.origins: dict[str, str | None] = {}  # step or variable name -> manifest step (None: plumbing)
        self.current: list[str] = []  # the manifest steps being compiled, innermost last

    def name(self, wanted: str) -> str:
        base = _ident(wanted)
        candidate, n = base, 2
        while candidate in self.names:
            candidate, n = f"{base}_{n}", n + 1
        self.names.add(candidate)
        self.origins[candidate] = self.current[-1] if self.current else None
        return candidate

    def build(self) -> dict[str, Any]:
        steps = [{self.name("init"): {"assign": [{"state": "${default(args, {})}"}]}}]
        steps += self.seq(self.workflow.steps, "state")
        steps.append({self.name("done"): {"return": "${state}"}})
        definition: dict[str, Any] = {"main": {"params": ["args"], "steps": steps}}
        definition[ERROR_SUBWORKFLOW] = _error_subworkflow()
        definition.update(dict(sorted(self.subworkflows.items())))
        return definition

    def seq(self, steps: tuple[ir.Step, ...], var: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for step in steps:
            self.current.append(step.name)
            try:
                out.extend(getattr(self, f"step_{step.kind}")(step, var))
            finally:
                self.current.pop()
        return out

    # -------------------------------------------------------- writing paths
    def writes(self, path: str, value: str, var: str) -> list[dict[str, Any]]:
        """Assignments that put ``value`` at ``path``, creating missing objects on the way."""
        parts = path_parts(path)
        if not parts:
            return [{var: value}]
        out = []
        for i in range(1, len(parts)):
            prefix, key = parts[:i], parts[i - 1]
            if isinstance(key, int) or isinstance(parts[i], int):
                continue
            parent = var + "".join(_key(p) for p in prefix[:-1])
            out.append({var + "".join(_key(p) for p in prefix):
                        f"${{default(map.get({parent}, {json.dumps(key)}), {{}})}}"})
        out.append({var + "".join(_key(p) for p in parts): value})
        return out

    # -------------------------------------------------------- retry
    def predicate(self, errors: tuple[str, ...]) -> str:
        names = error_names(errors)
        key = "slsn_retry_" + ("all" if names == (ALL,) else _ident("_".join(names)).lower())
        if key not in self.subworkflows:
            decide = "${true}" if names == (ALL,) else "${err.error in " + json.dumps(list(names)) + "}"
            self.subworkflows[key] = {"params": ["e"], "steps": [
                {"normalize": {"call": ERROR_SUBWORKFLOW, "args": {"e": "${e}"}, "result": "err"}},
                {"decide": {"return": decide}}]}
        return "${" + key + "}"

    def with_retry(self, name: str, retries: tuple[ir.Retry, ...], body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, retry in enumerate(reversed(reachable(retries))):
            delays = [retry.interval * retry.backoff_rate ** n for n in range(max(retry.max_attempts, 1))]
            max_delay = retry.max_delay if retry.max_delay is not None else max(delays)
            body = [{self.name(f"{name}_retry{i + 1}" if i else f"{name}_retry"): {
                "try": {"steps": body},
                "retry": {"predicate": self.predicate(retry.errors), "max_retries": retry.max_attempts,
                          "backoff": {"initial_delay": max(1, int(math.ceil(retry.interval))),
                                      "max_delay": max(1, int(math.ceil(max_delay))),
                                      "multiplier": max(1, int(round(retry.backoff_rate)))}}}}]
        return body

    def normalized_raise(self, name: str) -> dict[str, Any]:
        """except: normalise what was raised into {"error","cause"} and raise that."""
        err = self.name(f"{name}_err")
        return {"as": "e", "steps": [
            {self.name(f"{name}_normalize"): {"call": ERROR_SUBWORKFLOW, "args": {"e": "${e}"}, "result": err}},
            {self.name(f"{name}_raise"): {"raise": "${" + err + "}"}}]}

    # -------------------------------------------------------- steps
    def step_call(self, step: ir.CallStep, var: str) -> list[dict[str, Any]]:
        response = self.name(f"{step.name}_response")
        body = "${" + var + "}" if step.input is None else template(step.input, var)
        args: dict[str, Any] = {"url": self.function_url(step.function), "auth": {"type": "OIDC"}, "body": body}
        if step.timeout:
            seconds = min(float(HTTP_MAX_TIMEOUT), float(step.timeout))
            args["timeout"] = int(seconds) if seconds.is_integer() else seconds
        call = [{self.name(step.name): {"try": {"call": "http.post", "args": args, "result": response},
                                        "except": self.normalized_raise(step.name)}}]
        out = self.with_retry(step.name, step.retry, call)
        if step.result is not None:
            out.append({self.name(f"{step.name}_result"): {"assign": self.writes(step.result,
                                                                                 "${" + response + ".body}", var)}})
        return out

    def step_set(self, step: ir.SetStep, var: str) -> list[dict[str, Any]]:
        assign: list[dict[str, Any]] = []
        values = []
        for i, (path, value) in enumerate(step.assignments):  # every value read before any write
            temp = self.name(f"{step.name}_v{i}")
            assign.append({temp: template(value, var)})
            values.append((path, temp))
        for path, temp in values:
            assign.extend(self.writes(path, "${" + temp + "}", var))
        return [{self.name(step.name): {"assign": assign}}]

    def step_switch(self, step: ir.SwitchStep, var: str) -> list[dict[str, Any]]:
        nodes = [case.condition if case.condition is not None else c.parse_condition(case.when) for case in step.cases]
        if not any(_has_logic(node) for node in nodes):  # one flat switch: every condition is one safe expression
            cases = [{"condition": "${" + condition_expr(node, var) + "}",
                      "steps": self.seq(case.steps, var) or self.noop(step.name)}
                     for node, case in zip(nodes, step.cases)]
            if step.default:
                cases.append({"condition": True, "steps": self.seq(step.default, var)})
            return [{self.name(step.name): {"switch": cases}}]
        return self.switch_chain(step, list(zip(nodes, step.cases)), var)

    def noop(self, name: str) -> list[dict[str, Any]]:
        return [{self.name(f"{name}_nothing"): {"assign": [{self.name(f"{name}_noop"): True}]}}]

    def switch_chain(self, step: ir.SwitchStep, cases: list, var: str) -> list[dict[str, Any]]:
        """Cases with and/or: each condition is computed by steps that stop at the deciding operand, as the
        DSL does, without relying on how Cloud Workflows evaluates and/or inside one expression."""
        if not cases:
            return self.seq(step.default, var)
        (node, case), rest = cases[0], cases[1:]
        verdict = self.name(f"{step.name}_when")
        otherwise = self.switch_chain(step, rest, var) or self.noop(step.name)
        return self.condition_steps(node, verdict, var) + [{self.name(step.name): {"switch": [
            {"condition": "${" + verdict + "}", "steps": self.seq(case.steps, var) or self.noop(step.name)},
            {"condition": True, "steps": otherwise}]}}]

    def condition_steps(self, node: c.Node, target: str, var: str) -> list[dict[str, Any]]:
        """Steps that leave the condition's boolean in ``target`` (and/or short-circuit through switches)."""
        if not _has_logic(node):
            return [{self.name(f"{target}_is"): {"assign": [{target: "${" + condition_expr(node, var) + "}"}]}}]
        if isinstance(node, (c.And, c.Or)):
            first, rest = node.items[0], node.items[1:]
            remaining = rest[0] if len(rest) == 1 else type(node)(tuple(rest))
            go_on = "${" + target + "}" if isinstance(node, c.And) else "${not " + target + "}"
            return self.condition_steps(first, target, var) + [{self.name(f"{target}_then"): {"switch": [
                {"condition": go_on, "steps": self.condition_steps(remaining, target, var)}]}}]
        if isinstance(node, c.Not):
            return self.condition_steps(node.item, target, var) + [
                {self.name(f"{target}_not"): {"assign": [{target: "${not " + target + "}"}]}}]
        # a comparison whose side is itself a logical expression: compute the sides first
        left, right = self.name(f"{target}_left"), self.name(f"{target}_right")
        return (self.condition_steps(node.left, left, var) + self.condition_steps(node.right, right, var) +
                [{self.name(f"{target}_is"): {"assign": [{target: f"${{({left} {node.op} {right})}}"}]}}])

    def branch_steps(self, steps: tuple[ir.Step, ...], var: str) -> list[dict[str, Any]]:
        if len(steps) == 1 and isinstance(steps[0], (ir.CallStep, ir.ParallelStep, ir.MapStep)):
            from dataclasses import replace

            steps = (replace(steps[0], result="$"),)
        return self.seq(steps, var)

    def captured(self, name: str, body: list[dict[str, Any]], error_target: str) -> dict[str, Any]:
        """A try that stores a branch's normalised error in a shared variable instead of raising."""
        err = self.name(f"{name}_err")
        return {self.name(f"{name}_run"): {"try": {"steps": body}, "except": {"as": "e", "steps": [
            {self.name(f"{name}_normalize"): {"call": ERROR_SUBWORKFLOW, "args": {"e": "${e}"}, "result": err}},
            {self.name(f"{name}_keep"): {"assign": [{error_target: "${" + err + "}"}]}}]}}}

    def step_parallel(self, step: ir.ParallelStep, var: str) -> list[dict[str, Any]]:
        results = [self.name(f"{step.name}_r_{b.name}") for b in step.branches]
        errors = [self.name(f"{step.name}_e_{b.name}") for b in step.branches]
        branches = []
        for branch, result, error in zip(step.branches, results, errors):
            local = self.name(f"s_{branch.name}")
            body = [{self.name(f"{branch.name}_start"): {"assign": [{local: "${" + var + "}"}]}}]
            body += self.branch_steps(branch.steps, local)
            body.append({self.name(f"{branch.name}_value"): {"assign": [{result: "${" + local + "}"}]}})
            branches.append({self.name(f"{branch.name}_branch"): {"steps": [self.captured(branch.name, body, error)]}})
        init = {self.name(f"{step.name}_init"): {"assign": [{v: None} for v in results + errors]}}
        if len(branches) >= 2:
            run = [{self.name(step.name): {"parallel": {"shared": results + errors, "branches": branches}}}]
        else:  # one branch: nothing runs beside it
            run = [s for b in branches for s in next(iter(b.values()))["steps"]]
        check = {self.name(f"{step.name}_failed"): {"switch": [
            {"condition": "${" + e + " != null}", "raise": "${" + e + "}"} for e in errors]}}
        body = [init] + run + [check]
        out = self.with_retry(step.name, step.retry, body)
        if step.result is not None:
            value = {b.name: "${" + r + "}" for b, r in zip(step.branches, results)}
            out.append({self.name(f"{step.name}_result"): {"assign": self.writes(step.result, value, var)}})
        return out

    def step_map(self, step: ir.MapStep, var: str) -> list[dict[str, Any]]:
        items, done, failed = (self.name(f"{step.name}_items"), self.name(f"{step.name}_done"),
                               self.name(f"{step.name}_failed"))
        item, index, ordered = self.name(f"{step.name}_item"), self.name(f"{step.name}_index"), self.name(
            f"{step.name}_values")
        local = self.name(f"s_{step.name}")
        body = [{self.name(f"{step.name}_start"): {"assign": [
            {local: {"item": "${" + item + "}", "index": "${" + index + "}"}}]}}]
        body += self.branch_steps(step.steps, local)
        body.append({self.name(f"{step.name}_keep"): {"assign": [{f"{done}[string({index})]": "${" + local + "}"}]}})
        loop: dict[str, Any] = {"shared": [done, failed]}
        if step.max_concurrency:
            loop["concurrency_limit"] = min(step.max_concurrency, GCP_MAX_CONCURRENCY)
        loop["for"] = {"value": item, "index": index, "in": "${" + items + "}",
                       "steps": [self.captured(f"{step.name}_item", body, f"{failed}[string({index})]")]}
        position = self.name(f"{step.name}_i")
        block = [
            {self.name(f"{step.name}_init"): {"assign": [
                {items: "${" + path_expr(step.items, var) + "}"}, {done: {}}, {failed: {}}, {ordered: []}]}},
            {self.name(f"{step.name}_check"): {"switch": [{
                "condition": "${get_type(" + items + ") != \"list\"}",
                "raise": {"error": "TaskFailed", "cause": f"map items at {step.items} are not a list"}}]}},
            {self.name(step.name): {"parallel": loop}},
            {self.name(f"{step.name}_collect"): {"for": {"value": self.name(f"{step.name}_unused"), "index": position,
                                                         "in": "${" + items + "}", "steps": [
                {self.name(f"{step.name}_raise"): {"switch": [{
                    "condition": "${string(" + position + ") in " + failed + "}",
                    "raise": "${" + failed + "[string(" + position + ")]}"}]}},
                {self.name(f"{step.name}_append"): {"assign": [{ordered: "${list.concat(" + ordered + ", " + done +
                                                                         "[string(" + position + ")])}"}]}}]}}},
        ]
        out = self.with_retry(step.name, step.retry, block)
        if step.result is not None:
            out.append({self.name(f"{step.name}_result"): {"assign": self.writes(step.result, "${" + ordered + "}",
                                                                                 var)}})
        return out

    def step_wait(self, step: ir.WaitStep, var: str) -> list[dict[str, Any]]:
        if step.seconds is not None:
            return [{self.name(step.name): {"call": "sys.sleep", "args": {"seconds": step.seconds}}}]
        when = "${" + path_expr(step.until, var) + "}" if is_path(step.until) else step.until
        return [{self.name(step.name): {"call": "sys.sleep_until", "args": {"time": when}}}]

    def step_try(self, step: ir.TryStep, var: str) -> list[dict[str, Any]]:
        before = self.name(f"{step.name}_before")
        err = self.name(f"{step.name}_error")
        body = [{self.name(f"{step.name}_restore"): {"assign": [{var: "${" + before + "}"}]}}]
        body += self.seq(step.steps, var)
        guarded = self.with_retry(step.name, step.retry, body)
        cases = []
        for catch in reachable(step.catches):
            names = error_names(catch.errors)
            condition = True if names == (ALL,) else "${" + err + ".error in " + json.dumps(list(names)) + "}"
            steps = [{self.name(f"{step.name}_rollback"): {"assign": [{var: "${" + before + "}"}] + (
                self.writes(catch.result, "${" + err + "}", var) if catch.result is not None else [])}}]
            cases.append({"condition": condition, "steps": steps + self.seq(catch.steps, var)})
        if not cases or cases[-1]["condition"] is not True:
            cases.append({"condition": True, "raise": "${" + err + "}"})
        handler = {"as": "e", "steps": [
            {self.name(f"{step.name}_normalize"): {"call": ERROR_SUBWORKFLOW, "args": {"e": "${e}"}, "result": err}},
            {self.name(f"{step.name}_catch"): {"switch": cases}}]}
        return [{self.name(f"{step.name}_snapshot"): {"assign": [{before: "${" + var + "}"}]}},
                {self.name(step.name): {"try": {"steps": guarded}, "except": handler}}]

    def step_fail(self, step: ir.FailStep, var: str) -> list[dict[str, Any]]:
        return [{self.name(step.name): {"raise": {"error": step.error, "cause": step.cause}}}]

    def step_return(self, step: ir.ReturnStep, var: str) -> list[dict[str, Any]]:
        return [{self.name(step.name): {"return": template(step.value, var)}}]


def _error_subworkflow() -> dict[str, Any]:
    """Whatever was raised -> ``{"error", "cause"}`` (nested switches: no reliance on short-circuit and/or)."""
    named = {"error": "${e.error}", "cause": "${default(map.get(e, \"cause\"), \"\")}"}
    from_body = {"error": "${e.body.error}", "cause": "${default(map.get(e.body, \"cause\"), \"\")}"}
    message = "${default(map.get(e, \"message\"), \"\")}"
    return {"params": ["e"], "steps": [
        {"not_a_map": {"switch": [{"condition": "${get_type(e) != \"map\"}",
                                   "return": {"error": "TaskFailed", "cause": "${json.encode_to_string(e)}"}}]}},
        {"named": {"switch": [{"condition": "${\"error\" in e}", "return": named}]}},
        {"http_body": {"switch": [{"condition": "${\"body\" in e}", "steps": [
            {"body_is_map": {"switch": [{"condition": "${get_type(e.body) == \"map\"}", "steps": [
                {"body_named": {"switch": [{"condition": "${\"error\" in e.body}", "return": from_body}]}}]}]}}]}]}},
        {"tagged": {"switch": [{"condition": "${\"tags\" in e}", "steps": [
            {"timeout": {"switch": [{"condition": "${\"TimeoutError\" in e.tags}",
                                     "return": {"error": "Timeout", "cause": message}}]}}]}]}},
        {"other": {"return": {"error": "TaskFailed", "cause": message}}},
    ]}
