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

Short calls are pipelined: once a function's pool has all its workers and its
calls have proven short (``PIPELINE_*`` below), a few more calls may be written
to a busy worker's socket behind the one it runs, so the worker goes from one call
to the next without sleeping until this process is scheduled again to hand it
one (on 2 cores that round trip, not the work, bounded requests per second). A
queued call has not started: its timeout starts when the call before it answers,
and if the worker dies, times out or retires first, the call goes to another
worker ahead of later callers. A function whose calls average PIPELINE_MS or more
is never pipelined; a call of a short function that turns out long delays the
few calls queued behind it.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from sls_neutral.providers.local import worker_main as wire

DEFAULT_MAX_WORKERS = 4
INTERPRETER_ALLOWANCE_MB = 128  # CPython + shared libraries + runtime, on top of the function's memory
COLD_START_TIMEOUT = 60.0  # seconds a worker may take to import its handler
KIND_NAMES = ("http", "event", "step")
SECRET_PREFIX = "SLSN_SECRET_"  # local secret values come from SLSN_SECRET_<NAME> (see store.secret_env_name)


# Pipelining: at most PIPELINE_DEPTH calls written to one worker (one running, the rest queued behind it), and
# only while the calls ahead would take less than PIPELINE_MS by the function's average, behind a running call
# younger than that, once PIPELINE_WARMUP answers gave that average and the pool has all its workers.
PIPELINE_DEPTH = 4
PIPELINE_MS = 10.0
PIPELINE_WARMUP = 16


class WorkerCrashed(Exception):
    """The worker process died while serving a call."""


class NotStarted(Exception):
    """The worker went away before it started this (queued) call: run it elsewhere."""


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


_dumps = json.JSONEncoder(separators=(",", ":")).encode


def http_answer(meta: bytes, raw: bytes) -> dict:
    status, headers, request_id = json.loads(meta)
    return {"status": status, "headers": headers, "body": raw, "request_id": request_id}


