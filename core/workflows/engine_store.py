"""The durable part of the local workflow engine: executions, journal and history in SQLite.

The tables live in the local provider's database file (WAL mode) next to its
queues, so a start request written by another process (a handler calling
``workflow_start``) is a row the running engine picks up. Every write is its
own committed transaction: once ``journal_put`` returns, a SIGKILL cannot
make the engine run that step again.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT")
_LIVE_OWNERS: set[str] = set()  # owners of the stores open in this process
LEASE_SECONDS = 30.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS wf_executions (
    id TEXT PRIMARY KEY,
    workflow TEXT NOT NULL,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    started REAL NOT NULL,
    stopped REAL,
    deadline REAL,
    correlation_id TEXT,
    owner TEXT,
    lease_until REAL
);
CREATE INDEX IF NOT EXISTS wf_executions_status ON wf_executions (status);
CREATE TABLE IF NOT EXISTS wf_journal (
    execution_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    time REAL NOT NULL,
    PRIMARY KEY (execution_id, key)
);
CREATE TABLE IF NOT EXISTS wf_history (
    execution_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    time REAL NOT NULL,
    type TEXT NOT NULL,
    step TEXT,
    detail TEXT,
    PRIMARY KEY (execution_id, seq)
);
"""


def connect(db_path: Path) -> sqlite3.Connection:
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(db_path), timeout=30, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout=30000")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    return db


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_free(owner: str | None, lease_until: float | None) -> bool:
    """Whether another engine may take an execution over.

    On this host the lease follows the process: free as soon as its owner died, never while it
    lives (a long step is not a dead engine). Owners on other hosts (a shared volume) are judged
    by lease expiry, which their drivers renew.
    """
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return (lease_until or 0) < time.time()
    return not owner_alive(owner)


def owner_alive(owner: str) -> bool:
    """Whether the process named in a lease (``host:pid:nonce``, this host) still runs."""
    pid_text = owner.split(":")[1]
    if int(pid_text) == os.getpid():  # ours: a live engine of this process, or an earlier incarnation's
        return owner in _LIVE_OWNERS  # (a restarted container's pid 1)
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def insert_execution(db: sqlite3.Connection, workflow: str, input: Any, now: float, timeout: float | None,
                     execution_id: str | None = None, correlation_id: str | None = None) -> tuple[str, bool]:
    """Insert a RUNNING execution unless one with that id exists; (id, created)."""
    execution_id = execution_id or uuid.uuid4().hex
    deadline = now + timeout if timeout else None
    cur = db.execute(
        "INSERT OR IGNORE INTO wf_executions (id, workflow, input, status, started, deadline, correlation_id)"
        " VALUES (?,?,?,?,?,?,?)",
        (execution_id, workflow, json.dumps(input, sort_keys=True), "RUNNING", now, deadline, correlation_id))
    created = cur.rowcount == 1
    if created:
        db.execute("INSERT INTO wf_history (execution_id, seq, time, type, step, detail) VALUES (?,?,?,?,?,?)",
                   (execution_id, 1, now, "ExecutionStarted", None,
                    json.dumps({"workflow": workflow, "input": input}, sort_keys=True)))
    return execution_id, created


