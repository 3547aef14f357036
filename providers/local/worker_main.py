"""One local execution environment: ``python -m sls_neutral.providers.local.worker_main FD ROOT LOG LIMIT``.

Started by the WorkerPool with the function's environment. It caps its own
address space (RLIMIT_AS) before any user code runs, imports the handler once
(the cold start), reports ready, then serves invocations one at a time over the
inherited Unix socket FD. Its stdout and stderr go to the function's log file as
JSON lines.

Frames, both ways: ``>I`` length of the rest, one kind byte, ``>I`` length of a
small JSON part, the JSON part, then raw bytes. HTTP bodies travel raw (no
base64, no JSON escaping of the body), requests as ``[method, path, route,
path_params, query_string, headers, correlation_id]`` and answers as ``[status,
headers, request_id]``; events and steps as their JSON payload and result.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import sys
import traceback

HEADER = struct.Struct(">I")
PREFIX = struct.Struct(">IBI")  # length of the rest, kind, length of the JSON part
KIND_HTTP, KIND_EVENT, KIND_STEP = 0x68, 0x65, 0x73  # calls: b"h" b"e" b"s"
ANSWER_HTTP, ANSWER_JSON = 0x48, 0x4A  # b"H": [status, headers, request_id] + raw body; b"J": a JSON dict
KINDS = {KIND_HTTP: "http", KIND_EVENT: "event", KIND_STEP: "step"}
_exit = os._exit  # kept before user code can monkeypatch os
_dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode
_loads = json.loads


class FrameReader:
    """Frames from a socket; one recv usually brings a whole frame (one syscall per call)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = b""
        # recv(n) allocates n bytes per call, and glibc serves 256 KB by mmap/munmap: ~14 us per call against
        # ~1 us for recv_into a buffer kept for the life of the worker
        self.scratch = bytearray(262144)
        self.view = memoryview(self.scratch)

    def read(self) -> tuple[int, bytes, bytes] | None:
        """(kind, JSON part, raw part) of the next frame; None once the pool closed the socket."""
        buf = self.buf
        while True:
            have = len(buf)
            if have >= PREFIX.size:
                size, kind, meta_size = PREFIX.unpack_from(buf)
                end = HEADER.size + size
                if have >= end:
                    meta_end = PREFIX.size + meta_size
                    self.buf = buf[end:]
                    return kind, buf[PREFIX.size:meta_end], buf[meta_end:end]
                if end - have > len(self.scratch):  # a big body: read the rest straight into one buffer
                    whole = bytearray(end)
                    whole[:have] = buf
                    view = memoryview(whole)
                    while have < end:
                        got = self.sock.recv_into(view[have:])
                        if not got:
                            return None
                        have += got
                    buf = bytes(whole)
                    continue
            got = self.sock.recv_into(self.scratch)
            if not got:
                return None
            chunk = self.view[:got].tobytes()
            buf = buf + chunk if buf else chunk


def frame(kind: int, meta: bytes, raw: bytes = b"") -> bytes:
    return PREFIX.pack(5 + len(meta) + len(raw), kind, len(meta)) + meta + raw


def write_frame(sock: socket.socket, message: dict) -> None:
    sock.sendall(frame(ANSWER_JSON, _dumps(message).encode("utf-8")))


class LogStream:
    """stdout/stderr of user code as JSON lines in the function log; ctx.log lines pass through unchanged."""

    def __init__(self, fd: int, function: str, stream: str):
        self.fd = fd
        self.function = function
        self.stream = stream
        self.pending = ""
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, text: str) -> int:
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            self._emit(line)
        return len(text)

    def _emit(self, line: str) -> None:
        if not line.strip():
            return
        if not line.startswith("{"):
            from sls_neutral.runtime.context import _iso_now

            line = json.dumps({"time": _iso_now(), "function": self.function, "level": "info",
                               "message": line, "stream": self.stream}, sort_keys=True)
        os.write(self.fd, (line + "\n").encode("utf-8", "replace"))

    def flush(self) -> None:
        if self.pending:
            line, self.pending = self.pending, ""
            self._emit(line)

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.fd


def limit_memory(limit_bytes: int) -> None:
    if limit_bytes > 0:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def redirect_output(log_path: str, function: str) -> None:
    if not log_path:
        return
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)  # C-level output (faulthandler, extension modules) lands in the log too
    os.dup2(fd, 2)
    sys.stdout = LogStream(fd, function, "stdout")
    sys.stderr = LogStream(fd, function, "stderr")


def serve(sock: socket.socket, handler, function: str, limit_mb: int) -> None:
    from sls_neutral.runtime import dispatch

    frames = FrameReader(sock)
    env = {k: v for k, v in os.environ.items() if k.startswith("SLSN_")}  # read once, not per call
    sendall = sock.sendall
    while True:
        got = frames.read()
        if got is None:
            return  # the pool closed our socket: exit quietly
        kind, meta, raw = got
        retire = False
        answer = None  # an HTTP answer, already framed
        try:
            if kind == KIND_HTTP:
                answer = invoke_http(dispatch, handler, meta, raw, env)
            else:
                result = invoke(dispatch, handler, KINDS.get(kind, str(kind)), _loads(meta) if meta else None,
                                env=env)
        except MemoryError:
            result = {"error": "TaskFailed",
                      "cause": f"MemoryError: function '{function}' exceeded its memory limit ({limit_mb} MB); "
                               f"raise 'memory:' in sls-neutral.yaml"}
            retire = True  # the heap may be in any state: start afresh
        except BaseException as exc:  # noqa: BLE001 - a handler's failure is the call's result, never the worker's
            traceback.print_exc()
            sys.stderr.flush()
            result = dispatch.error_payload(exc)
            retire = isinstance(exc, (SystemExit, KeyboardInterrupt))
        else:
            if answer is not None:
                sendall(answer)
                continue
        if retire:
            result["retire"] = True
        try:
            write_frame(sock, result)
        except (TypeError, ValueError) as exc:
            write_frame(sock, {"error": "TaskFailed", "cause": f"the result is not JSON-serializable: {exc}"})
        if retire:
            return


