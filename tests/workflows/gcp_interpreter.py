"""A test-side interpreter of the Cloud Workflows subset the GCP compiler emits, to run the corpus on it.

Modelled on the documented semantics: variables live in the subworkflow's scope; a ``for`` body and each
parallel branch/iteration get their own scope (new variables are local, writes to outer ones need ``shared``
inside ``parallel``); ``try``/``retry`` re-runs the block while the predicate subworkflow says so;
``except: {as: e}`` binds the raised value; ``http.post`` raises an HttpError map (``code``, ``body``,
``tags: [HttpError]``) on a non-2xx answer. HTTP calls go to the corpus behaviours (a step function answers
500 with ``{"error", "cause"}``, the GCP adapter's contract); sleeps are recorded, not slept. Branches run one
after the other, which Cloud Workflows allows (the order of concurrent branches is unspecified).
"""

from __future__ import annotations

import ast
import copy
import json
from dataclasses import dataclass, field
from typing import Any

from .behaviours import BehaviourError, Behaviours
from .condition_evaluators import TargetError, _gcp, _gcp_type


class Raised(Exception):
    def __init__(self, value: Any):
        super().__init__(repr(value))
        self.value = value


class Returned(Exception):
    def __init__(self, value: Any):
        super().__init__("return")
        self.value = value


