"""``sls-neutral invoke -p local``: the input a function's trigger would send, and one run in this process.

``synthesize`` turns ``--data`` into exactly the payload the local runtime would
hand a worker (an HTTP request on the function's first route, a CloudEvent of the
trigger's type, or a step input), so ``invoke`` exercises the same code path as
real traffic. ``invoke_in_process`` then runs the handler once here, with the
function's environment and grants applied and restored afterwards.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from sls_neutral.core import ir
from sls_neutral.core.errors import SlsnError

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}")


def _function(app: Any, name: str) -> Any:
    fn = app.functions.get(name)
    if fn is None:
        from sls_neutral.core.errors import did_you_mean

        raise SlsnError(f"function '{name}' is not declared",
                        hint=did_you_mean(name, app.functions) or "see 'sls-neutral info -p local'")
    return fn


def _fill_path(path: str, data: Any, function: str) -> tuple[str, dict[str, str]]:
    params: dict[str, str] = {}
    missing: list[str] = []

    def fill(match: re.Match) -> str:
        name, greedy = match.group(1), match.group(2)
        if isinstance(data, dict) and name in data and data[name] is not None:
            value = str(data[name])
            params[name] = value
            from urllib.parse import quote

            return quote(value, safe="/" if greedy else "")
        missing.append(name)
        return match.group(0)

    filled = _PARAM.sub(fill, path)
    if missing:
        example = json.dumps({m: "..." for m in missing})
        raise SlsnError(f"the route {path} of '{function}' needs {', '.join(missing)}",
                        hint=f"pass them in --data, e.g. --data '{example}'")
    return filled, params


def _http(app: Any, fn: Any, trigger: Any, data: Any) -> dict[str, Any]:
    path, params = _fill_path(trigger.path, data, fn.name)
    method = trigger.method.upper()
    if method == "ANY":
        method = "GET" if data is None else "POST"
    body = b"" if data is None else json.dumps(data, separators=(",", ":")).encode("utf-8")
    headers = {"content-type": "application/json"} if body else {}
    headers["user-agent"] = "sls-neutral-invoke"
    import uuid

    return {"method": method, "path": path, "route": f"{trigger.method} {trigger.path}", "path_params": params,
            "query_string": "", "headers": headers, "body_b64": base64.b64encode(body).decode("ascii"),
            "correlation_id": uuid.uuid4().hex}


def _bucket_data(trigger: Any, data: Any, function: str) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("key"), str):
        raise SlsnError(f"'{function}' is triggered by bucket '{trigger.bucket}': --data needs the object key",
                        hint='e.g. --data \'{"key": "uploads/cat.jpg"}\'')
    return {"bucket": trigger.bucket, "key": data["key"], "size": int(data.get("size", 0)),
            "etag": str(data.get("etag", ""))}


def synthesize(app: Any, function_name: str, data: Any) -> tuple[str, Any]:
    """(kind, payload) for ``function_name`` as its first trigger would call it, from ``--data``."""
    from sls_neutral.providers.local import payloads

    fn = _function(app, function_name)
    service = app.service
    for trigger in fn.triggers:
        if isinstance(trigger, ir.HttpTrigger):
            return "http", _http(app, fn, trigger, data)
        if isinstance(trigger, ir.QueueTrigger):
            payload = payloads.event("sls.queue.message", f"//sls-neutral/{service}/queues/{trigger.queue}",
                                     None, data)
            payload["event"]["subject"] = payload["event"]["id"]
            payload["event"]["receivecount"] = 1
            return "event", payload
        if isinstance(trigger, ir.TopicTrigger):
            payload = payloads.event("sls.topic.message", f"//sls-neutral/{service}/topics/{trigger.topic}",
                                     None, data)
            payload["event"]["subject"] = payload["event"]["id"]
            return "event", payload
        if isinstance(trigger, ir.BucketTrigger):
            kind = "deleted" if (isinstance(data, dict) and data.get("event") == "deleted") or \
                "created" not in trigger.events else "created"
            info = _bucket_data(trigger, data, fn.name)
            return "event", payloads.event(f"sls.bucket.object.{kind}",
                                           f"//sls-neutral/{service}/buckets/{trigger.bucket}", info["key"], info)
        if isinstance(trigger, ir.ScheduleTrigger):
            import time

            now = time.time()
            return "event", payloads.schedule_event(service, fn.name, now, trigger.data if data is None else data)
    return "step", {"input": data, "correlation_id": None}


class _Applied:
    """The function's environment, cwd and import path for one in-process run, restored afterwards."""

    def __init__(self, env: dict[str, str], root: Path):
        self.env = env
        self.root = root

    def __enter__(self) -> "_Applied":
        self.saved_env = dict(os.environ)
        self.saved_cwd = os.getcwd()
        self.saved_path = list(sys.path)
        self.saved_modules = set(sys.modules)
        os.environ.clear()
        os.environ.update(self.env)
        os.chdir(self.root)
        sys.path.insert(0, str(self.root))
        return self

    def __exit__(self, *exc: Any) -> None:
        os.environ.clear()
        os.environ.update(self.saved_env)
        os.chdir(self.saved_cwd)
        sys.path[:] = self.saved_path
        root = str(self.root)
        for name in set(sys.modules) - self.saved_modules:  # the user's modules: the next run imports afresh
            module = sys.modules.get(name)
            if str(getattr(module, "__file__", "") or "").startswith(root):
                del sys.modules[name]


