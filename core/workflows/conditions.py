"""The condition grammar of ``switch`` steps: parsed once, evaluated or compiled.

Grammar (lowest precedence first)::

    expr    := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand)?
    operand := "(" expr ")" | "exists" "(" PATH ")" | PATH | NUMBER | 'STRING' | "STRING"
             | true | false | null

A path is ``$`` followed by ``.name`` or ``[index]`` parts. Reading a missing
path is an error unless it is guarded by ``exists``. The tree is evaluated
here (never with ``eval``) and compiled to ASL and Cloud Workflows by the
provider compilers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Union

COMPARE_OPS = ("==", "!=", "<=", ">=", "<", ">")


class ConditionError(ValueError):
    """The condition text does not parse."""


class ConditionEvalError(Exception):
    """Evaluating a condition failed (missing path, incomparable types)."""


@dataclass(frozen=True)
class PathRef:
    path: str

    @property
    def parts(self) -> tuple[str | int, ...]:
        return parse_path(self.path)


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Compare:
    op: str
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class And:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    item: "Node"


@dataclass(frozen=True)
class Exists:
    path: PathRef


Node = Union[PathRef, Literal, Compare, And, Or, Not, Exists]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<path>\$(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*)
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | '(?P<sq>(?:[^'\\]|\\.)*)'
    | "(?P<dq>(?:[^"\\]|\\.)*)"
    | (?P<op>==|!=|<=|>=|<|>)
    | (?P<paren>[()])
    | (?P<word>[A-Za-z_]+)
    )""", re.VERBOSE)

_PATH_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")


def parse_path(path: str) -> tuple[str | int, ...]:
    if not path.startswith("$"):
        raise ConditionError(f"path {path!r} must start with '$'")
    parts: list[str | int] = []
    pos = 1
    while pos < len(path):
        m = _PATH_PART.match(path, pos)
        if not m:
            raise ConditionError(f"malformed path {path!r}")
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    return tuple(parts)


def _tokens(text: str) -> list[tuple[str, Any, int]]:
    out = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ConditionError(f"unexpected character {text[pos:].lstrip()[:1]!r} at offset {pos}")
        kind = m.lastgroup
        value: Any = m.group(kind)
        if kind == "number":
            value = float(value) if any(c in value for c in ".eE") else int(value)
        elif kind in ("sq", "dq"):
            value = re.sub(r"\\(.)", r"\1", value)
            kind = "string"
        out.append((kind, value, m.start(kind) if kind != "string" else m.start()))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, Any, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, Any, int]:
        token = self.peek()
        if token is None:
            raise ConditionError("the condition ends too early")
        self.i += 1
        return token

    def word(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1] == word

    def parse(self) -> Node:
        if not self.tokens:
            raise ConditionError("the condition is empty")
        node = self.or_()
        if self.peek() is not None:
            raise ConditionError(f"unexpected {self.peek()[1]!r} at offset {self.peek()[2]}")
        return node

    def or_(self) -> Node:
        items = [self.and_()]
        while self.word("or"):
            self.take()
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Node:
        items = [self.not_()]
        while self.word("and"):
            self.take()
            items.append(self.not_())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_(self) -> Node:
        if self.word("not"):
            self.take()
            return Not(self.not_())
        return self.compare()

    def compare(self) -> Node:
        left = self.operand()
        token = self.peek()
        if token is not None and token[0] == "op":
            self.take()
            right = self.operand()
            node = Compare(token[1], left, right)
            nxt = self.peek()
            if nxt is not None and nxt[0] == "op":
                raise ConditionError("comparisons cannot be chained; join them with 'and'")
            return node
        return left

    def operand(self) -> Node:
        kind, value, offset = self.take()
        if kind == "paren" and value == "(":
            node = self.or_()
            closing = self.take()
            if closing[:2] != ("paren", ")"):
                raise ConditionError(f"expected ')' at offset {closing[2]}")
            return node
        if kind == "path":
            return PathRef(value)
        if kind in ("number", "string"):
            return Literal(value)
        if kind == "word":
            if value == "true":
                return Literal(True)
            if value == "false":
                return Literal(False)
            if value == "null":
                return Literal(None)
            if value == "exists":
                if self.take()[:2] != ("paren", "("):
                    raise ConditionError("exists needs a path in parentheses: exists($.a.b)")
                path = self.take()
                if path[0] != "path":
                    raise ConditionError("exists takes a state path, like exists($.order.id)")
                if self.take()[:2] != ("paren", ")"):
                    raise ConditionError("exists takes exactly one path")
                return Exists(PathRef(path[1]))
            raise ConditionError(f"unknown word {value!r} at offset {offset}; strings need quotes")
        raise ConditionError(f"unexpected {value!r} at offset {offset}")