def invoke_http(dispatch, handler, meta: bytes, body: bytes, env) -> bytes:
    """One HTTP invocation from a raw frame, answered as a raw frame (the hot path: no base64, no big dicts)."""
    from sls_neutral.runtime.http import Request

    method, path, route, path_params, query, headers, correlation = _loads(meta)
    request = Request(method=method, path=path, path_params=path_params, query=query, headers=headers, body=body,
                      route=route)
    ctx = dispatch.context_from_env(None, correlation_id=correlation or _header(headers, "x-correlation-id"),
                                    env=env)
    response = dispatch.run_http(handler, request, ctx)
    out_headers = {k: (", ".join(v) if isinstance(v, list) else v) for k, v in response.headers.items()}
    return frame(ANSWER_HTTP, _dumps([response.status, out_headers, ctx.request_id]).encode("utf-8"),
                 response.body_bytes())


def invoke(dispatch, handler, kind: str, payload, backend=None, env=None) -> dict:
    """One invocation in this process; ``backend`` overrides the process-wide one (in-process invoke)."""
    if kind == "http":
        from sls_neutral.runtime.http import Request

        headers = payload.get("headers") or {}
        correlation = payload.get("correlation_id") or _header(headers, "x-correlation-id")
        request = Request(method=payload.get("method", "GET"), path=payload.get("path", "/"),
                          path_params=payload.get("path_params"),
                          query=payload.get("query", payload.get("query_string", "")), headers=headers,
                          body=base64.b64decode(payload.get("body_b64") or ""), route=payload.get("route", ""))
        ctx = dispatch.context_from_env(None, correlation_id=correlation, env=env, backend=backend)
        response = dispatch.run_http(handler, request, ctx)
        out_headers = {k: (", ".join(v) if isinstance(v, list) else v) for k, v in response.headers.items()}
        return {"status": response.status, "headers": out_headers,
                "body_b64": base64.b64encode(response.body_bytes()).decode("ascii"), "request_id": ctx.request_id}
    if kind == "event":
        from sls_neutral.runtime.events import Event

        data = payload.get("event", payload) if isinstance(payload, dict) else payload
        event = Event.from_dict(data)
        correlation = payload.get("correlation_id") if isinstance(payload, dict) else None
        ctx = dispatch.context_from_env(None, correlation_id=correlation, env=env, backend=backend)
        dispatch.run_event(handler, event, ctx)
        return {"ok": True, "request_id": ctx.request_id}
    if kind == "step":
        step_input, correlation = split_step_payload(payload)
        ctx = dispatch.context_from_env(None, correlation_id=correlation, env=env, backend=backend)
        result = dispatch.run_step(handler, step_input, ctx)
        json.dumps(result)  # fail here, as the step's error, rather than in the frame writer
        return {"result": result, "request_id": ctx.request_id}
    raise ValueError(f"unknown invocation kind {kind!r} (expected http, event or step)")


def split_step_payload(payload):
    """``{"input", "correlation_id"}`` envelopes (the engine's) or a bare input; the id also rides in ``_slsn``."""
    if isinstance(payload, dict) and "input" in payload and set(payload) <= {"input", "correlation_id"}:
        step_input, correlation = payload["input"], payload.get("correlation_id")
    else:
        step_input, correlation = payload, None
    if not correlation and isinstance(step_input, dict):
        meta = step_input.get("_slsn")
        if isinstance(meta, dict):
            correlation = meta.get("correlation_id")
    return step_input, correlation


def _header(headers: dict, name: str):
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def main(argv: list[str]) -> None:
    fd, root, log_path, limit_mb = int(argv[0]), argv[1], argv[2], int(argv[3])
    limit_bytes = int(argv[4]) if len(argv) > 4 else 0
    sock = socket.socket(fileno=fd)
    function = os.environ.get("SLSN_FUNCTION", "")
    redirect_output(log_path, function)
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        limit_memory(limit_bytes)
        from sls_neutral.runtime import dispatch

        handler = dispatch.load_handler(os.environ["SLSN_HANDLER"])
    except BaseException as exc:  # noqa: BLE001 - report any cold-start failure to the pool
        traceback.print_exc()
        sys.stderr.flush()
        write_frame(sock, {"ready": False, "error": "TaskFailed",
                           "cause": f"the handler of '{function}' failed to load: {type(exc).__name__}: {exc}"})
        _exit(1)
    write_frame(sock, {"ready": True, "pid": os.getpid()})
    serve(sock, handler, function, limit_mb)
    sys.stdout.flush()
    sys.stderr.flush()
    _exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
