"""Warm worker processes per function: the local execution environments.

Each worker is its own Python process (``worker_main``) started with the service
root as cwd and on sys.path, the function's environment and the SLSN_* variables.
It imports the handler once and then serves many invocations, like a warm Lambda
or Cloud Run instance, so the per-call cost is one small frame each way over a
Unix socket pair.

Limits are enforced the way a cloud does it: memory through RLIMIT_AS in the
child (the function's memory plus ``INTERPRETER_ALLOWANCE_MB`` for the
interpreter, shared libraries and allocator slack -- address space, not RSS, is
what the kernel can cap per process), the timeout by the parent killing the
worker. A crash (segfault, ``os._exit``, MemoryError) fails only the call in
flight; a fresh worker replaces the dead one.

Waiting callers get free workers first-come-first-served: with a plain queue,
newcomers overtook waiters and p99 went to 325 ms under 32 connections.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

HEADER = struct.Struct(">I")
DEFAULT_MAX_WORKERS = 4
INTERPRETER_ALLOWANCE_MB = 128  # CPython + shared libraries + runtime, on top of the function's memory
COLD_START_TIMEOUT = 60.0  # seconds a worker may take to import its handler
KIND_NAMES = ("http", "event", "step")
SECRET_PREFIX = "SLSN_SECRET_"  # local secret values come from SLSN_SECRET_<NAME> (see store.secret_env_name)


class WorkerCrashed(Exception):
    """The worker process died while serving a call."""


def function_env(app: Any, fn: Any, state_dir: Path | str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a function sees locally: the developer's own (for PATH, HOME and local secret values)
    without anybody else's SLSN_* settings, then the function's environment, then contracts.md's SLSN_* set."""
    base = dict(os.environ if base is None else base)
    env = {k: v for k, v in base.items()
           if not k.startswith("SLSN_") or k.startswith(SECRET_PREFIX) or k == "SLSN_DEBUG"}
    env.update({str(k): str(v) for k, v in fn.environment.items()})
    resources = {f"{g.kind}:{g.name}": g.name for g in fn.grants if g.name != "*"}
    env.update({
        "SLSN_PROVIDER": "local",
        "SLSN_SERVICE": app.service,
        "SLSN_STAGE": app.stage,
        "SLSN_FUNCTION": fn.name,
        "SLSN_HANDLER": f"{fn.module}:{fn.handler_function}",
        "SLSN_GRANTS": ",".join(sorted({g.scope for g in fn.grants})),
        "SLSN_RESOURCES": json.dumps(resources, sort_keys=True),
        "SLSN_SECRET_ENV": json.dumps(dict(fn.secret_environment), sort_keys=True),
        "SLSN_TIMEOUT_MS": str(int(fn.timeout * 1000)),
        "SLSN_STATE_DIR": str(Path(state_dir).resolve()),
    })
    return env


def memory_limit_bytes(fn: Any) -> int:
    return (int(fn.memory) + INTERPRETER_ALLOWANCE_MB) * 1024 * 1024


def service_root(app: Any, state_dir: Path | str) -> Path:
    """The service folder: the IR's root, else the folder holding ``.sls-neutral/local/<stage>``."""
    root = Path(getattr(app, "root", Path(".")))
    if str(root) in ("", "."):
        state = Path(state_dir).resolve()
        if state.parent.parent.name == ".sls-neutral":
            return state.parent.parent.parent
        return Path.cwd()
    return root.resolve()