def parse_condition(text: str) -> Node:
    """Parse condition text into a tree; raises ConditionError with a readable message."""
    if not isinstance(text, str):
        raise ConditionError("a condition must be a string")
    return _Parser(text).parse()


_MISSING = object()


def lookup(state: Any, parts: tuple[str | int, ...]) -> Any:
    current = state
    for part in parts:
        if isinstance(part, int):
            if not isinstance(current, list) or part >= len(current):
                return _MISSING
            current = current[part]
        else:
            if not isinstance(current, dict) or part not in current:
                return _MISSING
            current = current[part]
    return current


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def evaluate(node: Node, state: Any) -> Any:
    """Evaluate a condition tree against a state; raises ConditionEvalError."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, PathRef):
        value = lookup(state, node.parts)
        if value is _MISSING:
            raise ConditionEvalError(f"path {node.path} does not exist in the state (guard it with exists())")
        return value
    if isinstance(node, Exists):
        return lookup(state, node.path.parts) is not _MISSING
    if isinstance(node, Not):
        return not truthy(evaluate(node.item, state))
    if isinstance(node, And):
        return all(truthy(evaluate(item, state)) for item in node.items)
    if isinstance(node, Or):
        return any(truthy(evaluate(item, state)) for item in node.items)
    if isinstance(node, Compare):
        left, right = evaluate(node.left, state), evaluate(node.right, state)
        return compare(node.op, left, right)
    raise ConditionEvalError(f"unknown condition node {node!r}")


def truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ConditionEvalError(f"a condition must be true or false, got {value!r}")


def compare(op: str, left: Any, right: Any) -> bool:
    if op in ("==", "!="):
        if _is_number(left) and _is_number(right):
            equal = left == right
        else:
            equal = type(left) is type(right) and left == right
        return equal if op == "==" else not equal
    if not ((_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str))):
        raise ConditionEvalError(f"cannot compare {left!r} {op} {right!r}: both sides must be numbers or strings")
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def paths_in(node: Node) -> list[str]:
    """Every path the condition reads (for lint and compilers)."""
    if isinstance(node, PathRef):
        return [node.path]
    if isinstance(node, Exists):
        return [node.path.path]
    if isinstance(node, Not):
        return paths_in(node.item)
    if isinstance(node, (And, Or)):
        return [p for item in node.items for p in paths_in(item)]
    if isinstance(node, Compare):
        return paths_in(node.left) + paths_in(node.right)
    return []


def evaluate_condition(node: Node, state: Any) -> bool:
    """A switch case's verdict: the tree must evaluate to a boolean (else ConditionEvalError)."""
    return truthy(evaluate(node, state))


def to_text(node: Node) -> str:
    """Canonical source text for a tree; ``parse_condition(to_text(t)) == t`` for every tree."""
    if isinstance(node, PathRef):
        return node.path
    if isinstance(node, Literal):
        return _literal_text(node.value)
    if isinstance(node, Exists):
        return f"exists({node.path.path})"
    if isinstance(node, Not):
        return f"not {_grouped(node.item, allow=(PathRef, Literal, Exists, Compare, Not))}"
    if isinstance(node, And):
        return " and ".join(_grouped(item, allow=(PathRef, Literal, Exists, Compare, Not)) for item in node.items)
    if isinstance(node, Or):
        return " or ".join(_grouped(item, allow=(PathRef, Literal, Exists, Compare, Not, And)) for item in node.items)
    if isinstance(node, Compare):
        return f"{_grouped(node.left, allow=(PathRef, Literal, Exists))} {node.op} " \
               f"{_grouped(node.right, allow=(PathRef, Literal, Exists))}"
    raise ConditionError(f"unknown condition node {node!r}")


def _grouped(node: Node, allow: tuple) -> str:
    text = to_text(node)
    return text if isinstance(node, allow) else f"({text})"


def _literal_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ConditionError(f"{value!r} has no literal form in conditions")
        text = repr(value)
        return text if any(c in text for c in ".eE") else text + ".0"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    raise ConditionError(f"{value!r} has no literal form in conditions")
