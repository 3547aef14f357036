"""``LocalProvider``: the app served on this machine, with durable local state.

``deploy`` serves in the foreground until Ctrl-C, or with ``--detach`` starts a
background runtime process and returns once it answers. ``remove`` stops it and
deletes the stage's state. ``info``/``logs``/``invoke``/``workflow`` read the
same state the runtime writes (``<service>/.sls-neutral/local/<stage>/``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from sls_neutral.core.errors import DeployError, SlsnError, did_you_mean
from sls_neutral.core.provider import FEATURES, DeployContext, Provider, Support

NOTES = {
    "http": "uvicorn on 127.0.0.1; handlers run in warm worker processes",
    "queue": "SQLite (WAL) under .sls-neutral/local/<stage>/; durable across process crashes, not power loss",
    "queue.fifo": "one ordered stream per queue (no message groups); a failure blocks the queue until it "
                  "succeeds or is dead-lettered",
    "topic": "each subscriber gets its own durable delivery queue; 3 attempts, then parked in '<queue>~dead'",
    "schedule.cron": "missed ticks while the runtime was stopped are not replayed (no catch-up tick)",
    "schedule.rate": "first tick one interval after start; missed ticks are not replayed",
    "bucket": "files under .sls-neutral/local/<stage>/buckets/<name>/ with atomic writes",
    "bucket.created": "events only for writes through ctx.bucket(...) or the runtime, not for files copied in",
    "bucket.deleted": "events only for deletes through ctx.bucket(...) or the runtime",
    "secret": "values from the env var SLSN_SECRET_<NAME> or .sls-neutral/local/<stage>/secrets.json",
    "warm": "that many worker processes are started with the runtime",
    "max_instances": "caps the worker processes of the function",
}

CAPABILITIES = {feature: Support("full", NOTES.get(feature, "")) for feature in FEATURES}


def deployment_description(app: Any) -> dict[str, Any]:
    """What a local deployment consists of, without clock values or absolute paths (emit and plan).

    Made JSON-able by ``plain_jsonable`` (``ir.to_jsonable``'s result, faster): the triggers first, then the
    whole, which sorts every mapping's keys (the triggers' included), as before.
    """
    from sls_neutral.core import ir
    from sls_neutral.providers.local.jsonable import plain_jsonable

    functions = {}
    subscribers: dict[str, list[str]] = {}
    for f in sorted(app.functions.values(), key=lambda f: f.name):
        functions[f.name] = {"handler": f.handler, "memory": f.memory, "timeout": f.timeout,
                             "grants": sorted(g.scope for g in f.grants), "triggers": [plain_jsonable(t) for t in f.triggers],
                             "warm": f.warm, "max_instances": f.max_instances,
                             "environment": f.environment}
        for tr in f.triggers:
            if isinstance(tr, ir.TopicTrigger):
                subscribers.setdefault(tr.topic, []).append(f.name)
    routes = [{"method": t.method, "path": t.path, "target": f"{kind}:{name}", "cors": t.cors}
              for t, kind, name in app.http_routes]
    queues = {q.name: {"visibility_timeout": q.visibility_timeout, "fifo": q.fifo, "delay": q.delay,
                       "dead_letter": q.dead_letter, "max_receives": q.max_receives,
                       "retention": q.retention, "subscribed_topics": list(q.subscribed_topics)}
              for q in sorted(app.queues.values(), key=lambda q: q.name)}
    topics = {t.name: {"functions": sorted(subscribers.get(t.name, ())), "queues": sorted(t.queues)}
              for t in sorted(app.topics.values(), key=lambda t: t.name)}
    return plain_jsonable({
        "service": app.service, "stage": app.stage, "provider": "local",
        "functions": functions, "routes": routes, "queues": queues, "topics": topics,
        "buckets": sorted(app.buckets), "secrets": sorted(app.secrets), "workflows": sorted(app.workflows),
    })


class LocalProvider(Provider):
    name = "local"
    version = "1.0.0"
    description = "runs the app on this machine: HTTP, queues, topics, schedules, buckets, workflows"
    capabilities = CAPABILITIES

    # ------------------------------------------------------------ compile/package
    def settings_model(self) -> Any:
        from typing import Optional

        from pydantic import BaseModel, ConfigDict, Field

        class LocalSettings(BaseModel):
            """``providers.local``: knobs of the local runtime."""

            model_config = ConfigDict(extra="forbid")
            max_body_mb: float = Field(6.0, gt=0, description="HTTP request body limit (413 above it), MB")
            max_workers: Optional[int] = Field(None, ge=1, le=64, description="worker processes per function "
                                               "(default 4; max_instances lowers it, warm raises it)")

        return LocalSettings

    def settings_fields(self):
        from sls_neutral.core.manifest.plain import integer, number, optional

        return {"max_body_mb": (number(gt=0), 6.0), "max_workers": (optional(integer(1, 64)), None)}

    def emit(self, app: Any, artifacts: Any) -> None:
        artifacts.add_json("local/deployment.json", deployment_description(app))

    # ------------------------------------------------------------ deploy
    def plan(self, app: Any, artifacts: Any, ctx: DeployContext) -> Any:
        from sls_neutral.core.plan import Plan
        from sls_neutral.providers.local.planning import diff_deployments

        desired = deployment_description(app)
        previous = _read_json(Path(ctx.state_dir) / "deployment.json")
        plan = Plan("local", app.service, app.stage, diff_deployments(previous, desired))
        plan.data["desired"] = desired
        if _running(Path(ctx.state_dir)):
            plan.notes.append("a local runtime for this stage is running; deploy restarts it")
        return plan

    def execute(self, app: Any, plan: Any, artifacts: Any, ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.local.runtime import bind_socket, run_forever
        from sls_neutral.providers.local.store import LocalStore

        state_dir = Path(ctx.state_dir)
        host = str(ctx.options.get("host") or "127.0.0.1")
        port = int(ctx.options.get("port") or 8787)
        running = _running(state_dir)
        if running:
            _stop(running)
        LocalStore(state_dir).configure(app)
        _write_json(state_dir / "deployment.json", plan.data.get("desired") or deployment_description(app))
        if ctx.options.get("detach"):
            info = self._start_detached(app, ctx, host, port)
            message = f"{app.service} ({app.stage}) is running at {info['url']} (pid {info['pid']}); " \
                      f"stop it with 'sls-neutral remove'"
            return {"provider": "local", "url": info["url"], "pid": info["pid"], "detached": True,
                    "message": message, "state_dir": _display(state_dir, ctx.root)}
        bind_socket(host, port).close()  # fail fast with a clear error before anything starts

        def ready(runtime: Any) -> None:
            ctx.say(f"{app.service} ({app.stage}) serving at {runtime.url} -- Ctrl-C to stop")
            for t, kind, name in app.http_routes:
                ctx.say(f"  {t.method:<6} {runtime.url}{t.path}  -> {kind} {name}")

        run_forever(app, state_dir, host, port, on_ready=ready, runfile=True)
        return {"provider": "local", "url": f"http://{host}:{port}", "detached": False,
                "message": f"{app.service} ({app.stage}) stopped"}

    def _start_detached(self, app: Any, ctx: DeployContext, host: str, port: int) -> dict[str, Any]:
        from sls_neutral.providers.local.runtime import RUNFILE, bind_socket

        state_dir = Path(ctx.state_dir)
        bind_socket(host, port).close()
        (state_dir / RUNFILE).unlink(missing_ok=True)
        log_dir = state_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        import pickle
        import subprocess

        # The child gets the IR exactly as compiled here (params, plugins and all), not a recompile.
        (state_dir / "app.pickle").write_bytes(pickle.dumps(app))
        spec = {"state_dir": str(state_dir), "host": host, "port": port}
        log = open(log_dir / "runtime.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "sls_neutral.providers.local.serve", json.dumps(spec)],
                                cwd=str(ctx.root), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True)
        log.close()
        deadline = time.time() + 60
        while time.time() < deadline:
            info = _read_json(state_dir / RUNFILE)
            if info and info.get("pid") == proc.pid:
                return info
            if proc.poll() is not None:
                tail = (log_dir / "runtime.log").read_text(encoding="utf-8", errors="replace")[-2000:]
                raise DeployError(f"the local runtime exited during start-up (code {proc.returncode})",
                                  hint=f"its output ({_display(log_dir / 'runtime.log', ctx.root)}):\n{tail}")
            time.sleep(0.05)
        proc.terminate()
        raise DeployError("the local runtime did not become ready within 60 s",
                          hint=f"see {_display(log_dir / 'runtime.log', ctx.root)}")

    def remove(self, app: Any, ctx: DeployContext) -> dict[str, Any]:
        state_dir = Path(ctx.state_dir)
        running = _running(state_dir)
        stopped = None
        if running:
            _stop(running)
            stopped = running["pid"]
        existed = state_dir.exists()
        if existed:
            import shutil

            shutil.rmtree(state_dir)
        message = (f"stopped the local runtime (pid {stopped}); " if stopped else "") + \
            (f"deleted {_display(state_dir, ctx.root)}" if existed else "nothing deployed locally")
        return {"provider": "local", "stopped": stopped, "deleted": existed, "message": message}

    # ------------------------------------------------------------ inspect
    def info(self, app: Any, ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.local.overview import describe

        return describe(app, Path(ctx.state_dir), ctx.root)

    def logs(self, app: Any, function: str, ctx: DeployContext, *, tail: bool = False) -> Any:
        from sls_neutral.core.remote import LOGS_SINCE
        from sls_neutral.providers.local.logs import log_file, read_lines

        if function not in app.functions:
            raise SlsnError(f"function '{function}' is not declared",
                            hint=did_you_mean(function, app.functions) or "see 'sls-neutral info'")
        path = log_file(Path(ctx.state_dir), function)
        since = ctx.options.get(LOGS_SINCE)  # --since; without it, the whole file
        if not tail:
            if not path.exists():
                return []
            return list(read_lines(path, since=since))
        try:
            for line in read_lines(path, follow=True, since=since):
                print(line, flush=True)
        except KeyboardInterrupt:
            pass
        return None

    def invoke(self, app: Any, function: str, data: Any, ctx: DeployContext) -> Any:
        from sls_neutral.providers.local.synth import invoke_in_process

        return invoke_in_process(app, function, data, Path(ctx.state_dir))

    # ------------------------------------------------------------ workflows
    def _engine(self, app: Any, ctx: DeployContext) -> Any:
        from sls_neutral.providers.local.runtime import _make_engine
        from sls_neutral.providers.local.store import LocalStore

        store = LocalStore(Path(ctx.state_dir))
        from sls_neutral.providers.local.workers import WorkerPool

        pool = WorkerPool(app, Path(ctx.state_dir))
        engine = _make_engine(app, store, pool)
        if engine is None:
            raise SlsnError("the local workflow engine is not available",
                            hint="declare a workflow in the manifest, or update sls-neutral")
        return engine, pool

    def workflow_start(self, app: Any, workflow: str, data: Any, ctx: DeployContext, *,
                       wait: bool = False) -> dict[str, Any]:
        if workflow not in app.workflows:
            raise SlsnError(f"workflow '{workflow}' is not declared",
                            hint=did_you_mean(workflow, app.workflows) or "see 'sls-neutral info'")
        engine, pool = self._engine(app, ctx)
        try:
            execution_id = engine.start(workflow, data if data is not None else {})
            result: dict[str, Any] = {"execution_id": execution_id}
            if wait:
                result.update(engine.wait(execution_id))  # runs it here when no local runtime is running
            elif not _running(Path(ctx.state_dir)):
                result["note"] = ("no local runtime is running for this stage: the execution starts with "
                                  "'sls-neutral deploy' or 'dev' (or use --wait to run it now)")
            return result
        finally:
            _close(engine)
            _close(pool)

    def workflow_status(self, app: Any, execution_id: str, ctx: DeployContext) -> dict[str, Any]:
        engine, pool = self._engine(app, ctx)
        try:
            return engine.status(execution_id)
        finally:
            _close(engine)
            _close(pool)

    def workflow_history(self, app: Any, execution_id: str, ctx: DeployContext) -> list[dict[str, Any]]:
        engine, pool = self._engine(app, ctx)
        try:
            return engine.history(execution_id)
        finally:
            _close(engine)
            _close(pool)


# ---------------------------------------------------------------- helpers
def _close(obj: Any) -> None:
    closer = getattr(obj, "close", None)
    if closer is not None:
        try:
            closer()
        except Exception:
            pass


def _display(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _running(state_dir: Path) -> dict[str, Any] | None:
    """The runfile of a live runtime for this stage, or None (a stale runfile is ignored)."""
    from sls_neutral.providers.local.runtime import RUNFILE

    info = _read_json(Path(state_dir) / RUNFILE)
    if not info or not isinstance(info.get("pid"), int):
        return None
    try:
        os.kill(info["pid"], 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return info
    return info


def _stop(info: dict[str, Any], timeout: float = 10.0) -> None:
    import signal

    pid = info["pid"]
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:  # reap it when it is our child (tests start and stop in one process)
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
