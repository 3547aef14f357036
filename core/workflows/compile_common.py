"""What the three workflow compilers (ASL, Cloud Workflows, Durable) share.

The DSL's value conventions live here once so the targets cannot drift apart:
a string that starts with ``$.`` inside ``input``/``set``/``return`` values is a
path into the state, anything else is a literal; error names are a StepError's
name, ``Timeout``, ``TaskFailed`` or the wildcard ``all``.
"""

from __future__ import annotations

from typing import Any, Iterable

from sls_neutral.core.workflows.conditions import parse_path

ALL = "all"
TIMEOUT = "Timeout"
TASK_FAILED = "TaskFailed"


def is_path(value: Any) -> bool:
    """A value that reads the state (``$.order.id``); ``$`` alone is the whole state."""
    return isinstance(value, str) and (value == "$" or value.startswith("$.") or value.startswith("$["))


def path_parts(path: str) -> tuple[str | int, ...]:
    return parse_path(path)


def has_paths(value: Any) -> bool:
    """Whether a JSON value reads the state anywhere inside it."""
    if is_path(value):
        return True
    if isinstance(value, dict):
        return any(has_paths(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_paths(v) for v in value)
    return False


def error_names(names: Iterable[str]) -> tuple[str, ...]:
    """Deduplicated in order; ``all`` swallows the rest (nothing after it can match first)."""
    out: list[str] = []
    for name in names:
        if name == ALL:
            return (ALL,)
        if name not in out:
            out.append(name)
    return tuple(out)


def matches(error: str, names: Iterable[str]) -> bool:
    """Whether an error name is matched by a retry/catch list (``all`` matches every name)."""
    names = tuple(names)
    return ALL in names or error in names


def reachable(rules: Iterable[Any]) -> list[Any]:
    """Retriers/catchers up to and including the first ``all`` one: later ones can never match."""
    out = []
    for rule in rules:
        out.append(rule)
        if ALL in rule.errors:
            break
    return out


def backoff_delays(interval: float, backoff_rate: float, max_attempts: int,
                   max_delay: float | None) -> list[float]:
    """The delay before each retry: interval x rate^n, capped by max_delay (before any jitter)."""
    delays = []
    for n in range(max_attempts):
        delay = interval * (backoff_rate ** n)
        if max_delay is not None:
            delay = min(delay, max_delay)
        delays.append(delay)
    return delays
