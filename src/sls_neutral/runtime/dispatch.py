"""What every adapter does around a user handler: load it once, build the context, run it, name errors.

Adapters differ only in how they translate platform events; keeping the rest
here means a handler behaves the same on every provider.
"""

from __future__ import annotations

import os

from sls_neutral.runtime.context import Context, Grants
from sls_neutral.runtime.errors import FunctionTimeout, SlsnRuntimeError, StepError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~2 ms at import; annotations are strings anyway
    from typing import Any, Callable, Mapping

_handlers: dict[str, Callable[..., Any]] = {}
_secrets_filled = False


def _split(spec: str) -> tuple[str, str]:
    module, sep, function = spec.strip().rpartition(":")
    if not sep or not module or not function:
        raise SlsnRuntimeError(f"handler {spec!r} is not 'module:function'", hint="e.g. 'src.api:handle'")
    if module.endswith(".py") or "/" in module:
        module = module.removesuffix(".py").replace("/", ".")
    return module, function


def load_handler(spec: str) -> Callable[..., Any]:
    """``"src.api:handle"`` (or ``"src/api.py:handle"``) -> the function, imported once per process."""
    handler = _handlers.get(spec)
    if handler is not None:
        return handler
    handler = _handlers[spec] = _import(spec)  # the import lock serializes concurrent first imports
    return handler


def _import(spec: str) -> Callable[..., Any]:
    from importlib import import_module

    fill_secret_env()
    module_name, function = _split(spec)
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise SlsnRuntimeError(f"handler module '{module_name}' not found",
                                   hint=f"check 'handler:' of this function; cwd is {os.getcwd()}") from None
        raise
    handler = getattr(module, function, None)
    if handler is None:
        raise SlsnRuntimeError(f"module '{module_name}' has no function '{function}'",
                               hint="check 'handler:' of this function")
    if not callable(handler):
        raise SlsnRuntimeError(f"'{module_name}:{function}' is not callable")
    return handler


def clear_handlers() -> None:
    """Forget imported handlers (hot reload, tests)."""
    global _secrets_filled
    _handlers.clear()
    _secrets_filled = False


def fill_secret_env(env: Any = None, backend: Any = None) -> None:
    """Cold start: set each env var of SLSN_SECRET_ENV from its secret, once per process."""
    global _secrets_filled
    if _secrets_filled:
        return
    env = os.environ if env is None else env
    mapping_text = env.get("SLSN_SECRET_ENV") or ""
    if mapping_text and mapping_text != "{}":
        import json

        mapping = json.loads(mapping_text)
        if mapping:
            if backend is None:
                from sls_neutral.runtime.adapters import get_backend

                backend = get_backend(env.get("SLSN_PROVIDER"))
            for var, secret in sorted(mapping.items()):
                if var not in env:
                    env[var] = backend.secret_read(secret)
    _secrets_filled = True


def context_from_env(request_id: str | None = None, deadline: float | None = None,
                     correlation_id: str | None = None, *, env: Mapping[str, str] | None = None,
                     backend: Any = None) -> Context:
    """A Context from the SLSN_* variables (``env`` defaults to os.environ)."""
    env = os.environ if env is None else env
    if deadline is None and env.get("SLSN_TIMEOUT_MS"):
        import time

        deadline = time.time() + int(env["SLSN_TIMEOUT_MS"]) / 1000.0
    if not request_id:
        import uuid

        request_id = uuid.uuid4().hex
    return Context(request_id, function_name=env.get("SLSN_FUNCTION", ""), service=env.get("SLSN_SERVICE", ""),
                   stage=env.get("SLSN_STAGE", ""), provider=env.get("SLSN_PROVIDER", ""),
                   correlation_id=correlation_id, deadline=deadline, grants=_grants(env.get("SLSN_GRANTS", "")),
                   backend=backend)


_grants_cache: dict[str, Grants] = {}


def _grants(text: str) -> Grants:
    """Parsed once per distinct SLSN_GRANTS (a warm worker serves thousands of calls with one value)."""
    grants = _grants_cache.get(text)
    if grants is None:
        if len(_grants_cache) > 64:
            _grants_cache.clear()
        grants = _grants_cache[text] = Grants(text)
    return grants


def _await(value: Any) -> Any:
    """Async handlers are allowed: run the coroutine to completion on a private loop."""
    if hasattr(value, "__await__"):
        import asyncio

        async def wrap() -> Any:
            return await value

        return asyncio.run(wrap())
    return value


def run_http(handler: Callable[..., Any], request: Any, ctx: Context) -> Any:
    from sls_neutral.runtime.http import Response

    return Response.from_return(_await(handler(request, ctx)))


def run_event(handler: Callable[..., Any], event: Any, ctx: Context) -> None:
    _await(handler(event, ctx))


def run_step(handler: Callable[..., Any], input: Any, ctx: Context) -> Any:
    """The step's result; StepError and every other exception propagate unchanged."""
    return _await(handler(input, ctx))


def error_name(exc: BaseException) -> str:
    if isinstance(exc, StepError):
        return exc.name
    if isinstance(exc, FunctionTimeout):
        return "Timeout"
    return "TaskFailed"


def error_payload(exc: BaseException) -> dict[str, str]:
    """``{"error": NAME, "cause": TEXT}`` as workflows see a failed step."""
    if isinstance(exc, StepError):
        return {"error": exc.name, "cause": exc.message}
    if isinstance(exc, FunctionTimeout):
        return {"error": "Timeout", "cause": str(exc) or "the function ran past its timeout"}
    text = str(exc)
    return {"error": "TaskFailed", "cause": f"{type(exc).__name__}: {text}" if text else type(exc).__name__}


def workflow_input(data: Any, correlation: str) -> dict[str, Any]:
    """A workflow's starting state: the caller's data (a non-object under ``input``) with the correlation id
    in ``_slsn``, so every step's ``ctx.log`` carries the id of the request that started the execution."""
    state = dict(data) if isinstance(data, dict) else {"input": data}
    meta = dict(state.get("_slsn") or {})
    meta.setdefault("correlation_id", correlation)
    state["_slsn"] = meta
    return state
