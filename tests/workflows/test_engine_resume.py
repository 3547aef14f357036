"""Kill-and-resume: a SIGKILLed runtime resumes executions; completed steps never run twice, timers never early."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sls_neutral.core.workflows.engine import enqueue_execution

CHILD = Path(__file__).with_name("resume_child.py")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


def _spawn(db: Path, calls: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(CHILD), str(db), str(calls)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


def _query(db: Path, sql: str, *args):
    conn = sqlite3.connect(str(db), timeout=30)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def _until(predicate, timeout: float = 20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _events(db: Path, execution_id: str) -> list[tuple]:
    return _query(db, "SELECT type, step, detail, time FROM wf_history WHERE execution_id=? ORDER BY seq",
                  execution_id)


def _calls(calls: Path, execution_id: str) -> list[str]:
    if not calls.exists():
        return []
    return [line.split()[1] for line in calls.read_text().splitlines() if line.split()[0] == execution_id]


def test_sigkill_during_timer_and_retry_then_resume(tmp_path):
    db, calls = tmp_path / "local.db", tmp_path / "calls.txt"
    timer_id = enqueue_execution(db, "timer", {"x": 1}, timeout=60)
    retry_id = enqueue_execution(db, "retry", {}, timeout=60)

    first = _spawn(db, calls)
    try:
        _until(lambda: any(e[0] == "TimerStarted" for e in _events(db, timer_id)))
        _until(lambda: any(e[0] == "RetryScheduled" for e in _events(db, retry_id)))
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert _query(db, "SELECT status FROM wf_executions WHERE id=?", timer_id) == [("RUNNING",)]
    assert _calls(calls, timer_id) == ["record"]
    assert _calls(calls, retry_id) == ["flaky"]

    second = _spawn(db, calls)
    try:
        for execution_id in (timer_id, retry_id):
            _until(lambda: _query(db, "SELECT status FROM wf_executions WHERE id=?", execution_id)[0][0]
                   != "RUNNING")
    finally:
        second.send_signal(signal.SIGKILL)
        second.wait(10)

    for execution_id in (timer_id, retry_id):
        status, output = _query(db, "SELECT status, output FROM wf_executions WHERE id=?", execution_id)[0]
        assert status == "SUCCEEDED", _events(db, execution_id)
    # each completed step ran exactly once; the failed first attempt was not repeated
    assert _calls(calls, timer_id) == ["record", "record"]
    assert _calls(calls, retry_id) == ["flaky", "flaky", "record"]
    assert json.loads(output)["shaky"] == {"function": "flaky", "input": {}}

    # the timer fired at its recorded time, not early and not restarted from zero
    events = _events(db, timer_id)
    started = next(e for e in events if e[0] == "TimerStarted")
    fire_at = json.loads(started[2])["fire_at"]
    fired = next(e for e in events if e[0] == "TimerFired")
    from datetime import datetime

    fire_ts = datetime.fromisoformat(fire_at.replace("Z", "+00:00")).timestamp()
    assert fired[3] >= fire_ts
    assert fired[3] - started[3] < 2 + 10  # resumed, not re-armed for another full wait after a long restart
    assert [e[0] for e in events].count("ExecutionResumed") == 1
    assert [e[0] for e in events].count("TimerStarted") == 1  # the restart reused the journaled fire time
    assert os.path.exists(db)