class Store:
    """Thread-safe access to the engine tables through one connection."""

    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        self.db = connect(self.db_path)
        self.lock = threading.RLock()
        self.owner = new_owner()
        _LIVE_OWNERS.add(self.owner)

    def close(self) -> None:
        _LIVE_OWNERS.discard(self.owner)
        with self.lock:
            self.db.close()

    # ------------------------------------------------------------ executions
    def insert(self, workflow: str, input: Any, now: float, timeout: float | None,
               execution_id: str | None = None, correlation_id: str | None = None) -> tuple[str, bool]:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                result = insert_execution(self.db, workflow, input, now, timeout, execution_id, correlation_id)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            return result

    def row(self, execution_id: str) -> dict | None:
        with self.lock:
            cur = self.db.execute("SELECT * FROM wf_executions WHERE id=?", (execution_id,))
            names = [d[0] for d in cur.description]
            found = cur.fetchone()
        return dict(zip(names, found)) if found else None

    def claimable(self, limit: int) -> list[str]:
        """RUNNING executions nobody (alive) holds, oldest first."""
        with self.lock:
            rows = self.db.execute(
                "SELECT id, owner, lease_until FROM wf_executions WHERE status='RUNNING' ORDER BY started, id"
            ).fetchall()
        out = []
        for execution_id, owner, lease_until in rows:
            if owner == self.owner:
                continue
            if lease_free(owner, lease_until):
                out.append(execution_id)
            if len(out) >= limit:
                break
        return out

    def claim(self, execution_id: str) -> bool:
        """Take the lease of a RUNNING execution when it is free, expired or held by a dead process."""
        row = self.row(execution_id)
        if row is None or row["status"] != "RUNNING":
            return False
        if row["owner"] == self.owner:
            return True
        if not lease_free(row["owner"], row["lease_until"]):
            return False
        with self.lock:
            cur = self.db.execute(
                "UPDATE wf_executions SET owner=?, lease_until=? WHERE id=? AND status='RUNNING'"
                " AND owner IS ?", (self.owner, time.time() + LEASE_SECONDS, execution_id, row["owner"]))
        return cur.rowcount == 1

    def renew(self, execution_ids: list[str]) -> None:
        with self.lock:
            for execution_id in execution_ids:
                self.db.execute("UPDATE wf_executions SET lease_until=? WHERE id=? AND owner=?",
                                (time.time() + LEASE_SECONDS, execution_id, self.owner))

    def release(self, execution_id: str) -> None:
        with self.lock:
            self.db.execute("UPDATE wf_executions SET owner=NULL, lease_until=NULL WHERE id=? AND owner=?",
                            (execution_id, self.owner))

    def finish(self, execution_id: str, status: str, now: float, *, output: Any = None, error: str | None = None,
               cause: str | None = None) -> bool:
        """Record the outcome once; False when the execution already ended (or is not ours)."""
        with self.lock:
            cur = self.db.execute(
                "UPDATE wf_executions SET status=?, output=?, error=?, cause=?, stopped=?, owner=NULL,"
                " lease_until=NULL WHERE id=? AND status='RUNNING' AND (owner IS NULL OR owner=?)",
                (status, json.dumps(output, sort_keys=True) if status == "SUCCEEDED" else None, error, cause, now,
                 execution_id, self.owner))
        return cur.rowcount == 1

    # ------------------------------------------------------------ journal
    def journal(self, execution_id: str) -> dict[str, Any]:
        with self.lock:
            rows = self.db.execute("SELECT key, value FROM wf_journal WHERE execution_id=?",
                                   (execution_id,)).fetchall()
        return {key: json.loads(value) for key, value in rows}

    def journal_put(self, execution_id: str, key: str, value: Any, now: float) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO wf_journal (execution_id, key, value, time) VALUES (?,?,?,?)",
                            (execution_id, key, json.dumps(value, sort_keys=True), now))

    # ------------------------------------------------------------ history
    def event(self, execution_id: str, now: float, type: str, step: str | None, detail: Any = None) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO wf_history (execution_id, seq, time, type, step, detail) VALUES (?,"
                " (SELECT COALESCE(MAX(seq), 0) + 1 FROM wf_history WHERE execution_id=?), ?,?,?,?)",
                (execution_id, execution_id, now, type, step,
                 json.dumps(detail, sort_keys=True) if detail is not None else None))

    def history(self, execution_id: str) -> list[dict]:
        with self.lock:
            rows = self.db.execute("SELECT seq, time, type, step, detail FROM wf_history WHERE execution_id=?"
                                   " ORDER BY seq", (execution_id,)).fetchall()
        return [{"seq": seq, "time": t, "type": type_, "step": step,
                 "detail": json.loads(detail) if detail else {}} for seq, t, type_, step, detail in rows]