class WorkerConnection(asyncio.Protocol):
    """The parent's end of a worker socket: answers in, handed to ``on_answer``; no per-call coroutine plumbing.

    An answer is ``(kind, JSON part, raw part)`` (see worker_main for the frame layout).
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.partial = bytearray()  # an answer still arriving
        self.early: collections.deque = collections.deque()  # answers before a Worker took over (the ready one)
        self.on_answer: Any = self.early.append
        self.on_lost: Any = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        header, prefix = wire.HEADER, wire.PREFIX
        partial = self.partial
        if partial:  # a big answer arrives in pieces: append without copying what came before
            partial += data
            if len(partial) < header.size or len(partial) < header.size + header.unpack_from(partial)[0]:
                return
            data = bytes(partial)
            partial.clear()
        start, have = 0, len(data)
        while have - start >= prefix.size:
            size, kind, meta_size = prefix.unpack_from(data, start)
            end = start + header.size + size
            if end > have:
                break
            meta_end = start + prefix.size + meta_size
            self.on_answer((kind, data[start + prefix.size:meta_end], data[meta_end:end]))
            start = end
        if start < have:
            partial += data[start:] if start else data

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.on_lost is not None:
            self.on_lost()


class Worker:
    """One warm process, the parent's end of its socket and the calls written to it, oldest first."""

    __slots__ = ("function", "proc", "conn", "generation", "calls", "pid", "timed_out", "pending", "timer",
                 "started", "timeout", "on_answered", "on_gone", "unasked")

    def __init__(self, function: str, proc: subprocess.Popen, conn: WorkerConnection, generation: int,
                 timeout: float = 0.0):
        self.function = function
        self.proc = proc
        self.conn = conn
        self.generation = generation
        self.calls = 0  # answered
        self.pid = proc.pid
        self.timed_out = False
        self.pending: collections.deque[asyncio.Future] = collections.deque()  # written, not answered; [0] runs
        self.timer: asyncio.TimerHandle | None = None  # the running call's timeout
        self.started = 0.0  # loop time the running call started
        self.timeout = timeout
        self.on_answered: Any = None  # the pool's bookkeeping after each answer: (worker, retire, seconds)
        self.on_gone: Any = None  # ... and once the process is gone: (worker, a caller will report it)
        self.unasked: collections.deque = collections.deque()  # answers before any call: the ready message
        conn.on_answer = self._answer
        conn.on_lost = self._lost
        while conn.early:  # arrived between the socket's setup and now
            self._answer(conn.early.popleft())

    def submit(self, frame: bytes) -> asyncio.Future:
        """Write one call; its future gets the decoded answer (a dict)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if self.conn.lost or self.conn.transport.is_closing():  # gone before this call was written
            future.set_exception(NotStarted())
            return future
        pending = self.pending
        pending.append(future)
        if len(pending) == 1:
            self._start_clock(loop)
        self.conn.transport.write(frame)
        return future

    def _start_clock(self, loop: asyncio.AbstractEventLoop) -> None:
        self.started = loop.time()
        if self.timeout > 0:
            self.timer = loop.call_at(self.started + self.timeout, self.expire)  # cheaper than wait_for's task

    def _answer(self, answer: tuple[int, bytes, bytes]) -> None:
        kind, meta, raw = answer
        if kind == wire.ANSWER_HTTP:
            result, retire = http_answer(meta, raw), False
        else:
            result = json.loads(meta)
            retire = bool(result.pop("retire", False))
        if not self.pending:  # no call written: the ready message, for read_frame
            waiter = self.unasked.popleft() if self.unasked and isinstance(self.unasked[0], asyncio.Future) else None
            if waiter is None:
                self.unasked.append(result)
            elif not waiter.done():
                waiter.set_result(result)
            return
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        future = self.pending.popleft()
        elapsed = asyncio.get_running_loop().time() - self.started
        if retire:  # it exits after this answer: what was queued behind never starts
            queued, self.pending = self.pending, collections.deque()
            for waiting in queued:
                if not waiting.done():
                    waiting.set_exception(NotStarted())
        elif self.pending:
            self._start_clock(asyncio.get_running_loop())  # the queued call starts now
        self.calls += 1
        if not future.done():  # a cancelled caller's answer is dropped
            future.set_result(result)
        if self.on_answered is not None:
            self.on_answered(self, retire, elapsed)

    def _lost(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        pending, self.pending = self.pending, collections.deque()
        for waiter in self.unasked:
            if isinstance(waiter, asyncio.Future) and not waiter.done():
                waiter.set_exception(WorkerCrashed())
        reported = bool(pending) and not pending[0].done()  # the running call's caller drops this worker
        for i, future in enumerate(pending):
            if not future.done():  # the running call died with the worker; the ones behind it never started
                future.set_exception(WorkerCrashed() if i == 0 else NotStarted())
        if self.on_gone is not None:
            self.on_gone(self, reported)

    async def read_frame(self) -> dict:
        """The next answer that belongs to no call (the ready message)."""
        if self.unasked and not isinstance(self.unasked[0], asyncio.Future):
            return self.unasked.popleft()
        if self.conn.lost:
            raise WorkerCrashed()
        waiter = asyncio.get_running_loop().create_future()
        self.unasked.append(waiter)
        try:
            return await waiter
        finally:
            if waiter in self.unasked:
                self.unasked.remove(waiter)

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
        self.queueable: list[Worker] = []  # running a call, with room for one more queued behind it
        self.waiters: collections.deque[asyncio.Future] = collections.deque()
        self.total = 0  # live + starting
        self.generation = 0
        self.all: set[Worker] = set()
        self.avg_ms = 0.0  # moving average of call durations: short calls are pipelined
        self.answered = 0

    def room(self, busy: int) -> bool:
        """May a worker with ``busy`` calls written to it take one more? Idle: yes. Busy: only once the pool
        has all its workers and PIPELINE_WARMUP answers showed the function is short, while fewer than
        PIPELINE_DEPTH are written and the calls ahead would take under PIPELINE_MS, going by the average."""
        return not busy or (busy < PIPELINE_DEPTH and self.answered >= PIPELINE_WARMUP and self.total >= self.cap
                            and busy * self.avg_ms < PIPELINE_MS)


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
        worker = Worker(fn.name, proc, conn, generation, float(fn.timeout))
        state.all.add(worker)
        try:
            hello = await asyncio.wait_for(worker.read_frame(), COLD_START_TIMEOUT)
        except (WorkerCrashed, asyncio.TimeoutError) as exc:
            why = "did not start within %d s" % COLD_START_TIMEOUT if isinstance(exc, asyncio.TimeoutError) \
                else await worker.reap()
            self._drop(state, worker)
            return {"error": "TaskFailed", "cause": f"the worker of '{fn.name}' failed to start ({why}); "
                                                    f"see its log: sls-neutral logs {fn.name}"}
        if not hello.get("ready"):
            self._drop(state, worker)
            return {"error": hello.get("error", "TaskFailed"), "cause": hello.get("cause", "")}
        worker.on_answered = lambda w, retire, seconds: self._answered(state, w, retire, seconds)
        worker.on_gone = lambda w, reported: self._gone(state, w, reported)
        return worker

    def _drop(self, state: FunctionWorkers, worker: Worker) -> None:
        worker.kill()
        if worker in state.all:
            state.all.discard(worker)
            state.total -= 1
        if worker in state.idle:
            state.idle.remove(worker)
        if worker in state.queueable:
            state.queueable.remove(worker)
        # A slot freed: a caller still waiting needs a worker that is not coming back.
        if state.waiters and state.total < state.cap and not self._closed:
            state.total += 1
            asyncio.ensure_future(self._spawn_for_waiter(state))

    def _answered(self, state: FunctionWorkers, worker: Worker, retire: bool, seconds: float) -> None:
        """After each answer (before its caller resumes): the worker has room again, or must go."""
        state.avg_ms += 0.1 * (seconds * 1000.0 - state.avg_ms)
        state.answered += 1
        if retire or worker.timed_out:  # answered just as its timer fired, or asked to be replaced
            self._drop(state, worker)  # a call queued behind it goes to another worker (NotStarted)
        else:
            self._release(state, worker)

    def _gone(self, state: FunctionWorkers, worker: Worker, reported: bool) -> None:
        """The process ended. A caller whose call it was running drops it after reading the exit status;
        otherwise (it died idle, or that caller is gone) drop it now so it is never handed out again."""
        if worker in state.queueable:
            state.queueable.remove(worker)
        if worker in state.idle:
            state.idle.remove(worker)
        if not reported:
            self._drop(state, worker)

    # ------------------------------------------------------------ FCFS hand-out
    def _release(self, state: FunctionWorkers, worker: Worker) -> None:
        """``worker`` has room for a call: the oldest waiter gets it, else it waits in ``idle`` (or, running a
        short call, in ``queueable``)."""
        busy = len(getattr(worker, "pending", ()))
        if worker in state.queueable:
            state.queueable.remove(worker)
        if worker.generation != state.generation or self._closed:
            if not busy:
                self._drop(state, worker)  # a restart happened while it was busy: it must not serve again
            return
        if busy and (not state.room(busy) or worker.conn.lost):
            return  # no room: it offers itself again when its running call answers
        while state.waiters:
            waiter = state.waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        if busy:
            state.queueable.append(worker)
        else:
            state.idle.append(worker)

    def _queue_behind(self, state: FunctionWorkers) -> Worker | None:
        """A worker running a young, short call that can take one more call behind it (pipelining), if any."""
        queueable = state.queueable
        now = asyncio.get_running_loop().time()
        while queueable:
            worker = queueable.pop()
            if state.room(len(worker.pending)) and now - worker.started < PIPELINE_MS / 1000.0 \
                    and not worker.conn.lost and worker.generation == state.generation:
                return worker
        return None

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

    async def _acquire(self, state: FunctionWorkers, first: bool = False) -> Worker | dict:
        """A worker with room for one call: idle ones first, then (short calls) one running a young call,
        else wait first-come-first-served; ``first`` puts a call that already waited its turn at the front."""
        if state.idle and (first or not state.waiters):
            return state.idle.pop()  # most recently used: the warmest
        if state.total < state.cap and not self._closed:
            state.total += 1
            asyncio.ensure_future(self._spawn_for_waiter(state))
        if state.queueable and (first or not state.waiters):
            worker = self._queue_behind(state)
            if worker is not None:
                return worker
        waiter = asyncio.get_running_loop().create_future()
        if first:
            state.waiters.appendleft(waiter)
        else:
            state.waiters.append(waiter)
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
        """Run one invocation on a warm worker of ``function``; never raises for handler failures.

        HTTP payloads and answers carry the body base64-encoded (``body_b64``), see payloads.py;
        ``ainvoke_http`` is the same call with raw bodies, for the HTTP front.
        """
        if kind not in KIND_NAMES:
            raise ValueError(f"unknown invocation kind {kind!r} (expected one of {', '.join(KIND_NAMES)})")
        if kind == "http":
            p = payload
            body = base64.b64decode(p.get("body_b64") or "")
            meta = [p.get("method", "GET"), p.get("path", "/"), p.get("route", ""), p.get("path_params") or {},
                    p.get("query", p.get("query_string", "")), p.get("headers") or {}, p.get("correlation_id")]
            result = await self._run(function, wire.frame(wire.KIND_HTTP, _dumps(meta).encode("utf-8"), body))
            if "body" in result:
                result["body_b64"] = base64.b64encode(result.pop("body")).decode("ascii")
            return result
        meta = _dumps(payload).encode("utf-8")
        return await self._run(function, wire.frame(wire.KIND_EVENT if kind == "event" else wire.KIND_STEP, meta))

    async def ainvoke_http(self, function: str, method: str, path: str, route: str, path_params: dict,
                           query_string: str, headers: dict, correlation_id: str | None, body: bytes) -> dict:
        """An HTTP invocation with a raw body: ``{"status", "headers", "body" (bytes), "request_id"}``,
        or ``{"error", "cause"}``."""
        meta = _dumps([method, path, route, path_params, query_string, headers, correlation_id]).encode("utf-8")
        return await self._run(function, wire.frame(wire.KIND_HTTP, meta, body))

    async def _run(self, function: str, frame: bytes) -> dict:
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        loop = self._loop
        if loop is None or loop.is_closed() or asyncio.get_running_loop() is not loop:
            loop = self._bind()
            if asyncio.get_running_loop() is not loop:  # called from another loop: hop to the pool's
                return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._run(function, frame), loop))
        state = self._functions.get(function) or self._state(function)
        first = False
        while True:
            if state.idle and not state.waiters and not first:
                worker = state.idle.pop()  # most recently used: the warmest
            else:
                got = await self._acquire(state, first)
                if isinstance(got, dict):
                    return dict(got)
                worker = got
            if len(worker.pending) >= PIPELINE_DEPTH:  # handed out again while its answers came in: full; wait first
                first = True
                continue
            future = worker.submit(frame)
            if state.room(len(worker.pending)):
                self._release(state, worker)  # its room for a queued call goes to the next waiter
            try:
                return await future
            except NotStarted:  # its worker went away before starting it: next in line, ahead of later calls
                if self._closed or self._functions.get(function) is not state:
                    return {"error": "TaskFailed", "cause": f"the local runtime stopped '{function}' before the "
                                                            f"call started"}
                first = True
            except WorkerCrashed:
                if worker.timed_out:
                    self._drop(state, worker)
                    return {"error": "Timeout", "cause": f"function '{function}' ran longer than its timeout of "
                                                         f"{worker.timeout:g} s; its worker was stopped"}
                why = await worker.reap()
                self._drop(state, worker)
                return {"error": "TaskFailed", "cause": f"the worker process of '{function}' crashed during the "
                                                        f"call ({why}); a fresh worker serves the next call"}
            # A cancelled caller needs nothing here: the answer is matched to its call and dropped, the worker
            # keeps serving, and the timeout still stops a call that runs too long.

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
            state.queueable.clear()  # busy ones take no more calls and stop once their last answers
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
        state.queueable.clear()
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
