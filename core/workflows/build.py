"""Build the IR step tree from validated manifest steps, checking what the schema cannot.

Checks: step names unique within a workflow, calls name declared functions,
``return`` not inside parallel or map branches, ``steps:`` blocks only as
parallel branches, state paths well formed, conditions parse, retry and catch
lists in range and reachable. Provider limits (checked only once a provider
is chosen) are in :func:`workflow_limit_diagnostics`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sls_neutral.core import ir
from sls_neutral.core.errors import Diagnostic, did_you_mean
from sls_neutral.core.workflows.conditions import ConditionError, parse_condition

if TYPE_CHECKING:  # pragma: no cover
    from sls_neutral.core.compiler import _Compiler
    from sls_neutral.core.manifest import schema  # the annotations; validated steps may also be plain.Block

PATH_HINT = "state paths look like $.order.id or $.items[0]"


def build_workflow(name: str, settings: schema.WorkflowSettings, functions: dict[str, ir.Function],
                   compiler: "_Compiler") -> tuple[ir.Step, ...]:
    builder = _Builder(name, functions, compiler)
    return builder.steps(settings.steps, ("workflows", name, "steps"), in_branch=False)


class _Builder:
    def __init__(self, workflow: str, functions: dict[str, ir.Function], compiler: "_Compiler"):
        self.workflow = workflow
        self.functions = functions
        self.c = compiler
        self.names: dict[str, tuple] = {}

    def path_ok(self, value: Any, where: tuple, what: str) -> bool:
        from sls_neutral.core.compiler import PATH_RE

        if not isinstance(value, str) or not PATH_RE.match(value):
            self.c.error(f"{what} {value!r} is not a state path", self.c.pos(*where), PATH_HINT, code="workflow")
            return False
        return True

    def result(self, body: schema.StepBody, name: str, where: tuple) -> str | None:
        if not body.has("result"):
            return f"$.{name}" if _simple(name) else f"$['{name}']"
        if body.result is None:
            return None
        self.path_ok(body.result, where + ("result",), "result")
        return body.result

    def retries(self, body: schema.StepBody, where: tuple = ()) -> tuple[ir.Retry, ...]:
        for i, r in enumerate(body.retry):
            rwhere = where + ("retry", i)
            if r.max_delay is not None and r.max_delay < r.interval:
                self.c.error(f"retry max_delay ({r.max_delay:g}s) is shorter than its interval ({r.interval:g}s)",
                             self.c.pos(*rwhere, "max_delay"), "max_delay caps the growing delay; make it >= interval",
                             code="workflow")
            if r.interval <= 0:
                self.c.error("retry interval must be more than 0 seconds", self.c.pos(*rwhere, "interval"),
                             "e.g. interval: 1s", code="workflow")
            self.unreachable_after_all(body.retry, i, r.errors, rwhere, "retry")
        return tuple(ir.Retry(errors=tuple(r.errors), interval=r.interval, max_attempts=r.max_attempts,
                              backoff_rate=r.backoff_rate, max_delay=r.max_delay, jitter=r.jitter)
                     for r in body.retry)

    def unreachable_after_all(self, entries: list, index: int, errors: list[str], where: tuple, what: str) -> None:
        """A retry/catch entry after one that matches ``all`` (or repeating its errors) can never run."""
        earlier = [name for e in entries[:index] for name in e.errors]
        if "all" in earlier:
            self.c.error(f"this {what} entry is never used: an earlier entry matches all errors",
                         self.c.pos(*where, key=True), f"move the 'errors: [all]' {what} entry last", code="workflow")
        elif errors and all(name in earlier for name in errors):
            self.c.error(f"this {what} entry is never used: earlier entries already match {', '.join(errors)}",
                         self.c.pos(*where, key=True), f"merge the {what} entries", code="workflow")

    def check_paths_in(self, value: Any, where: tuple) -> None:
        """Inputs and set values: strings starting with '$.' (or '$[') must be valid paths."""
        if isinstance(value, str) and (value == "$" or value.startswith("$.") or value.startswith("$[")):
            self.path_ok(value, where, "path")
        elif isinstance(value, dict):
            for k, v in value.items():
                self.check_paths_in(v, where + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.check_paths_in(v, where + (i,))

    def steps(self, entries: list[dict], where: tuple, *, in_branch: bool) -> tuple[ir.Step, ...]:
        out = []
        for index, entry in enumerate(entries):
            (name, body), = entry.items()
            step_where = where + (index, name)
            step = self.step(name, body, step_where, in_branch=in_branch)
            if step is not None:
                out.append(step)
        return tuple(out)

    def register(self, name: str, where: tuple) -> None:
        if name in self.names:
            first = self.c.pos(*self.names[name], key=True)
            self.c.error(f"step name '{name}' is used twice in workflow '{self.workflow}' (first at line {first.line})",
                         self.c.pos(*where, key=True), "step names are unique within a workflow", code="duplicate")
        else:
            self.names[name] = where

    def step(self, name: str, body: schema.StepBody, where: tuple, *, in_branch: bool) -> ir.Step | None:
        self.register(name, where)
        src = self.c.pos(*where, key=True)
        kind = body.kind
        if kind == "call":
            if body.call not in self.functions:
                hint = did_you_mean(body.call, self.functions) or "declare the function under functions:"
                self.c.error(f"step '{name}' calls undeclared function '{body.call}'", self.c.pos(*where, "call"),
                             hint, code="undeclared")
            if body.input is not None:
                self.check_paths_in(body.input, where + ("input",))
            return ir.CallStep(name=name, function=body.call, input=body.input,
                               result=self.result(body, name, where), retry=self.retries(body, where),
                               timeout=body.timeout, source=src)
        if kind == "set":
            for path, value in body.set.items():
                self.path_ok(path, where + ("set", path), "set target")
                self.check_paths_in(value, where + ("set", path))
            return ir.SetStep(name=name, assignments=tuple(body.set.items()), source=src)
        if kind == "switch":
            cases = []
            for i, case in enumerate(body.switch):
                case_where = where + ("switch", i)
                try:
                    condition = parse_condition(case.when)
                except ConditionError as exc:
                    self.c.error(f"condition {case.when!r}: {exc}", self.c.pos(*case_where, "when"),
                                 "conditions use $.paths, literals, == != < <= > >=, and/or/not, exists($.path)",
                                 code="condition")
                    condition = None
                cases.append(ir.Case(when=case.when, condition=condition,
                                     steps=self.steps(case.steps, case_where + ("steps",), in_branch=in_branch)))
            default = self.steps(body.default or [], where + ("default",), in_branch=in_branch)
            return ir.SwitchStep(name=name, cases=tuple(cases), default=default, source=src)
        if kind == "parallel":
            branches = []
            for i, entry in enumerate(body.parallel):
                (bname, bbody), = entry.items()
                bwhere = where + ("parallel", i, bname)
                if bbody.kind == "steps":
                    self.register(bname, bwhere)
                    branches.append(ir.Branch(bname, self.steps(bbody.steps, bwhere + ("steps",), in_branch=True)))
                else:
                    step = self.step(bname, bbody, bwhere, in_branch=True)
                    branches.append(ir.Branch(bname, (step,) if step else ()))
            return ir.ParallelStep(name=name, branches=tuple(branches), result=self.result(body, name, where),
                                   retry=self.retries(body, where), source=src)
        if kind == "map":
            self.path_ok(body.map.items, where + ("map", "items"), "map items")
            steps = self.steps(body.map.steps, where + ("map", "steps"), in_branch=True)
            return ir.MapStep(name=name, items=body.map.items, steps=steps,
                              max_concurrency=body.map.max_concurrency, result=self.result(body, name, where),
                              retry=self.retries(body, where), source=src)
        if kind == "wait":
            until = body.wait.until
            if until is not None and not until.startswith("$"):
                from sls_neutral.core.compiler import ISO_TS

                if not ISO_TS.match(until):
                    self.c.error(f"wait until {until!r} is neither a state path nor an ISO-8601 timestamp",
                                 self.c.pos(*where, "wait", "until"), "e.g. $.deadline or 2026-01-01T00:00:00Z",
                                 code="workflow")
            elif until is not None:
                self.path_ok(until, where + ("wait", "until"), "wait until")
            return ir.WaitStep(name=name, seconds=body.wait.seconds, until=until, source=src)
        if kind == "try":
            steps = self.steps(body.try_, where + ("try",), in_branch=in_branch)
            catches = []
            for i, catch in enumerate(body.catch or []):
                cwhere = where + ("catch", i)
                if catch.result is not None:
                    self.path_ok(catch.result, cwhere + ("result",), "catch result")
                catches.append(ir.Catch(errors=tuple(catch.errors), result=catch.result,
                                        steps=self.steps(catch.steps, cwhere + ("steps",), in_branch=in_branch)))
            for i, catch in enumerate(body.catch or []):
                self.unreachable_after_all(body.catch, i, catch.errors, where + ("catch", i), "catch")
            return ir.TryStep(name=name, steps=steps, catches=tuple(catches), retry=self.retries(body, where),
                              source=src)
        if kind == "fail":
            return ir.FailStep(name=name, error=body.fail.error, cause=body.fail.cause, source=src)
        if kind == "return":
            if in_branch:
                self.c.error(f"step '{name}': 'return' is not allowed inside parallel or map branches",
                             self.c.pos(*where, key=True), "set a state path in the branch and return after it",
                             code="workflow")
            self.check_paths_in(body.return_, where + ("return",))
            return ir.ReturnStep(name=name, value=body.return_, source=src)
        # kind == "steps"
        self.c.error(f"step '{name}': a 'steps:' block is only allowed as a parallel branch",
                     self.c.pos(*where, key=True), "inline the steps, or wrap them in parallel:", code="workflow")
        return None


def _simple(name: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name) is not None


# ---------------------------------------------------------------- provider limits
GCP_MAX_BRANCHES = 10
GCP_MAX_CONCURRENCY = 20
ASL_INLINE_MAP_MAX_CONCURRENCY = 40
ASL_PAYLOAD_BYTES = 256 * 1024


def workflow_limit_diagnostics(workflow: ir.Workflow, provider: str) -> list[Diagnostic]:
    """Limits of the provider's workflow service this workflow would hit, each at the step's file:line.

    Providers call this from their ``check`` once a provider is chosen: GCP refuses more than
    10 parallel branches or a concurrency above 20; Step Functions runs an inline Map at most
    40 iterations at once and carries at most 256 KB of state between states.
    """
    out: list[Diagnostic] = []
    where = workflow.source
    for step in ir.walk_steps(workflow.steps):
        pos = step.source or where
        label = f"workflow '{workflow.name}', step '{step.name}'"
        if provider == "gcp":
            if isinstance(step, ir.ParallelStep) and len(step.branches) > GCP_MAX_BRANCHES:
                out.append(Diagnostic(
                    f"{label}: Cloud Workflows runs at most {GCP_MAX_BRANCHES} parallel branches "
                    f"({len(step.branches)} declared)", pos,
                    "group branches into nested parallel steps, or use a map over a list", code="gcp-parallel-branches"))
            if isinstance(step, ir.MapStep) and step.max_concurrency > GCP_MAX_CONCURRENCY:
                out.append(Diagnostic(
                    f"{label}: Cloud Workflows runs at most {GCP_MAX_CONCURRENCY} iterations at once "
                    f"(max_concurrency {step.max_concurrency})", pos,
                    f"set max_concurrency to {GCP_MAX_CONCURRENCY} or less", code="gcp-concurrency"))
        elif provider == "aws":
            if isinstance(step, ir.MapStep) and step.max_concurrency > ASL_INLINE_MAP_MAX_CONCURRENCY:
                out.append(Diagnostic(
                    f"{label}: an inline Map runs at most {ASL_INLINE_MAP_MAX_CONCURRENCY} iterations at once "
                    f"(max_concurrency {step.max_concurrency})", pos,
                    f"set max_concurrency to {ASL_INLINE_MAP_MAX_CONCURRENCY} or less", code="aws-map-concurrency",
                    severity="warning"))
            if isinstance(step, ir.MapStep) and step.result is not None:
                out.append(Diagnostic(
                    f"{label}: the map's result list grows with its input and stays in the state; Step Functions "
                    f"fails an execution whose state exceeds {ASL_PAYLOAD_BYTES // 1024} KB", pos,
                    "keep large data in a bucket and pass keys, or set result: null", code="aws-payload",
                    severity="info"))
    return out