class WorkerConnection(asyncio.Protocol):
    """The parent's end of a worker socket: frames in, futures resolved; no per-call coroutine plumbing."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.frames: collections.deque[bytes] = collections.deque()
        self.waiter: asyncio.Future | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while len(buf) >= HEADER.size:
            end = HEADER.size + HEADER.unpack_from(buf)[0]
            if len(buf) < end:
                return
            body = bytes(buf[HEADER.size:end])
            del buf[:end]
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(body)
            else:
                self.frames.append(body)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(WorkerCrashed())

    async def next_frame(self) -> dict:
        if self.frames:
            return json.loads(self.frames.popleft())
        if self.lost:
            raise WorkerCrashed()
        self.waiter = asyncio.get_running_loop().create_future()
        return json.loads(await self.waiter)


class Worker:
    """One warm process and the parent's end of its socket."""

    __slots__ = ("function", "proc", "conn", "generation", "calls", "pid", "timed_out")

    def __init__(self, function: str, proc: subprocess.Popen, conn: WorkerConnection, generation: int):
        self.function = function
        self.proc = proc
        self.conn = conn
        self.generation = generation
        self.calls = 0
        self.pid = proc.pid
        self.timed_out = False

    async def read_frame(self) -> dict:
        return await self.conn.next_frame()

    async def call(self, frame: bytes) -> dict:
        self.conn.transport.write(frame)
        return await self.conn.next_frame()

    def expire(self) -> None:
        """The timeout fired: kill now; the call in flight then fails with WorkerCrashed and reads ``timed_out``."""
        self.timed_out = True
        self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.kill()
                self.proc.wait(2)  # SIGKILL ends it within milliseconds; reaping now leaves no zombie behind
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            if self.conn.transport is not None:
                self.conn.transport.close()
        except Exception:  # noqa: BLE001 - the loop may be gone during interpreter shutdown
            pass

    async def reap(self) -> str:
        """Why the process ended, in words (exit code or signal name)."""
        for _ in range(100):
            code = self.proc.poll()
            if code is not None:
                break
            await asyncio.sleep(0.01)
        else:
            self.kill()
            code = self.proc.wait()
        if code < 0:
            try:
                return f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"


class FunctionWorkers:
    """The workers of one function: idle stack, FIFO of waiting callers, a cap."""

    def __init__(self, fn: Any, cap: int):
        self.fn = fn
        self.cap = cap
        self.idle: list[Worker] = []
        self.waiters: collections.deque[asyncio.Future] = collections.deque()
        self.total = 0  # live + starting
        self.generation = 0
        self.all: set[Worker] = set()