class Scope:
    def __init__(self, parent: "Scope | None" = None, shared: set[str] | None = None, isolated: bool = False):
        self.vars: dict[str, Any] = {}
        self.parent = parent
        self.shared = shared or set()
        self.isolated = isolated  # a parallel branch/iteration: outer writes only through `shared`

    def owner(self, name: str) -> "Scope | None":
        if name in self.vars:
            return self
        if self.parent is None:
            return None
        found = self.parent.owner(name)
        if found is not None and self.isolated and name not in self.shared:
            return None  # reading is fine (see get); writing makes a branch-local variable
        return found

    def get(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            scope = scope.parent
        raise KeyError(name)

    def set(self, name: str, value: Any) -> None:
        (self.owner(name) or self).vars[name] = value


class _Env(dict):
    def __init__(self, scope: Scope, subworkflows: dict):
        super().__init__()
        self.scope, self.subworkflows = scope, subworkflows

    def __getitem__(self, name: str) -> Any:
        if name in self.subworkflows:
            return ("subworkflow", name)
        try:
            return self.scope.get(name)
        except KeyError:
            raise TargetError(f"KeyError: variable {name} is not defined") from None


@dataclass
class GcpRun:
    output: Any = None
    error: Any = None
    sleeps: list = field(default_factory=list)

    @property
    def error_name(self) -> str | None:
        if self.error is None:
            return None
        return self.error.get("error", "TaskFailed") if isinstance(self.error, dict) else "TaskFailed"


class Interpreter:
    def __init__(self, definition: dict, behaviours: Behaviours, urls: dict[str, str]):
        self.definition = definition
        self.behaviours = behaviours
        self.urls = urls  # url -> function name
        self.sleeps: list = []

    # ---------------------------------------------------------- values
    def expr(self, text: str, scope: Scope) -> Any:
        tree = ast.parse(text, mode="eval").body
        try:
            return copy.deepcopy(self._eval(tree, scope))
        except TargetError as exc:
            kind = str(exc).split(":", 1)[0]
            raise Raised({"message": str(exc), "tags": [kind]}) from None

    def _eval(self, node: ast.AST, scope: Scope) -> Any:
        env = _Env(scope, self.definition)
        if isinstance(node, ast.Attribute):
            value = self._eval(node.value, scope)
            if not isinstance(value, dict) or node.attr not in value:
                raise TargetError(f"KeyError: key not found: {node.attr}")
            return value[node.attr]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and f"{node.func.value.id}.{node.func.attr}" in (
                "list.concat", "json.encode_to_string"):
            args = [self._eval(a, scope) for a in node.args]
            if node.func.attr == "concat":
                return list(args[0]) + [args[1]]
            return json.dumps(args[0])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "string":
            value = self._eval(node.args[0], scope)
            return str(value)
        if isinstance(node, (ast.Subscript, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Call, ast.List, ast.Dict)):
            return _gcp(_Rewriter(self, scope).visit(node), env)
        return _gcp(node, env)

    def value(self, value: Any, scope: Scope) -> Any:
        if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
            return self.expr(value[2:-1], scope)
        if isinstance(value, dict):
            return {k: self.value(v, scope) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, scope) for v in value]
        return value

    def assign(self, target: str, value: Any, scope: Scope) -> None:
        node = ast.parse(target, mode="eval").body
        keys = []
        while isinstance(node, ast.Subscript):
            keys.insert(0, self._eval(node.slice, scope))
            node = node.value
        name = node.id  # type: ignore[attr-defined]
        if not keys:
            scope.set(name, value)
            return
        container = scope.get(name)
        root = container
        for key in keys[:-1]:
            container = container[key]
        last = keys[-1]
        if isinstance(container, list) and not (0 <= last < len(container)):
            raise Raised({"message": f"IndexError: {last}", "tags": ["IndexError"]})
        if not isinstance(container, (dict, list)):
            raise Raised({"message": f"TypeError: cannot assign into {container!r}", "tags": ["TypeError"]})
        container[last] = value
        scope.set(name, root)

    # ---------------------------------------------------------- running
    def run(self, argument: Any) -> GcpRun:
        run = GcpRun()
        try:
            run.output = self.call_subworkflow("main", {"args": argument})
        except Raised as exc:
            run.error = exc.value
        run.sleeps = self.sleeps
        return run

    def call_subworkflow(self, name: str, args: dict) -> Any:
        sub = self.definition[name]
        scope = Scope()
        for param in sub.get("params", []):
            scope.vars[param] = args.get(param)
        try:
            self.steps(sub["steps"], scope)
        except Returned as done:
            return done.value
        return None

    def steps(self, steps: list, scope: Scope) -> None:
        for entry in steps:
            ((_name, body),) = entry.items()
            self.step(body, scope)

    def step(self, body: dict, scope: Scope) -> None:
        if "try" in body:
            return self.try_(body, scope)
        if "assign" in body:
            for item in body["assign"]:
                ((target, value),) = item.items()
                self.assign(target, self.value(value, scope), scope)
        if "call" in body:
            result = self.call(body["call"], self.value(body.get("args", {}), scope))
            if "result" in body:
                scope.set(body["result"], result)
        if "switch" in body:
            for case in body["switch"]:
                condition = case["condition"] if case["condition"] is True else self.value(case["condition"], scope)
                if not isinstance(condition, bool):
                    raise Raised({"message": f"TypeError: a switch condition must be a boolean, got {condition!r}",
                                  "tags": ["TypeError"]})
                if condition:
                    self.step({k: v for k, v in case.items() if k != "condition"}, scope)
                    break
        if "parallel" in body:
            self.parallel(body["parallel"], scope)
        if "for" in body:
            self.for_(body["for"], scope, isolated=False)
        if "steps" in body:
            self.steps(body["steps"], scope)
        if "raise" in body:
            raise Raised(self.value(body["raise"], scope))
        if "return" in body:
            raise Returned(self.value(body["return"], scope))
        return None

    def call(self, target: str, args: dict) -> Any:
        if target == "http.post":
            function = self.urls[args["url"]]
            assert args.get("auth") == {"type": "OIDC"}
            spec = self.behaviours.functions[function]
            if args.get("timeout") is not None and float(spec.get("sleep", 0)) > args["timeout"]:
                raise Raised({"message": "request timed out", "tags": ["TimeoutError"]})
            try:
                body = self.behaviours.invoke(function, args.get("body"), "gcp")
            except BehaviourError as exc:
                raise Raised({"code": 500, "message": "HTTP server responded with error code 500",
                              "body": {"error": exc.error, "cause": exc.cause}, "tags": ["HttpError"]}) from None
            return {"code": 200, "body": body, "headers": {}}
        if target in ("sys.sleep", "sys.sleep_until"):
            self.sleeps.append(args.get("seconds", args.get("time")))
            return None
        return self.call_subworkflow(target, args)

    def try_(self, body: dict, scope: Scope) -> None:
        block = body["try"]
        retry = body.get("retry")
        retries = 0
        delay = retry["backoff"]["initial_delay"] if retry else 0
        while True:
            try:
                if "steps" in block:
                    self.steps(block["steps"], scope)
                else:
                    self.step(block, scope)
                return
            except Raised as exc:
                if retry and retries < retry["max_retries"]:
                    predicate = self.value(retry["predicate"], scope)
                    if self.call_subworkflow(predicate[1], {"e": exc.value}) is True:
                        retries += 1
                        self.sleeps.append(min(delay, retry["backoff"]["max_delay"]))
                        delay *= retry["backoff"]["multiplier"]
                        continue
                handler = body.get("except")
                if handler is None:
                    raise
                scope.set(handler["as"], exc.value)
                self.steps(handler["steps"], scope)
                return

    def parallel(self, spec: dict, scope: Scope) -> None:
        shared = set(spec.get("shared", []))
        if "branches" in spec:
            for entry in spec["branches"]:
                ((_name, branch),) = entry.items()
                self.steps(branch["steps"], Scope(scope, shared, isolated=True))
        else:
            self.for_(spec["for"], scope, isolated=True, shared=shared)

    def for_(self, spec: dict, scope: Scope, isolated: bool, shared: set[str] | None = None) -> None:
        items = self.value(spec["in"], scope)
        for index, item in enumerate(items):
            inner = Scope(scope, shared, isolated=isolated)
            inner.vars[spec["value"]] = copy.deepcopy(item)
            if "index" in spec:
                inner.vars[spec["index"]] = index
            self.steps(spec["steps"], inner)


class _Rewriter(ast.NodeTransformer):
    """Evaluate the parts the condition evaluator does not know (attributes, list.concat) into constants."""

    def __init__(self, interpreter: Interpreter, scope: Scope):
        self.interpreter, self.scope = interpreter, scope

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id in ("map", "list", "json"):
            return node
        return ast.Constant(self.interpreter._eval(node, self.scope))

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id == "string":
            return ast.Constant(self.interpreter._eval(node, self.scope))
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and \
                node.func.value.id in ("list", "json"):
            return ast.Constant(self.interpreter._eval(node, self.scope))
        self.generic_visit(node)
        return node


def gcp_type(value: Any) -> str:
    return _gcp_type(value)
