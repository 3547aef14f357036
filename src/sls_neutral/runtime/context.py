"""The per-invocation context: identity, deadline, logging and permission-checked resource clients.

Clients check the function's grants (``SLSN_GRANTS``) before the backend sees a
call, so using an undeclared resource fails the same way on every provider,
the local one included, instead of surfacing as a cloud IAM error after deploy.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping

from sls_neutral.runtime.errors import InvalidKey, PermissionDenied

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~2 ms at import; annotations are strings anyway
    from typing import Any

CORRELATION_ATTRIBUTE = "slsn-correlation-id"
MAX_KEY_LENGTH = 1024
NO_DEADLINE_MS = 2**31 - 1


# ---------------------------------------------------------------- grants
class Grants:
    """The scopes ``kind:name:action`` a function holds; ``*`` matches only where the grant itself says ``*``."""

    __slots__ = ("scopes",)

    def __init__(self, scopes: Any = ()):
        if isinstance(scopes, str):
            scopes = scopes.split(",")
        parsed = set()
        for scope in scopes:
            parts = scope.strip().split(":")
            if len(parts) == 3 and all(parts):
                parsed.add((parts[0], parts[1], parts[2]))
        self.scopes = frozenset(parsed)

    def allows(self, kind: str, name: str, action: str) -> bool:
        return any(k == kind and n in ("*", name) and a in ("*", action) for k, n, a in self.scopes)

    def check(self, kind: str, name: str, action: str, function: str) -> None:
        if not self.allows(kind, name, action):
            raise PermissionDenied(
                f"function '{function}' may not {action} {kind} '{name}': add '{kind}:{name}:{action}' to its "
                f"permissions in sls-neutral.yaml")

    def __repr__(self) -> str:
        return f"Grants({sorted(':'.join(s) for s in self.scopes)})"


def validate_key(key: Any, *, prefix: bool = False) -> str:
    """Refuse object keys that could escape a bucket folder or mean different things on different clouds."""
    what = "prefix" if prefix else "object key"
    if not isinstance(key, str):
        raise InvalidKey(f"{what} must be a string, not {type(key).__name__}")
    if not key and not prefix:
        raise InvalidKey("object key must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"{what} is {len(key)} characters long; the limit is {MAX_KEY_LENGTH}")
    if "\x00" in key:
        raise InvalidKey(f"{what} {key!r} contains a NUL character")
    if "\\" in key:
        raise InvalidKey(f"{what} {key!r} contains a backslash; use '/' to separate folders")
    if key.startswith("/"):
        raise InvalidKey(f"{what} {key!r} starts with '/'; keys are relative ('photos/1.jpg')")
    if ".." in key.split("/"):
        raise InvalidKey(f"{what} {key!r} has a '..' segment")
    return key


def _resource_name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not name or "*" in name:
        raise ValueError(f"{kind} name must be a declared {kind}'s name, not {name!r}")
    return name


def _encode(body: Any) -> tuple[bytes, str]:
    """Bodies that are not bytes/str travel as JSON; returns (bytes, content type)."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body), "application/octet-stream"
    if isinstance(body, str):
        return body.encode("utf-8"), "text/plain; charset=utf-8"
    import json

    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"), \
        "application/json"


# ---------------------------------------------------------------- logging
def _iso_now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


class Logger:
    """``ctx.log``: one JSON line per call on stderr, carrying the correlation id across services."""

    __slots__ = ("function", "request_id", "correlation_id", "stream")

    def __init__(self, function: str, request_id: str, correlation_id: str, stream: Any = None):
        self.function = function
        self.request_id = request_id
        self.correlation_id = correlation_id
        self.stream = stream  # None = sys.stderr at write time (so redirection keeps working)

    def _emit(self, level: str, message: Any, fields: dict[str, Any]) -> None:
        import json

        record = {"level": level, "message": str(message), "function": self.function,
                  "request_id": self.request_id, "correlation_id": self.correlation_id, "time": _iso_now()}
        for key, value in fields.items():
            record.setdefault(key, value)  # the identity fields cannot be overwritten by accident
        stream = self.stream or sys.stderr
        stream.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
        stream.flush()

    def debug(self, message: Any, **fields: Any) -> None:
        self._emit("debug", message, fields)

    def info(self, message: Any, **fields: Any) -> None:
        self._emit("info", message, fields)

    def warning(self, message: Any, **fields: Any) -> None:
        self._emit("warning", message, fields)

    def error(self, message: Any, **fields: Any) -> None:
        self._emit("error", message, fields)

    warn = warning


