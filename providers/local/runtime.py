"""The local runtime: HTTP front, dispatchers, worker pool and workflow engine in one event loop.

``deploy`` (foreground or ``--detach``) and ``dev`` both run this; only the
lifecycle around it differs. Handlers run in the worker pool's processes, never
here, so one crashing handler cannot take the runtime down.
"""

from __future__ import annotations

import asyncio
import errno
import inspect
import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Callable

from sls_neutral.core.errors import SlsnError
from sls_neutral.providers.local.logs import FunctionLogs
from sls_neutral.providers.local.store import LocalStore

DEFAULT_PORT = 8787
RUNFILE = "runtime.json"


class PortInUseError(SlsnError):
    pass


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves: TCP_NODELAY (inherited by accepted sockets on Linux) and a clear
    error when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(f"port {port} on {host} is already in use",
                                 hint="stop the other server ('sls-neutral remove' if it is an earlier local "
                                      "deployment) or pick another port with --port") from None
        raise SlsnError(f"cannot listen on {host}:{port}: {exc.strerror}",
                        hint="use --host 127.0.0.1 and a free --port") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def max_body_bytes(app: Any) -> int:
    mb = app.settings("local").get("max_body_mb", 6) if hasattr(app, "settings") else 6
    return int(float(mb) * 1024 * 1024)


def _make_engine(app: Any, store: LocalStore, pool: Any) -> Any:
    """The workflow engine when it is installed, else None (workflow routes then answer 501)."""
    if not app.workflows:
        return None
    try:
        from sls_neutral.core.workflows.engine import StepFailure, WorkflowEngine
    except ImportError:
        return None

    def invoke_step(function: str, input: Any, correlation_id: str | None = None) -> Any:
        result = pool.invoke(function, "step", {"input": input, "correlation_id": correlation_id})
        if isinstance(result, dict) and "error" in result:
            raise StepFailure(result["error"], result.get("cause", ""))
        return result.get("result") if isinstance(result, dict) else result

    return WorkflowEngine(store.db_path, app, invoke_step)


