"""The local HTTP front: a plain ASGI app that routes requests to worker processes.

No framework on purpose: the hot path is route match -> read body -> one call
to the worker pool -> send, and every layer on it costs requests per second.
Handlers never run in this process; the pool isolates them (memory, timeout,
crashes). Workflow routes start an execution through the workflow engine and
answer 202 with its id.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any, Awaitable, Callable

from sls_neutral.providers.local.routes import Router

Invoke = Callable[[str, str, dict], Awaitable[dict]]
# (function, method, path, route, path_params, query_string, headers, correlation_id, body) ->
# {"status", "headers", "body": bytes, "request_id"} or {"error", "cause"}: the raw-body fast path
InvokeHttp = Callable[[str, str, str, str, dict, str, dict, str, bytes], Awaitable[dict]]
StartWorkflow = Callable[[str, Any, str], Awaitable[str]]  # (workflow, input, correlation id) -> execution id

CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-headers", b"Content-Type,Authorization,X-Requested-With,X-Correlation-Id"),
    (b"access-control-allow-methods", b"GET,POST,PUT,PATCH,DELETE,OPTIONS,HEAD"),
    (b"access-control-max-age", b"600"),
]


class CoalescingTransport:
    """A transport that hands the socket one write per loop turn.

    uvicorn writes a response's status line and headers, then its body, as two sends; on loopback each send
    runs the whole TCP path and wakes the client, so joining them saves a syscall and a segment per request.
    Everything but writing is the wrapped transport's own.
    """

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: Any, loop: Any):
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if self._pending is None:
            self._pending = [data]
            self._loop.call_soon(self._flush)
        else:
            self._pending.append(data)

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._pending = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def coalescing_httptools_protocol() -> type:
    """uvicorn's httptools protocol over a ``CoalescingTransport`` (pass as ``uvicorn.Config(http=...)``)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class CoalescingHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(CoalescingTransport(transport, self.loop))

    return CoalescingHttpToolsProtocol


def _json_response(status: int, data: Any, extra: list[tuple[bytes, bytes]] | None = None):
    body = json.dumps(data, sort_keys=True).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return status, headers + (extra or []), body


class LocalHttpApp:
    """ASGI application; ``invoke`` and ``start_workflow`` are injected by the runtime."""

    def __init__(self, router: Router, invoke: Invoke, start_workflow: StartWorkflow | None,
                 max_body: int = 6 * 1024 * 1024, on_error: Callable[[str, str], None] | None = None,
                 invoke_http: InvokeHttp | None = None):
        self.router = router
        self.invoke = invoke
        self.invoke_http = invoke_http  # when the pool takes raw bodies; else ``invoke`` with body_b64
        self.start_workflow = start_workflow
        self.max_body = max_body
        self.on_error = on_error

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        status, headers, body = await self.handle(scope, receive)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    async def handle(self, scope: dict, receive: Callable) -> tuple[int, list, bytes]:
        method = scope["method"]
        path = scope["path"]
        match = self.router.match(method, path)
        raw_headers = scope["headers"]
        if method == "OPTIONS" and match.cors and any(k == b"access-control-request-method" for k, _ in raw_headers):
            return 204, list(CORS_HEADERS), b""
        if match.route is None:
            if match.allowed:
                allow = ", ".join(match.allowed).encode()
                return _json_response(405, {"error": "method not allowed", "allowed": list(match.allowed)},
                                      [(b"allow", allow)])
            return _json_response(404, {"error": "not found", "path": path})
        route = match.route
        cors = list(CORS_HEADERS[:1]) if route.cors else []

        for key, value in raw_headers:
            if key == b"content-length" and value.isdigit() and int(value) > self.max_body:
                return self._too_large(cors)
        message = await receive()  # usually the whole body at once
        if message["type"] == "http.disconnect":
            return 499, [], b""
        body = message.get("body", b"")
        if len(body) > self.max_body:
            return self._too_large(cors)
        if message.get("more_body", False):
            chunks = [body]
            size = len(body)
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return 499, [], b""
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    return self._too_large(cors)
                if chunk:
                    chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)

        headers: dict[str, str] = {}
        for key, value in raw_headers:
            name = key.decode("latin-1")
            text = value.decode("latin-1")
            headers[name] = f"{headers[name]},{text}" if name in headers else text
        correlation_id = headers.get("x-correlation-id") or uuid.uuid4().hex

        if route.target_kind == "workflow":
            return await self._start_workflow(route.target, body, correlation_id, cors)

        query = scope.get("query_string", b"").decode("latin-1")
        if self.invoke_http is not None:
            result = await self.invoke_http(route.target, method, path, route.label, match.params, query, headers,
                                            correlation_id, body)
        else:
            payload = {
                "method": method, "path": path, "route": route.label, "path_params": match.params,
                "query_string": query, "headers": headers,
                "body_b64": base64.b64encode(body).decode("ascii"), "correlation_id": correlation_id,
            }
            result = await self.invoke(route.target, "http", payload)
            if "status" in result:
                result = {**result, "body": base64.b64decode(result.get("body_b64") or "")}
        if "status" not in result:
            error = result.get("error", "TaskFailed")
            cause = result.get("cause", "")
            if error == "TaskFailed" and cause.startswith("PermissionDenied"):
                error = "PermissionDenied"  # say why plainly: the handler used a resource it did not declare
            if self.on_error is not None:
                self.on_error(route.target, f"{error}: {cause}")
            status = 504 if error == "Timeout" else 500
            return _json_response(status, {"error": error, "message": "the function failed; see its log",
                                           "request_id": result.get("request_id", "")}, cors)
        resp_body = result["body"]
        out_headers = [(k.lower().encode("latin-1"), str(v).encode("latin-1"))
                       for k, v in (result.get("headers") or {}).items() if k.lower() != "content-length"]
        out_headers.append((b"content-length", str(len(resp_body)).encode()))
        out_headers.append((b"x-correlation-id", correlation_id.encode("latin-1")))
        if cors:
            out_headers += cors
        return int(result["status"]), out_headers, resp_body

    def _too_large(self, cors: list) -> tuple[int, list, bytes]:
        return _json_response(413, {"error": "request body too large", "limit_bytes": self.max_body}, cors)

    async def _start_workflow(self, workflow: str, body: bytes, correlation_id: str, cors: list):
        if self.start_workflow is None:
            return _json_response(501, {"error": "workflows are not available in this runtime",
                                        "message": "the local workflow engine is not installed in this build; "
                                                   "run the workflow on a cloud provider or update sls-neutral"},
                                  cors)
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            return _json_response(400, {"error": "workflow input must be a JSON body"}, cors)
        execution_id = await self.start_workflow(workflow, data, correlation_id)
        return _json_response(202, {"execution_id": execution_id}, cors)
