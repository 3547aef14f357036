"""The step functions of the conformance corpus, as data-driven behaviours.

Every runner (the local engine, the Durable replay harness, moto's ASL
executor) calls the same :class:`Behaviours`, so a difference in outcome is
a difference in the workflow runtime, never in the step code.

A corpus file declares ``functions: {NAME: SPEC}``; SPEC keys:

- ``returns: VALUE`` -- return VALUE; any string ``"$input"`` inside it is
  replaced by the whole step input.
- ``echo: true`` -- return the input unchanged.
- ``add: {field: F, amount: N}`` -- return a copy of the input (an object)
  with ``F`` increased by ``N``.
- ``fail_times: N`` + ``error: NAME`` (+ optional ``cause``) -- fail the
  first N calls *per execution* with NAME, then behave as the other keys say
  (``returns``/``echo``/``add``; default: return ``{"attempts": N + 1}``).
- ``always_fail: {error: NAME, cause: TEXT}`` -- fail every call.
- ``sleep: SECONDS`` -- sleep that long first (real time; only for runners
  that enforce step timeouts, see the corpus ``skip:`` key).
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any


class BehaviourError(Exception):
    """A step failed with a named error (what a handler's StepError becomes)."""

    def __init__(self, error: str, cause: str = ""):
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


def _substitute(value: Any, data: Any) -> Any:
    if value == "$input":
        return copy.deepcopy(data)
    if isinstance(value, dict):
        return {k: _substitute(v, data) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, data) for v in value]
    return value


def run_behaviour(spec: dict, data: Any, attempt: int) -> Any:
    """Pure behaviour: the result for the ``attempt``-th call (1-based) in one execution, or raise."""
    if "sleep" in spec:
        time.sleep(float(spec["sleep"]))
    if "always_fail" in spec:
        fail = spec["always_fail"]
        raise BehaviourError(fail["error"], fail.get("cause", ""))
    if "fail_times" in spec and attempt <= int(spec["fail_times"]):
        raise BehaviourError(spec.get("error", "TaskFailed"), spec.get("cause", f"attempt {attempt} failed"))
    if "returns" in spec:
        return _substitute(spec["returns"], data)
    if spec.get("echo"):
        return copy.deepcopy(data)
    if "add" in spec:
        field, amount = spec["add"]["field"], spec["add"]["amount"]
        if not isinstance(data, dict) or not isinstance(data.get(field), (int, float)):
            raise BehaviourError("BadInput", f"add needs a number at {field!r}, got {data!r}")
        out = copy.deepcopy(data)
        out[field] = out[field] + amount
        return out
    if "fail_times" in spec:
        return {"attempts": attempt}
    return None


class Behaviours:
    """The functions of one corpus file, with per-execution call counters (thread-safe)."""

    def __init__(self, functions: dict[str, dict]):
        self.functions = functions
        self._lock = threading.Lock()
        self.calls: dict[tuple[str, str], int] = {}

    def invoke(self, function: str, data: Any, execution: str) -> Any:
        spec = self.functions[function]
        with self._lock:
            key = (execution, function)
            self.calls[key] = self.calls.get(key, 0) + 1
            attempt = self.calls[key]
        return run_behaviour(spec, data, attempt)

    def count(self, execution: str, function: str) -> int:
        with self._lock:
            return self.calls.get((execution, function), 0)
