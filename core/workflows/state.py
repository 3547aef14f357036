"""Reading, writing and templating the JSON state of a workflow execution.

The rules (docs/workflows.md, "Paths" and "Templates") are shared by the
local engine and documented for the compilers: a missing path is an error,
writes create intermediate objects, and template strings starting with
``$.``/``$[`` (or exactly ``$``) are paths resolved against the state.
"""

from __future__ import annotations

import copy
from typing import Any

from sls_neutral.core.workflows.conditions import ConditionError, _MISSING, lookup, parse_path


class PathError(Exception):
    """A path is missing, malformed or cannot be written (the workflow error ``TaskFailed``)."""


def is_path(value: Any) -> bool:
    return isinstance(value, str) and (value == "$" or value.startswith("$.") or value.startswith("$["))


def _parts(path: str) -> tuple[str | int, ...]:
    try:
        return parse_path(path)
    except ConditionError as exc:
        raise PathError(str(exc)) from None


def read(state: Any, path: str) -> Any:
    value = lookup(state, _parts(path))
    if value is _MISSING:
        raise PathError(f"path {path} does not exist in the state")
    return value


def write(state: Any, path: str, value: Any) -> Any:
    """Return the state with ``value`` at ``path`` (the state object is modified in place when possible)."""
    parts = _parts(path)
    if not parts:
        return value
    if not isinstance(state, dict) and not isinstance(parts[0], int):
        raise PathError(f"cannot write {path}: the state is not an object")
    current = state
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt = None if last else parts[i + 1]
        if isinstance(part, int):
            if not isinstance(current, list):
                raise PathError(f"cannot write {path}: {_prefix(parts[:i])} is not a list")
            if part > len(current):
                raise PathError(f"cannot write {path}: index {part} is past the end of a list of {len(current)}")
            if last:
                if part == len(current):
                    current.append(value)
                else:
                    current[part] = value
                return state
            if part == len(current):
                current.append({} if not isinstance(nxt, int) else [])
            elif not isinstance(current[part], (dict, list)):
                current[part] = {} if not isinstance(nxt, int) else []
            current = current[part]
        else:
            if not isinstance(current, dict):
                raise PathError(f"cannot write {path}: {_prefix(parts[:i])} is not an object")
            if last:
                current[part] = value
                return state
            child = current.get(part)
            if not isinstance(child, (dict, list)) or (isinstance(nxt, int) and not isinstance(child, list)):
                child = [] if isinstance(nxt, int) else {}
                current[part] = child
            current = child
    return state


def _prefix(parts: tuple) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def resolve(template: Any, state: Any) -> Any:
    """The template with every path string replaced by a copy of its value."""
    if is_path(template):
        return copy.deepcopy(read(state, template))
    if isinstance(template, dict):
        return {k: resolve(v, state) for k, v in template.items()}
    if isinstance(template, list):
        return [resolve(v, state) for v in template]
    return template