async def _call(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call a sync or async engine method without blocking the loop."""
    if inspect.iscoroutinefunction(fn):
        return await fn(*args, **kwargs)
    return await asyncio.to_thread(fn, *args, **kwargs)


class LocalRuntime:
    def __init__(self, app: Any, state_dir: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 pool: Any = None, sock: socket.socket | None = None):
        self.app = app
        self.state_dir = Path(state_dir)
        self.host = host
        self.port = port
        self.store = LocalStore(self.state_dir)
        self.logs = FunctionLogs(self.state_dir)
        self.pool = pool
        self.engine: Any = None
        self.sock = sock
        self.server: Any = None
        self.dispatchers: Any = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # ------------------------------------------------------------ pieces
    async def _invoke(self, function: str, kind: str, payload: dict) -> dict:
        started = time.perf_counter()
        try:
            result = await self.pool.ainvoke(function, kind, payload)
        except Exception as exc:  # the pool failing is a failed invocation, never a dead runtime
            result = {"error": "TaskFailed", "cause": f"{type(exc).__name__}: {exc}"}
        if kind == "http":
            duration = (time.perf_counter() - started) * 1000
            if "error" in result:
                self.logs.invocation(function, kind, result.get("request_id", ""), duration, "failed",
                                     route=payload.get("route"), error=result["error"],
                                     cause=result.get("cause", ""), correlation_id=payload.get("correlation_id"))
            else:
                self.logs.invocation(function, kind, result.get("request_id", ""), duration, "ok",
                                     route=payload.get("route"), status=result.get("status"),
                                     correlation_id=payload.get("correlation_id"))
        return result

    async def _invoke_http(self, function: str, method: str, path: str, route: str, path_params: dict,
                           query_string: str, headers: dict, correlation_id: str, body: bytes) -> dict:
        """The HTTP front's raw-body call into the pool, logged like ``_invoke``."""
        started = time.perf_counter()
        try:
            result = await self.pool.ainvoke_http(function, method, path, route, path_params, query_string, headers,
                                                  correlation_id, body)
        except Exception as exc:  # noqa: BLE001 - the pool failing is a failed invocation, never a dead runtime
            result = {"error": "TaskFailed", "cause": f"{type(exc).__name__}: {exc}"}
        duration = (time.perf_counter() - started) * 1000
        if "error" in result:
            self.logs.invocation(function, "http", result.get("request_id", ""), duration, "failed", route=route,
                                 error=result["error"], cause=result.get("cause", ""), correlation_id=correlation_id)
        else:
            self.logs.http_ok(function, result["request_id"], duration, route, result["status"], correlation_id)
        return result

    async def _start_workflow(self, workflow: str, data: Any, correlation_id: str | None,
                              execution_id: str | None = None) -> str:
        data = dict(data) if isinstance(data, dict) else {"input": data}
        if correlation_id:
            data.setdefault("_slsn", {})["correlation_id"] = correlation_id
        params = inspect.signature(self.engine.start).parameters
        kwargs: dict[str, Any] = {}
        if execution_id and "execution_id" in params:
            kwargs["execution_id"] = execution_id
        if correlation_id and "correlation_id" in params:
            kwargs["correlation_id"] = correlation_id
        return await _call(self.engine.start, workflow, data, **kwargs)

    def _make_pool(self) -> Any:
        from sls_neutral.providers.local.workers import WorkerPool

        return WorkerPool(self.app, self.state_dir)

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Bind, start workers, engine, dispatchers and the HTTP server; return once it accepts requests."""
        import uvicorn

        from sls_neutral.providers.local.dispatch import Dispatchers
        from sls_neutral.providers.local.routes import Router
        from sls_neutral.providers.local.server import LocalHttpApp, coalescing_httptools_protocol

        if self.sock is None:
            self.sock = bind_socket(self.host, self.port)
        self.port = self.sock.getsockname()[1]
        self.store.configure(self.app)
        if self.pool is None:
            self.pool = self._make_pool()
        starter = getattr(self.pool, "start", None)
        if starter is not None:
            await _call(starter)
        self.engine = _make_engine(self.app, self.store, self.pool)
        if self.engine is not None:
            runner = getattr(self.engine, "start_driver", None) or getattr(self.engine, "run_background", None)
            if runner is not None:
                await _call(runner)
        start_workflow = self._start_workflow if self.engine is not None else None
        invoke_http = self._invoke_http if hasattr(self.pool, "ainvoke_http") else None
        http_app = LocalHttpApp(Router.from_app(self.app), self._invoke, start_workflow, max_body_bytes(self.app),
                                invoke_http=invoke_http)
        # proxy_headers off: nothing here reads the client address, and the middleware is a layer per request
        config = uvicorn.Config(http_app, lifespan="off", log_level="warning", access_log=False,
                                http=coalescing_httptools_protocol() if _has("httptools") else "h11",
                                proxy_headers=False,
                                loop="none", timeout_keep_alive=30, server_header=False, date_header=False)
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None  # the owner of the loop handles signals
        self._serve_task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            if self._serve_task.done():
                self._serve_task.result()
                raise SlsnError("the local HTTP server stopped during start-up")
            await asyncio.sleep(0.01)
        self.dispatchers = Dispatchers(self.app, self.store, self._invoke, self.logs, start_workflow)
        self.dispatchers.start()

    async def stop(self) -> None:
        if self.dispatchers is not None:
            await self.dispatchers.stop()
        if self.server is not None:
            self.server.should_exit = True
            try:
                await asyncio.wait_for(self._serve_task, 5)
            except (asyncio.TimeoutError, Exception):
                pass
        if self.engine is not None:
            closer = getattr(self.engine, "close", None) or getattr(self.engine, "stop", None)
            if closer is not None:
                try:
                    await _call(closer)
                except Exception:
                    pass
        if self.pool is not None:
            try:
                await _call(getattr(self.pool, "aclose", None) or self.pool.close)
            except Exception:
                pass
        self.logs.close()

    async def restart_workers(self) -> None:
        await _call(getattr(self.pool, "arestart", None) or self.pool.restart)

    def write_runfile(self) -> Path:
        path = self.state_dir / RUNFILE
        data = {"pid": os.getpid(), "host": self.host, "port": self.port, "url": self.url,
                "started": time.time(), "service": self.app.service, "stage": self.app.stage}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
        return path


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def run_forever(app: Any, state_dir: Path, host: str, port: int, *, on_ready: Callable[[LocalRuntime], None] | None
                = None, runfile: bool = False) -> None:
    """Serve until SIGINT/SIGTERM (uvloop when installed)."""
    import signal

    async def main() -> None:
        runtime = LocalRuntime(app, state_dir, host, port, sock=bind_socket(host, port))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await runtime.start()
            if runfile:
                runtime.write_runfile()
            if on_ready is not None:
                on_ready(runtime)
            await stop.wait()
        finally:
            await runtime.stop()
            if runfile:
                try:
                    (Path(state_dir) / RUNFILE).unlink()
                except FileNotFoundError:
                    pass

    run_loop(main())


def run_loop(coro: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)
