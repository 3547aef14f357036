"""``sls-neutral dev``: the local runtime in the foreground with hot reload.

A polling watcher (no extra dependency, works on every filesystem) looks at the
manifest and every ``*.py`` under the service root outside ``.sls-neutral``:
a manifest change recompiles and restarts the whole runtime on the same port;
a handler change only restarts the worker processes, which re-import the code.
A manifest that no longer compiles keeps the previous runtime serving and
prints the error.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any, Callable

from sls_neutral.core.errors import SlsnError

POLL_SECONDS = 0.5
IGNORED_DIRS = {".sls-neutral", ".git", "__pycache__", "node_modules", ".venv", "venv", ".tox", ".pytest_cache"}


def snapshot(root: Path, manifest: Path) -> tuple[float, dict[str, float]]:
    """(manifest mtime, {handler file: mtime}) -- what the watcher compares."""
    files: dict[str, float] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS and not d.startswith(".")]
        for name in filenames:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                try:
                    files[path] = os.stat(path).st_mtime_ns
                except FileNotFoundError:
                    pass
    try:
        manifest_mtime = os.stat(manifest).st_mtime_ns
    except FileNotFoundError:
        manifest_mtime = 0
    return manifest_mtime, files


def forget_bytecode(before: tuple[float, dict[str, float]], after: tuple[float, dict[str, float]]) -> list[str]:
    """Remove the cached bytecode of every handler file that changed between two snapshots.

    Python trusts a ``.pyc`` whose recorded source mtime (whole seconds) and size match, so an edit of the
    same size within the same second would be served stale by the restarted workers.
    """
    import importlib.util

    changed = [path for path, mtime in after[1].items() if before[1].get(path) != mtime]
    for path in changed:
        try:
            os.unlink(importlib.util.cache_from_source(path))
        except (FileNotFoundError, NotImplementedError, ValueError):
            pass
    return changed


def classify(before: tuple[float, dict[str, float]], after: tuple[float, dict[str, float]]) -> str | None:
    """``manifest``, ``code`` or None."""
    if before[0] != after[0]:
        return "manifest"
    if before[1] != after[1]:
        return "code"
    return None


def run_dev(project: Any, host: str = "127.0.0.1", port: int = 8787, reload: bool = True,
            say: Callable[[str], None] = print) -> None:
    from sls_neutral.providers.local.runtime import RUNFILE, LocalRuntime, bind_socket, run_loop

    app = project.app_for("local")
    root = project.root
    manifest = Path(project.config).resolve()
    state_dir = root / ".sls-neutral" / "local" / app.stage
    sock = bind_socket(host, port)  # port in use -> SlsnError before anything else starts

    async def main() -> None:
        nonlocal app
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runtime = LocalRuntime(app, state_dir, host, port, sock=sock)
        await runtime.start()
        runtime.write_runfile()  # info, invoke and workflow find the dev server like a deployed runtime
        _announce(runtime, say)
        seen = snapshot(root, manifest)
        try:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), POLL_SECONDS)
                except asyncio.TimeoutError:
                    pass
                if not reload or stop.is_set():
                    continue
                now = snapshot(root, manifest)
                change = classify(seen, now)
                if change is not None:
                    forget_bytecode(seen, now)
                seen = now
                if change == "code":
                    say("handler code changed: restarting workers")
                    await runtime.restart_workers()
                elif change == "manifest":
                    try:
                        fresh = _recompile(project)
                    except SlsnError as exc:
                        say(f"manifest error, still serving the previous version:\n{exc.render()}")
                        continue
                    say("manifest changed: reloading")
                    runtime.sock = None
                    await runtime.stop()
                    app = fresh
                    runtime = LocalRuntime(app, state_dir, host, port, sock=_rebind(host, port))
                    await runtime.start()
                    runtime.write_runfile()
                    _announce(runtime, say)
        finally:
            await runtime.stop()
            (state_dir / RUNFILE).unlink(missing_ok=True)

    run_loop(main())


def _rebind(host: str, port: int):
    import time

    from sls_neutral.providers.local.runtime import bind_socket

    for _ in range(50):  # the old server closes its socket asynchronously
        try:
            return bind_socket(host, port)
        except SlsnError:
            time.sleep(0.1)
    return bind_socket(host, port)


def _recompile(project: Any) -> Any:
    from sls_neutral.core.pipeline import Project

    fresh = Project(config=project.config, stage=project.stage, options=project.options, env=project.env,
                    plugins=project.plugins)
    return fresh.app_for("local")


def _announce(runtime: Any, say: Callable[[str], None]) -> None:
    app = runtime.app
    say(f"{app.service} ({app.stage}) dev server at {runtime.url} -- Ctrl-C to stop")
    for t, kind, name in app.http_routes:
        say(f"  {t.method:<6} {runtime.url}{t.path}  -> {kind} {name}")