def _deadline_alarm(seconds: float) -> Any:
    """SIGALRM -> FunctionTimeout inside the handler (only possible on the main thread)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return None

    def expire(signum: int, frame: Any) -> None:
        from sls_neutral.runtime.errors import FunctionTimeout

        raise FunctionTimeout(f"ran longer than its timeout of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)

    def cancel() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    return cancel


def invoke_in_process(app: Any, function_name: str, data: Any, state_dir: Path | str | None = None, *,
                      root: Path | str | None = None) -> dict[str, Any]:
    """Run ``function_name`` once here, as its trigger would, and return what it produced.

    http -> ``{"status", "headers", "body"}`` (body JSON-decoded or text; ``body_b64`` when binary);
    event -> ``{"ok": true}``; step -> ``{"result": ...}``; a failure -> ``{"error", "cause"}``.
    """
    from sls_neutral.providers.local.worker_main import invoke
    from sls_neutral.providers.local.workers import function_env, service_root
    from sls_neutral.runtime import dispatch
    from sls_neutral.runtime.adapters.local import LocalBackend

    fn = _function(app, function_name)
    if state_dir is None:
        base = Path(root) if root is not None else service_root(app, Path.cwd())
        state_dir = base / ".sls-neutral" / "local" / app.stage
    state_dir = Path(state_dir)
    service = Path(root).resolve() if root is not None else service_root(app, state_dir)
    kind, payload = synthesize(app, function_name, data)
    backend = LocalBackend(state_dir)
    saved_handlers = dict(dispatch._handlers)
    saved_filled = dispatch._secrets_filled
    with _Applied(function_env(app, fn, state_dir), service):
        dispatch._handlers.clear()
        cancel = None
        try:
            dispatch._secrets_filled = False
            dispatch.fill_secret_env(os.environ, backend=backend)
            handler = dispatch.load_handler(os.environ["SLSN_HANDLER"])
            cancel = _deadline_alarm(float(fn.timeout))
            result = invoke(dispatch, handler, kind, payload, backend=backend)  # this run's store
        except Exception as exc:  # noqa: BLE001 - the handler's failure is the invocation's result
            if os.environ.get("SLSN_DEBUG"):
                import traceback

                traceback.print_exc()
            result = dispatch.error_payload(exc)
        finally:
            if cancel is not None:
                cancel()
            dispatch._handlers.clear()
            dispatch._handlers.update(saved_handlers)
            dispatch._secrets_filled = saved_filled
    return _readable(kind, result)


def _readable(kind: str, result: dict[str, Any]) -> dict[str, Any]:
    result = dict(result)
    result.pop("request_id", None)
    if kind != "http" or "body_b64" not in result:
        return result
    body = base64.b64decode(result.pop("body_b64"))
    content_type = str(result.get("headers", {}).get("content-type", ""))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        result["body_b64"] = base64.b64encode(body).decode("ascii")
        return result
    if "json" in content_type:
        try:
            result["body"] = json.loads(text) if text else None
            return result
        except ValueError:
            pass
    result["body"] = text
    return result