# ---------------------------------------------------------------- clients
class BucketClient:
    __slots__ = ("_ctx", "name")

    def __init__(self, ctx: "Context", name: str):
        self._ctx = ctx
        self.name = name

    def put(self, key: str, data: bytes | str | Any, content_type: str | None = None) -> None:
        self._ctx._check("bucket", self.name, "write")
        key = validate_key(key)
        body, default_type = _encode(data)
        self._ctx.backend.bucket_put(self.name, key, body, content_type or default_type)

    def get(self, key: str) -> bytes:
        self._ctx._check("bucket", self.name, "read")
        return self._ctx.backend.bucket_get(self.name, validate_key(key))

    def delete(self, key: str) -> None:
        self._ctx._check("bucket", self.name, "delete")
        self._ctx.backend.bucket_delete(self.name, validate_key(key))

    def list(self, prefix: str = "") -> list[str]:
        self._ctx._check("bucket", self.name, "list")
        return self._ctx.backend.bucket_list(self.name, validate_key(prefix, prefix=True))


class QueueClient:
    __slots__ = ("_ctx", "name")

    def __init__(self, ctx: "Context", name: str):
        self._ctx = ctx
        self.name = name

    def send(self, body: Any, delay: float = 0) -> str:
        self._ctx._check("queue", self.name, "send")
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise ValueError(f"delay must be a number of seconds >= 0, not {delay!r}")
        data, _ = _encode(body)
        return self._ctx.backend.queue_send(self.name, data, float(delay),
                                            {CORRELATION_ATTRIBUTE: self._ctx.correlation_id})


class TopicClient:
    __slots__ = ("_ctx", "name")

    def __init__(self, ctx: "Context", name: str):
        self._ctx = ctx
        self.name = name

    def publish(self, data: Any, attributes: Mapping[str, Any] | None = None) -> str:
        self._ctx._check("topic", self.name, "publish")
        body, _ = _encode(data)
        attrs = {str(k): str(v) for k, v in (attributes or {}).items()}
        attrs[CORRELATION_ATTRIBUTE] = self._ctx.correlation_id
        return self._ctx.backend.topic_publish(self.name, body, attrs)


class WorkflowClient:
    __slots__ = ("_ctx", "name")

    def __init__(self, ctx: "Context", name: str):
        self._ctx = ctx
        self.name = name

    def start(self, input: Any = None) -> str:
        """Start an execution; the correlation id rides along under ``_slsn.correlation_id``."""
        self._ctx._check("workflow", self.name, "start")
        data = dict(input) if isinstance(input, Mapping) else ({} if input is None else {"input": input})
        meta = dict(data.get("_slsn") or {})
        meta["correlation_id"] = self._ctx.correlation_id
        data["_slsn"] = meta
        return self._ctx.backend.workflow_start(self.name, data)


# ---------------------------------------------------------------- the context
class Context:
    """Who is running, until when, and the clients this function may use."""

    def __init__(self, request_id: str, function_name: str = "", service: str = "", stage: str = "",
                 provider: str = "", correlation_id: str | None = None, deadline: float | None = None,
                 grants: Grants | str | Any = (), backend: Any = None, log_stream: Any = None):
        self.request_id = request_id
        self.function_name = function_name
        self.service = service
        self.stage = stage
        self.provider = provider
        self.correlation_id = correlation_id or request_id
        self.deadline = deadline  # epoch seconds
        self.grants = grants if isinstance(grants, Grants) else Grants(grants)
        self._backend = backend
        self.log = Logger(function_name, request_id, self.correlation_id, log_stream)

    def remaining_time_ms(self) -> int:
        if self.deadline is None:
            return NO_DEADLINE_MS
        return max(0, int((self.deadline - time.time()) * 1000))

    @property
    def backend(self) -> Any:
        if self._backend is None:
            from sls_neutral.runtime.adapters import get_backend

            self._backend = get_backend()
        return self._backend

    def _check(self, kind: str, name: str, action: str) -> None:
        self.grants.check(kind, name, action, self.function_name or "this function")

    def bucket(self, name: str) -> BucketClient:
        return BucketClient(self, _resource_name("bucket", name))

    def queue(self, name: str) -> QueueClient:
        return QueueClient(self, _resource_name("queue", name))

    def topic(self, name: str) -> TopicClient:
        return TopicClient(self, _resource_name("topic", name))

    def workflow(self, name: str) -> WorkflowClient:
        return WorkflowClient(self, _resource_name("workflow", name))

    def secret(self, name: str) -> str:
        name = _resource_name("secret", name)
        self._check("secret", name, "read")
        return self.backend.secret_read(name)

    def __repr__(self) -> str:
        return (f"Context(function={self.function_name!r}, request_id={self.request_id!r}, "
                f"provider={self.provider!r}, stage={self.stage!r})")


def env_value(env: Mapping[str, str] | None, name: str, default: str = "") -> str:
    return (os.environ if env is None else env).get(name, default)
