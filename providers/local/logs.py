"""Per-function JSON-line logs under ``<state_dir>/logs/<function>.log``.

The runtime, the dispatchers and the worker processes all append here. Each
record is one ``write`` of one line opened with O_APPEND, so lines from several
processes interleave whole, never torn.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from sls_neutral.core.remote import epoch_of_iso


def log_dir(state_dir: Path) -> Path:
    return Path(state_dir) / "logs"


def log_file(state_dir: Path, function: str) -> Path:
    return log_dir(state_dir) / f"{function}.log"


_second: list = [None, ""]  # the last whole second formatted, reused for every record within it


def _now_iso() -> str:
    """UTC now as ``2024-05-01T12:00:00.123Z`` (formatting once per second, not per record)."""
    now = time.time()
    second = int(now)
    if _second[0] != second:
        _second[1] = datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        _second[0] = second
    return f"{_second[1]}.{int((now - second) * 1000):03d}Z"


_str = json.encoder.encode_basestring_ascii  # what json.dumps does to a string
_encode = json.JSONEncoder(sort_keys=True, default=str).encode  # json.dumps(..., sort_keys=True, default=str)


class FunctionLogs:
    """Append-only writers, one file descriptor per function, shared by threads."""

    def __init__(self, state_dir: Path):
        self.dir = log_dir(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._fds: dict[str, int] = {}
        self._lock = threading.Lock()

    def _fd(self, function: str) -> int:
        fd = self._fds.get(function)
        if fd is None:
            with self._lock:
                fd = self._fds.get(function)
                if fd is None:
                    fd = os.open(self.dir / f"{function}.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                    self._fds[function] = fd
        return fd

    def write(self, function: str, record: dict[str, Any]) -> None:
        record = {"time": _now_iso(), "function": function, **record}
        os.write(self._fd(function), (_encode(record) + "\n").encode())

    def raw_line(self, function: str, line: str) -> None:
        """A line a worker printed: kept as is when it is a JSON object (ctx.log), wrapped otherwise."""
        line = line.rstrip("\n")
        if not line:
            return
        if line.startswith("{"):
            try:
                json.loads(line)
                os.write(self._fd(function), (line + "\n").encode())
                return
            except ValueError:
                pass
        self.write(function, {"level": "info", "message": line, "stream": "stderr"})

    def invocation(self, function: str, kind: str, request_id: str, duration_ms: float, outcome: str,
                   **fields: Any) -> None:
        self.write(function, {"level": "error" if outcome != "ok" else "info", "message": f"{kind} invocation {outcome}",
                              "kind": kind, "request_id": request_id, "duration_ms": round(duration_ms, 2),
                              "outcome": outcome, **fields})

    def http_ok(self, function: str, request_id: str, duration_ms: float, route: str, status: int,
                correlation_id: str) -> None:
        """``invocation(function, "http", ..., "ok", route=, status=, correlation_id=)``, the same line, formatted
        without building a dict per request (this runs for every HTTP call)."""
        os.write(self._fd(function), (
            f'{{"correlation_id": {_str(correlation_id)}, "duration_ms": {round(duration_ms, 2)!r}, '
            f'"function": {_str(function)}, "kind": "http", "level": "info", "message": "http invocation ok", '
            f'"outcome": "ok", "request_id": {_str(request_id)}, "route": {_str(route)}, "status": {int(status)}, '
            f'"time": "{_now_iso()}"}}\n').encode())

    def close(self) -> None:
        with self._lock:
            for fd in self._fds.values():
                os.close(fd)
            self._fds.clear()


def line_time(line: str) -> float | None:
    """A log line's ``time`` field as epoch seconds; None when it has none that parses (naive means UTC)."""
    if not line.lstrip().startswith("{"):
        return None
    try:
        text = json.loads(line).get("time")
    except (ValueError, AttributeError):
        return None
    if not isinstance(text, str):
        return None
    try:
        return epoch_of_iso(text)
    except ValueError:
        return None


def read_lines(path: Path, *, follow: bool = False, poll: float = 0.25,
               stop: "threading.Event | None" = None, since: float | None = None) -> Iterator[str]:
    """Lines of a log file; with ``follow`` keep waiting for new ones (``logs --tail``).

    ``since`` (epoch seconds, ``logs --since``) skips lines whose ``time`` is older; lines without a time that
    parses are kept (a handler's own print output, a foreign line).
    """
    path = Path(path)
    while follow and not path.exists():
        if stop is not None and stop.is_set():
            return
        time.sleep(poll)
    if not path.exists():
        return
    with open(path, encoding="utf-8", errors="replace") as fh:
        while True:
            line = fh.readline()
            if line:
                if since is not None:
                    when = line_time(line)
                    if when is not None and when < since:
                        continue
                yield line.rstrip("\n")
                continue
            if not follow or (stop is not None and stop.is_set()):
                return
            time.sleep(poll)
