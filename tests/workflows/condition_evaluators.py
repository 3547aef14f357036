"""Test-side evaluators of what the compilers emit for a condition, each with its target's documented semantics.

- ``eval_asl_rule``: an ASL Choice rule (Amazon States Language spec): a comparison whose variable has another
  type than the operator needs is false; a Variable path that does not exist is a runtime error (States.Runtime);
  ``And``/``Or`` stop at the first deciding rule (the IsPresent-guard pattern AWS documents relies on it).
- ``eval_gcp_expr``: a Cloud Workflows expression as the compiler writes it (``state["a"][0]``, literals,
  comparisons, ``and/or/not``, ``in``, ``default``, ``map.get``, ``len``, ``get_type``): a missing key is a
  KeyError, ``< <= > >=`` need two numbers or two strings (TypeError otherwise), ``==`` across types is false,
  logical operators take booleans and stop at the first deciding operand.
"""

from __future__ import annotations

import ast
from typing import Any

from sls_neutral.core.workflows.conditions import parse_path


class TargetError(Exception):
    """The target runtime would fail evaluating this."""


_MISSING = object()


def _lookup(state: Any, path: str) -> Any:
    current = state
    for part in parse_path(path):
        if isinstance(part, int):
            if not isinstance(current, list) or part >= len(current):
                return _MISSING
        elif not isinstance(current, dict) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_ORDER = {"Equals": lambda a, b: a == b, "LessThan": lambda a, b: a < b, "LessThanEquals": lambda a, b: a <= b,
          "GreaterThan": lambda a, b: a > b, "GreaterThanEquals": lambda a, b: a >= b}


def eval_asl_rule(rule: dict, state: Any) -> bool:
    if "And" in rule:
        return all(eval_asl_rule(r, state) for r in rule["And"])
    if "Or" in rule:
        return any(eval_asl_rule(r, state) for r in rule["Or"])
    if "Not" in rule:
        return not eval_asl_rule(rule["Not"], state)
    variable = rule["Variable"]
    value = _lookup(state, variable)
    (op, operand), = [(k, v) for k, v in rule.items() if k not in ("Variable", "Next")]
    if op == "IsPresent":
        return (value is not _MISSING) == operand
    if value is _MISSING:
        raise TargetError(f"States.Runtime: invalid path {variable}")
    if op == "IsNull":
        return (value is None) == operand
    if op.endswith("Path"):
        operand = _lookup(state, operand)
        if operand is _MISSING:
            raise TargetError(f"States.Runtime: invalid path {rule[op]}")
        op = op[:-4]
    if op.startswith("Numeric"):
        return _number(value) and _number(operand) and _ORDER[op[7:]](value, operand)
    if op.startswith("String"):
        if op == "StringMatches":
            raise AssertionError("StringMatches is not used for conditions")
        return isinstance(value, str) and isinstance(operand, str) and _ORDER[op[6:]](value, operand)
    if op == "BooleanEquals":
        return isinstance(value, bool) and isinstance(operand, bool) and value == operand
    raise AssertionError(f"unknown ASL comparison {op}")


# ---------------------------------------------------------------- Cloud Workflows
def _gcp_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "map"


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TargetError(f"TypeError: expected a boolean, got {value!r}")
    return value


def _equal(a: Any, b: Any) -> bool:
    if _number(a) and _number(b):
        return a == b
    return _gcp_type(a) == _gcp_type(b) and a == b


def eval_gcp_expr(text: str, variables: dict[str, Any]) -> Any:
    tree = ast.parse(text, mode="eval")
    return _gcp(tree.body, variables)


def _gcp(node: ast.AST, env: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        literals = {"true": True, "false": False, "null": None}
        if node.id in literals:
            return literals[node.id]
        return env[node.id]
    if isinstance(node, ast.Subscript):
        container, key = _gcp(node.value, env), _gcp(node.slice, env)
        if isinstance(container, dict) and isinstance(key, str):
            if key not in container:
                raise TargetError(f"KeyError: key not found: {key}")
            return container[key]
        if isinstance(container, list) and isinstance(key, int) and not isinstance(key, bool):
            if not 0 <= key < len(container):
                raise TargetError(f"IndexError: {key}")
            return container[key]
        raise TargetError(f"TypeError: cannot index {container!r} with {key!r}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not _bool(_gcp(node.operand, env))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_gcp(node.operand, env)
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_bool(_gcp(v, env)) for v in node.values)
        return any(_bool(_gcp(v, env)) for v in node.values)
    if isinstance(node, ast.Compare):
        (op,), (right_node,) = node.ops, node.comparators
        left, right = _gcp(node.left, env), _gcp(right_node, env)
        if isinstance(op, ast.In):
            if isinstance(right, dict):
                return left in right
            if isinstance(right, list):
                return any(_equal(left, item) for item in right)
            raise TargetError(f"TypeError: 'in' needs a map or list, got {right!r}")
        if isinstance(op, ast.Eq):
            return _equal(left, right)
        if isinstance(op, ast.NotEq):
            return not _equal(left, right)
        if not ((_number(left) and _number(right)) or (isinstance(left, str) and isinstance(right, str))):
            raise TargetError(f"TypeError: cannot compare {left!r} and {right!r}")
        return {ast.Lt: left < right, ast.LtE: left <= right, ast.Gt: left > right,
                ast.GtE: left >= right}[type(op)]
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else \
            f"{node.func.value.id}.{node.func.attr}"  # type: ignore[attr-defined]
        args = [_gcp(a, env) for a in node.args]
        if name == "default":
            return args[1] if args[0] is None else args[0]
        if name == "len":
            return len(args[0])
        if name == "get_type":
            return _gcp_type(args[0])
        if name == "map.get":
            current = args[0]
            for key in args[1] if isinstance(args[1], list) else [args[1]]:
                if not isinstance(current, dict) or key not in current:
                    return None
                current = current[key]
            return current
        raise AssertionError(f"unexpected function {name}")
    if isinstance(node, ast.List):
        return [_gcp(e, env) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {_gcp(k, env): _gcp(v, env) for k, v in zip(node.keys, node.values)}
    raise AssertionError(f"unexpected expression node {ast.dump(node)}")
