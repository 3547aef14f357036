"""The neutral runtime: the only sls-neutral module user handlers import.

Standard library only, and cheap to import (a cold start pays for every import),
so the public names load lazily from small submodules on first use::

    from sls_neutral.runtime import Request, Response, Event, Context, StepError

Handlers receive ``(request, ctx)`` for HTTP triggers, ``(event, ctx)`` for
queue/topic/bucket/schedule triggers and ``(input, ctx)`` for workflow steps.
"""

from __future__ import annotations

__all__ = ["Context", "Event", "NotFound", "PermissionDenied", "Request", "Response", "StepError"]

_HOMES = {
    "Request": "http", "Response": "http", "Headers": "http",
    "Event": "events",
    "Context": "context",
    "StepError": "errors", "PermissionDenied": "errors", "NotFound": "errors", "SlsnRuntimeError": "errors",
    "FunctionTimeout": "errors", "InvalidKey": "errors",
}


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sls_neutral.runtime' has no attribute '{name}'")
    from importlib import import_module

    value = getattr(import_module(f"sls_neutral.runtime.{home}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