class WorkerPool:
    """Warm worker processes per function; ``ainvoke`` for the HTTP server, ``invoke`` for sync callers."""

    def __init__(self, app: Any, state_dir: Path | str, *, root: Path | str | None = None,
                 max_workers: int | None = None, python: str | None = None):
        self.app = app
        self.state_dir = Path(state_dir)
        self.root = Path(root).resolve() if root is not None else service_root(app, state_dir)
        settings = app.settings("local") if hasattr(app, "settings") else {}
        self.max_workers = int(max_workers or settings.get("max_workers") or DEFAULT_MAX_WORKERS)
        self.python = python or sys.executable
        self._functions: dict[str, FunctionWorkers] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._own_loop_thread: threading.Thread | None = None
        self._closed = False

    # ------------------------------------------------------------ loop binding
    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None or self._loop.is_closed():
            self._loop = loop
        return self._loop

    def _private_loop(self) -> asyncio.AbstractEventLoop:
        """A loop on a daemon thread for sync callers when no event loop owns the pool."""
        if self._loop is None or self._loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="slsn-worker-pool", daemon=True)
            thread.start()
            self._loop, self._own_loop_thread = loop, thread
        return self._loop

    def _run_sync(self, coro: Any, timeout: float | None = None) -> Any:
        loop = self._loop if self._loop is not None and not self._loop.is_closed() else None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is loop:
            coro.close()
            raise RuntimeError("WorkerPool.invoke() was called on the pool's own event loop; await ainvoke()")
        if loop is None or not loop.is_running():
            loop = self._private_loop()
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    # ------------------------------------------------------------ lifecycle
    def _state(self, function: str) -> FunctionWorkers:
        state = self._functions.get(function)
        if state is None:
            fn = self.app.functions.get(function)
            if fn is None:
                raise KeyError(f"function '{function}' is not declared")
            cap = self.max_workers
            if getattr(fn, "max_instances", None):
                cap = max(1, min(cap, int(fn.max_instances)))
            state = self._functions[function] = FunctionWorkers(fn, max(cap, int(getattr(fn, "warm", 0) or 0)))
        return state

    async def start(self, functions: list[str] | None = None) -> None:
        """Pre-start ``warm`` workers per function (the manifest's ``warm:``), in parallel."""
        self._bind()
        starts = []
        for name in sorted(functions if functions is not None else self.app.functions):
            fn = self.app.functions.get(name)
            warm = int(getattr(fn, "warm", 0) or 0) if fn is not None else 0
            if warm:
                missing = warm - self._state(name).total
                starts.extend(self._prestart(name) for _ in range(max(0, missing)))
        if starts:
            await asyncio.gather(*starts)

    async def _prestart(self, function: str) -> None:
        state = self._state(function)
        state.total += 1
        worker = await self._spawn(state)
        if isinstance(worker, Worker):
            self._release(state, worker)

    async def _spawn(self, state: FunctionWorkers) -> Worker | dict:
        """A ready worker, or an error dict when its handler failed to load (``total`` already counts it)."""
        fn = state.fn
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        generation = state.generation
        try:
            log_path = self.state_dir / "logs" / f"{fn.name}.log"
            env = function_env(self.app, fn, self.state_dir)
            env["MALLOC_ARENA_MAX"] = "2"  # per-thread malloc arenas reserve 64 MB of address space each
            env["PYTHONUNBUFFERED"] = "1"
            argv = [self.python, "-m", "sls_neutral.providers.local.worker_main", str(child.fileno()),
                    str(self.root), str(log_path), str(fn.memory), str(memory_limit_bytes(fn))]
            proc = subprocess.Popen(argv, cwd=self.root, env=env, pass_fds=(child.fileno(),),
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        except BaseException as exc:
            state.total -= 1
            parent.close()
            child.close()
            return {"error": "TaskFailed", "cause": f"could not start a worker for '{fn.name}': {exc}"}
        child.close()
        _, conn = await asyncio.get_running_loop().connect_accepted_socket(WorkerConnection, sock=parent)
        worker = Worker(fn.name, proc, conn, generation)
        state.all.add(worker)
        try:
            hello = await asyncio.wait_for(worker.read_frame(), COLD_START_TIMEOUT)
        except (WorkerCrashed, asyncio.TimeoutError) as exc:
            why = "did not start within %d s" % COLD_START_TIMEOUT if isinstance(exc, asyncio.TimeoutError) \
                else await worker.reap()
            self._drop(state, worker)
            return {"error": "TaskFailed", "cause": f"the worker of '{fn.name}' failed to start ({why}); "
                                                    f"see its log: sls-neutral logs -f {fn.name}"}
        if not hello.get("ready"):
            self._drop(state, worker)
            return {"error": hello.get("error", "TaskFailed"), "cause": hello.get("cause", "")}
        return worker

    def _drop(self, state: FunctionWorkers, worker: Worker) -> None:
        worker.kill()
        if worker in state.all:
            state.all.discard(worker)
            state.total -= 1
        if worker in state.idle:
            state.idle.remove(worker)
        # A slot freed: a caller still waiting needs a worker that is not coming back.
        if state.waiters and state.total < state.cap and not self._closed:
            state.total += 1
            asyncio.ensure_future(self._spawn_for_waiter(state))

    # ------------------------------------------------------------ FCFS hand-out
    def _release(self, state: FunctionWorkers, worker: Worker) -> None:
        if worker.generation != state.generation or self._closed:
            self._drop(state, worker)  # a restart happened while it was busy: it must not serve again
            return
        while state.waiters:
            waiter = state.waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        state.idle.append(worker)

    async def _spawn_for_waiter(self, state: FunctionWorkers) -> None:
        result = await self._spawn(state)
        if isinstance(result, Worker):
            self._release(state, result)
            return
        # the handler cannot load: the oldest waiter gets the error instead of waiting forever
        while state.waiters:
            waiter = state.waiters.popleft()
            if not waiter.done():
                waiter.set_result(result)
                return

    async def _acquire(self, state: FunctionWorkers) -> Worker | dict:
        if state.idle and not state.waiters:
            return state.idle.pop()  # most recently used: the warmest
        waiter = asyncio.get_running_loop().create_future()
        state.waiters.append(waiter)
        if state.total < state.cap:
            state.total += 1
            asyncio.ensure_future(self._spawn_for_waiter(state))
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and isinstance(waiter.result(), Worker):
                self._release(state, waiter.result())
            else:
                try:
                    state.waiters.remove(waiter)
                except ValueError:
                    pass
            raise

    # ------------------------------------------------------------ invocations
    async def ainvoke(self, function: str, kind: str, payload: Any) -> dict:
        """Run one invocation on a warm worker of ``function``; never raises for handler failures."""
        if kind not in KIND_NAMES:
            raise ValueError(f"unknown invocation kind {kind!r} (expected one of {', '.join(KIND_NAMES)})")
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        loop = self._bind()
        if asyncio.get_running_loop() is not loop:  # called from another loop: hop to the pool's
            return await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(self.ainvoke(function, kind, payload), loop))
        state = self._state(function)
        body = json.dumps({"kind": kind, "payload": payload}, separators=(",", ":")).encode("utf-8")
        frame = HEADER.pack(len(body)) + body
        got = await self._acquire(state)
        if isinstance(got, dict):
            return dict(got)
        worker = got
        timeout = float(state.fn.timeout)
        timer = loop.call_later(timeout, worker.expire)  # cheaper per call than wait_for's extra task
        try:
            result = await worker.call(frame)
        except WorkerCrashed:
            if worker.timed_out:
                self._drop(state, worker)
                return {"error": "Timeout", "cause": f"function '{function}' ran longer than its timeout of "
                                                     f"{timeout:g} s; its worker was stopped"}
            why = await worker.reap()
            self._drop(state, worker)
            return {"error": "TaskFailed", "cause": f"the worker process of '{function}' crashed during the call "
                                                    f"({why}); a fresh worker serves the next call"}
        except asyncio.CancelledError:
            self._drop(state, worker)  # its answer would arrive for nobody: this worker's stream is unusable
            raise
        finally:
            timer.cancel()
        worker.calls += 1
        if result.pop("retire", False) or worker.timed_out:  # answered just as its timer fired: retire it
            self._drop(state, worker)
        else:
            self._release(state, worker)
        return result

    def invoke(self, function: str, kind: str, payload: Any) -> dict:
        """Synchronous ``ainvoke`` for callers without an event loop (workflow engine, CLI)."""
        return self._run_sync(self.ainvoke(function, kind, payload))

    # ------------------------------------------------------------ reload and shutdown
    async def arestart(self, function: str | None = None, app: Any = None) -> None:
        """Retire workers so the next call imports the handler afresh (``dev`` after a file change).

        Idle workers stop now; busy ones finish their call and stop instead of serving again.
        """
        if app is not None:
            self.app = app
            for name in list(self._functions):
                if name not in app.functions:
                    await self._stop_function(self._functions.pop(name))
        names = [function] if function else list(self._functions)
        for name in names:
            state = self._functions.get(name)
            if state is None:
                continue
            state.generation += 1
            if app is not None and name in app.functions:
                state.fn = app.functions[name]
            for worker in list(state.idle):
                self._drop(state, worker)
        if not self._closed:
            await self.start(names)

    def restart(self, function: str | None = None, app: Any = None) -> None:
        self._run_sync(self.arestart(function, app))

    async def _stop_function(self, state: FunctionWorkers) -> None:
        state.generation += 1
        for worker in list(state.all):
            worker.kill()
        for worker in list(state.all):
            await worker.reap()
        state.all.clear()
        state.idle.clear()
        state.total = 0
        for waiter in state.waiters:
            if not waiter.done():
                waiter.set_result({"error": "TaskFailed", "cause": "the local runtime is shutting down"})
        state.waiters.clear()

    async def aclose(self) -> None:
        self._closed = True
        for state in list(self._functions.values()):
            await self._stop_function(state)

    def close(self) -> None:
        """Stop every worker (safe to call twice, from any thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed() and loop.is_running():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                asyncio.run_coroutine_threadsafe(self.aclose(), loop).result(30)
            else:  # on the loop's own thread: kill synchronously
                self._closed = True
                for state in self._functions.values():
                    for worker in list(state.all):
                        worker.kill()
        else:
            self._closed = True
            for state in self._functions.values():
                for worker in list(state.all):
                    if worker.proc.poll() is None:
                        worker.proc.kill()
                    worker.proc.wait()
        if self._own_loop_thread is not None and loop is not None:
            loop.call_soon_threadsafe(loop.stop)
            self._own_loop_thread.join(5)
            self._own_loop_thread = None
            loop.close()
            self._loop = None

    # ------------------------------------------------------------ introspection
    def pids(self, function: str) -> list[int]:
        state = self._functions.get(function)
        return sorted(w.pid for w in state.all) if state else []

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
