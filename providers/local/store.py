"""The local provider's durable state: queues, topics, buckets, secrets, schedule ticks.

One SQLite database in WAL mode at ``<state_dir>/state.db`` shared by the runtime
process and every worker process (workers only know ``state_dir``). WAL lets the
dispatchers read while workers write; ``BEGIN IMMEDIATE`` makes a receive atomic
across processes, so two pollers never get the same message.

Everything that is delivered to a function is a queue message, which keeps the
retry, visibility and dead-letter rules in one place:

* user queues are queues;
* a topic publish writes one message per subscriber function into that
  subscriber's own delivery queue (``~topic/<topic>/<function>``) -- retries of one
  subscriber never touch another -- and one message into every queue subscribed
  to the topic;
* a bucket write/delete writes an event message into the delivery queue of every
  bucket-triggered function whose prefix/suffix/events match
  (``~bucket/<bucket>/<function>``);
* ``workflow_start`` from a worker writes into ``~workflow``; the runtime hands
  it to the workflow engine.

Which function listens to what comes from the IR: ``configure(app)`` writes the
topology tables at deploy, and workers read them.

At-least-once: a received message carries a receipt and becomes visible again
after the visibility timeout unless acknowledged -- also after the runtime was
killed, because visibility is a timestamp in the database, not a timer.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    body BLOB NOT NULL,
    attributes TEXT NOT NULL DEFAULT '{}',
    sent_at REAL NOT NULL,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt TEXT
);
CREATE INDEX IF NOT EXISTS messages_queue_visible ON messages(queue, visible_at);
CREATE TABLE IF NOT EXISTS queues (
    name TEXT PRIMARY KEY,
    visibility_timeout REAL NOT NULL,
    max_receives INTEGER,
    dead_letter TEXT,
    fifo INTEGER NOT NULL DEFAULT 0,
    delay REAL NOT NULL DEFAULT 0,
    retention REAL NOT NULL DEFAULT 345600
);
CREATE TABLE IF NOT EXISTS topic_targets (
    topic TEXT NOT NULL,
    kind TEXT NOT NULL,          -- function | queue
    target TEXT NOT NULL,        -- function name or queue name
    delivery_queue TEXT NOT NULL,
    PRIMARY KEY (topic, kind, target)
);
CREATE TABLE IF NOT EXISTS bucket_targets (
    bucket TEXT NOT NULL,
    function TEXT NOT NULL,
    events TEXT NOT NULL,        -- comma-separated: created,deleted
    prefix TEXT NOT NULL DEFAULT '',
    suffix TEXT NOT NULL DEFAULT '',
    delivery_queue TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    content_type TEXT,
    PRIMARY KEY (bucket, key)
);
CREATE TABLE IF NOT EXISTS schedule_ticks (
    schedule TEXT PRIMARY KEY,
    last_tick REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

WORKFLOW_QUEUE = "~workflow"
DEFAULT_VISIBILITY = 30.0
INTERNAL_MAX_RECEIVES = 3  # topic/bucket deliveries: attempts before the event is parked in its ~dead queue


def topic_delivery_queue(topic: str, function: str) -> str:
    return f"~topic/{topic}/{function}"


def bucket_delivery_queue(bucket: str, function: str) -> str:
    return f"~bucket/{bucket}/{function}"


def dead_queue(queue: str) -> str:
    """Where an internal delivery queue parks events that failed every attempt."""
    return f"{queue}~dead"


class InvalidKey(ValueError):
    """An object key that could escape its bucket folder."""


class SecretNotFound(KeyError):
    """A secret with no local value; the message says where to put one."""

    def __str__(self) -> str:  # KeyError quotes its argument; this one is a sentence
        return str(self.args[0]) if self.args else "secret not found"


@dataclass(frozen=True)
class Message:
    id: str
    queue: str
    body: bytes
    attributes: dict[str, str]
    receive_count: int
    receipt: str
    sent_at: float

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class QueueConfig:
    name: str
    visibility_timeout: float = DEFAULT_VISIBILITY
    max_receives: int | None = None
    dead_letter: str | None = None
    fifo: bool = False
    delay: float = 0.0
    retention: float = 345600.0


def validate_key(key: str) -> str:
    """Refuse keys that are empty, absolute, contain '..' segments, backslashes or NUL."""
    if not isinstance(key, str) or not key:
        raise InvalidKey("object key must be a non-empty string")
    if "\x00" in key or "\\" in key:
        raise InvalidKey(f"object key {key!r} contains a NUL or backslash")
    if key.startswith("/"):
        raise InvalidKey(f"object key {key!r} is absolute; keys are relative ('uploads/a.jpg')")
    parts = key.split("/")
    if any(p in ("..", ".") for p in parts) or any(p == "" for p in parts[:-1]) or parts[-1] == "":
        raise InvalidKey(f"object key {key!r} has an empty, '.' or '..' segment")
    return key


def secret_env_name(name: str) -> str:
    return "SLSN_SECRET_" + "".join(c if c.isalnum() else "_" for c in name).upper()


class LocalStore:
    """Durable local state; safe to use from several threads and processes at once."""

    def __init__(self, state_dir: Path | str):
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.state_dir / "state.db"
        self._local = threading.local()
        self._queue_cache: dict[str, QueueConfig] = {}
        self._cache_lock = threading.Lock()
        self._conn().executescript(SCHEMA)  # executescript manages its own transaction

    # ------------------------------------------------------------ connections
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.db_path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives a crash of any process (not a power loss) -- the
            # guarantee a local runtime killed with SIGKILL needs, at a fraction of FULL's fsync cost.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    class _Tx:
        def __init__(self, conn: sqlite3.Connection, immediate: bool):
            self.conn = conn
            self.immediate = immediate

        def __enter__(self) -> sqlite3.Connection:
            self.conn.execute("BEGIN IMMEDIATE" if self.immediate else "BEGIN")
            return self.conn

        def __exit__(self, exc_type, exc, tb) -> None:
            if exc_type is None:
                self.conn.execute("COMMIT")
            else:
                self.conn.execute("ROLLBACK")

    def _tx(self, immediate: bool = True) -> "LocalStore._Tx":
        return LocalStore._Tx(self._conn(), immediate)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # ------------------------------------------------------------ topology
    def configure(self, app: Any) -> None:
        """Write queue settings and who-listens-to-what from the IR (an ``ir.App``)."""
        from sls_neutral.core import ir

        queues: list[QueueConfig] = []
        for q in app.queues.values():
            queues.append(QueueConfig(q.name, q.visibility_timeout, q.max_receives, q.dead_letter, q.fifo,
                                      q.delay, q.retention))
        topic_rows: list[tuple[str, str, str, str]] = []
        bucket_rows: list[tuple[str, str, str, str, str, str]] = []
        for t in app.topics.values():
            for qname in t.queues:
                topic_rows.append((t.name, "queue", qname, qname))
        for f in app.functions.values():
            visibility = max(DEFAULT_VISIBILITY, f.timeout + 5.0)
            for trig in f.triggers:
                if isinstance(trig, ir.TopicTrigger):
                    dq = topic_delivery_queue(trig.topic, f.name)
                    topic_rows.append((trig.topic, "function", f.name, dq))
                    queues.append(QueueConfig(dq, visibility, INTERNAL_MAX_RECEIVES, dead_queue(dq)))
                    queues.append(QueueConfig(dead_queue(dq)))
                elif isinstance(trig, ir.BucketTrigger):
                    dq = bucket_delivery_queue(trig.bucket, f.name)
                    bucket_rows.append((trig.bucket, f.name, ",".join(trig.events), trig.prefix, trig.suffix, dq))
                    queues.append(QueueConfig(dq, visibility, INTERNAL_MAX_RECEIVES, dead_queue(dq)))
                    queues.append(QueueConfig(dead_queue(dq)))
        queues.append(QueueConfig(WORKFLOW_QUEUE, DEFAULT_VISIBILITY, INTERNAL_MAX_RECEIVES,
                                  dead_queue(WORKFLOW_QUEUE)))
        queues.append(QueueConfig(dead_queue(WORKFLOW_QUEUE)))
        with self._tx() as db:
            db.execute("DELETE FROM queues")
            db.execute("DELETE FROM topic_targets")
            db.execute("DELETE FROM bucket_targets")
            db.executemany("INSERT OR REPLACE INTO queues VALUES (?,?,?,?,?,?,?)",
                           [(c.name, c.visibility_timeout, c.max_receives, c.dead_letter, int(c.fifo), c.delay,
                             c.retention) for c in queues])
            db.executemany("INSERT OR REPLACE INTO topic_targets VALUES (?,?,?,?)", topic_rows)
            db.executemany("INSERT INTO bucket_targets VALUES (?,?,?,?,?,?)", bucket_rows)
        with self._cache_lock:
            self._queue_cache.clear()
        for b in app.buckets.values():
            self._bucket_dir(b.name).mkdir(parents=True, exist_ok=True)
        self.kv_set("workflow_timeouts", {w.name: w.timeout for w in app.workflows.values()})

    def queue_config(self, queue: str) -> QueueConfig:
        with self._cache_lock:
            cached = self._queue_cache.get(queue)
        if cached is not None:
            return cached
        row = self._conn().execute("SELECT * FROM queues WHERE name=?", (queue,)).fetchone()
        config = QueueConfig(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6]) if row else \
            QueueConfig(queue)
        with self._cache_lock:
            self._queue_cache[queue] = config
        return config

    def queue_names(self) -> list[str]:
        return [r[0] for r in self._conn().execute("SELECT name FROM queues ORDER BY name")]

    # ------------------------------------------------------------ producers (the runtime Backend's target)
    def queue_send(self, queue: str, body: bytes, delay: float = 0, attributes: dict | None = None) -> str:
        message_id = uuid.uuid4().hex
        with self._tx() as db:
            self._insert(db, queue, message_id, body, delay, attributes)
        return message_id

    def queue_send_many(self, queue: str, bodies: Iterable[bytes], attributes: dict | None = None) -> list[str]:
        """Many messages in one transaction (benchmarks, fixtures)."""
        ids: list[str] = []
        with self._tx() as db:
            for body in bodies:
                message_id = uuid.uuid4().hex
                self._insert(db, queue, message_id, body, 0, attributes)
                ids.append(message_id)
        return ids

    def _insert(self, db: sqlite3.Connection, queue: str, message_id: str, body: bytes, delay: float,
                attributes: dict | None) -> None:
        config = self.queue_config(queue)
        now = time.time()
        visible = now + max(float(delay or 0), config.delay)
        db.execute("INSERT INTO messages (id, queue, body, attributes, sent_at, visible_at) VALUES (?,?,?,?,?,?)",
                   (message_id, queue, bytes(body), json.dumps(attributes or {}, sort_keys=True), now, visible))

    def topic_publish(self, topic: str, body: bytes, attributes: dict | None = None) -> str:
        message_id = uuid.uuid4().hex
        attrs = dict(attributes or {})
        attrs.setdefault("slsn-topic", topic)
        attrs.setdefault("slsn-topic-message-id", message_id)
        with self._tx() as db:
            targets = db.execute("SELECT delivery_queue FROM topic_targets WHERE topic=? ORDER BY kind, target",
                                 (topic,)).fetchall()
            for (delivery_queue,) in targets:
                self._insert(db, delivery_queue, uuid.uuid4().hex, body, 0, attrs)
        return message_id

    def workflow_start(self, workflow: str, input: dict) -> str:
        """Start an execution from any process: a RUNNING row in the workflow engine's tables, which the
        runtime's engine claims. Without the engine installed, the request waits in ``~workflow``."""
        correlation = None
        if isinstance(input, dict) and isinstance(input.get("_slsn"), dict):
            correlation = input["_slsn"].get("correlation_id")
        try:
            from sls_neutral.core.workflows.engine_store import SCHEMA as ENGINE_SCHEMA
            from sls_neutral.core.workflows.engine_store import insert_execution
        except ImportError:
            execution_id = uuid.uuid4().hex
            body = json.dumps({"workflow": workflow, "input": input, "execution_id": execution_id},
                              sort_keys=True).encode()
            self.queue_send(WORKFLOW_QUEUE, body)
            return execution_id
        if not getattr(self._local, "engine_schema", False):
            self._conn().executescript(ENGINE_SCHEMA)
            self._local.engine_schema = True
        timeout = (self.kv_get("workflow_timeouts") or {}).get(workflow)
        with self._tx() as db:
            execution_id, _ = insert_execution(db, workflow, input, time.time(), timeout, None, correlation)
        return execution_id

    # ------------------------------------------------------------ consumers
    def receive(self, queue: str, max_messages: int = 10, visibility: float | None = None) -> list[Message]:
        """Up to ``max_messages`` visible messages, hidden for ``visibility`` seconds (default: the queue's).

        Messages that were already received ``max_receives`` times and came back (their consumer
        crashed or timed out) go to the dead-letter queue here instead of being delivered again.
        FIFO queues deliver in send order and nothing while an earlier message is in flight.
        """
        config = self.queue_config(queue)
        hide = config.visibility_timeout if visibility is None else float(visibility)
        now = time.time()
        out: list[Message] = []
        with self._tx() as db:
            if config.fifo:
                head = db.execute("SELECT receipt, visible_at FROM messages WHERE queue=? ORDER BY seq LIMIT 1",
                                  (queue,)).fetchone()
                if head is None:
                    return []
                if head[0] is not None and head[1] > now:  # the oldest is in flight: keep order
                    return []
                rows = db.execute("SELECT seq, id, body, attributes, receive_count, sent_at, visible_at "
                                  "FROM messages WHERE queue=? ORDER BY seq LIMIT ?",
                                  (queue, max_messages * 2)).fetchall()
                ready = []
                for row in rows:
                    if row[6] > now:
                        break
                    ready.append(row)
            else:
                ready = db.execute("SELECT seq, id, body, attributes, receive_count, sent_at, visible_at "
                                   "FROM messages WHERE queue=? AND visible_at<=? ORDER BY visible_at, seq LIMIT ?",
                                   (queue, now, max_messages * 2)).fetchall()
            token = os.urandom(8).hex()  # this receive's part of each receipt ("<seq>:<token>")
            seqs: list[int] = []
            for seq, message_id, body, attributes, count, sent_at, _ in ready:
                if config.max_receives and count >= config.max_receives:
                    self._dead_letter(db, config, seq)
                    continue
                if len(out) >= max_messages:
                    break
                seqs.append(seq)
                out.append(Message(message_id, queue, bytes(body), {} if attributes == "{}" else json.loads(attributes),
                                   count + 1, f"{seq}:{token}", sent_at))
            if seqs:  # one statement for the batch, not one per message
                db.execute("UPDATE messages SET receive_count=receive_count+1, visible_at=?, receipt=seq||':'||? "
                           f"WHERE seq IN ({','.join('?' * len(seqs))})", (now + hide, token, *seqs))
        return out

    def _dead_letter(self, db: sqlite3.Connection, config: QueueConfig, seq: int) -> None:
        if config.dead_letter:
            now = time.time()
            db.execute("INSERT INTO messages (id, queue, body, attributes, sent_at, visible_at, receive_count) "
                       "SELECT id || '~dlq', ?, body, attributes, sent_at, ?, receive_count FROM messages "
                       "WHERE seq=?", (config.dead_letter, now, seq))
        db.execute("DELETE FROM messages WHERE seq=?", (seq,))

    @staticmethod
    def _seq(receipt: str) -> int:
        return int(receipt.split(":", 1)[0])

    def ack(self, receipt: str) -> bool:
        """Delete a processed message. False when the receipt is stale (the message was redelivered)."""
        return self.ack_many([receipt]) == 1

    def ack_many(self, receipts: Iterable[str]) -> int:
        rows = [(self._seq(r), r) for r in receipts]
        if not rows:
            return 0
        with self._tx() as db:
            before = db.total_changes
            db.executemany("DELETE FROM messages WHERE seq=? AND receipt=?", rows)
            return db.total_changes - before

    def fail(self, receipt: str, backoff: float = 1.0) -> str:
        """A failed delivery: retry after ``backoff`` seconds, or dead-letter after max receives.

        Returns ``retry``, ``dead_letter`` (moved to the DLQ), ``dropped`` (max receives without a DLQ)
        or ``stale`` (the receipt no longer owns the message).
        """
        seq = self._seq(receipt)
        with self._tx() as db:
            row = db.execute("SELECT queue, receive_count FROM messages WHERE seq=? AND receipt=?",
                             (seq, receipt)).fetchone()
            if row is None:
                return "stale"
            config = self.queue_config(row[0])
            if config.max_receives and row[1] >= config.max_receives:
                self._dead_letter(db, config, seq)
                return "dead_letter" if config.dead_letter else "dropped"
            db.execute("UPDATE messages SET visible_at=?, receipt=NULL WHERE seq=?", (time.time() + backoff, seq))
        return "retry"

    def release(self, receipt: str) -> bool:
        """Give a received message back without counting the receive (FIFO: the rest after a failure)."""
        with self._tx() as db:
            return db.execute("UPDATE messages SET visible_at=?, receipt=NULL, receive_count=MAX(receive_count-1,0) "
                              "WHERE seq=? AND receipt=?", (time.time(), self._seq(receipt), receipt)).rowcount == 1

    def extend(self, receipt: str, visibility: float) -> bool:
        with self._tx() as db:
            return db.execute("UPDATE messages SET visible_at=? WHERE seq=? AND receipt=?",
                              (time.time() + visibility, self._seq(receipt), receipt)).rowcount == 1

    def depth(self, queue: str) -> dict[str, int]:
        """Messages waiting (visible or delayed) and in flight."""
        now = time.time()
        row = self._conn().execute(
            "SELECT COUNT(*), SUM(CASE WHEN receipt IS NOT NULL AND visible_at>? THEN 1 ELSE 0 END) "
            "FROM messages WHERE queue=?", (now, queue)).fetchone()
        total, in_flight = row[0], row[1] or 0
        return {"total": total, "in_flight": in_flight, "waiting": total - in_flight}

    def peek(self, queue: str, limit: int = 100) -> list[dict[str, Any]]:
        """Messages of a queue without receiving them (DLQ inspection, info, tests)."""
        rows = self._conn().execute("SELECT id, body, attributes, receive_count FROM messages WHERE queue=? "
                                    "ORDER BY seq LIMIT ?", (queue, limit)).fetchall()
        return [{"id": r[0], "body": bytes(r[1]), "attributes": json.loads(r[2]), "receive_count": r[3]}
                for r in rows]

    def next_visible_at(self, queue: str) -> float | None:
        row = self._conn().execute("SELECT MIN(visible_at) FROM messages WHERE queue=?", (queue,)).fetchone()
        return row[0] if row else None

    def purge_expired(self) -> int:
        """Delete messages older than their queue's retention period."""
        now = time.time()
        with self._tx() as db:
            return db.execute("DELETE FROM messages WHERE sent_at < ? - COALESCE((SELECT retention FROM queues "
                              "WHERE queues.name = messages.queue), 345600)", (now,)).rowcount

    # ------------------------------------------------------------ buckets
    def _bucket_dir(self, bucket: str) -> Path:
        if not bucket or "/" in bucket or bucket in (".", "..") or "\x00" in bucket:
            raise InvalidKey(f"invalid bucket name {bucket!r}")
        return self.state_dir / "buckets" / bucket

    def _object_path(self, bucket: str, key: str) -> Path:
        validate_key(key)
        root = self._bucket_dir(bucket).resolve()
        path = (root / key).resolve()
        if root not in path.parents:
            raise InvalidKey(f"object key {key!r} resolves outside bucket {bucket!r}")
        return path

    def bucket_put(self, bucket: str, key: str, data: bytes, content_type: str | None = None) -> dict:
        path = self._object_path(bucket, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_dir = self.state_dir / "tmp"
        tmp_dir.mkdir(exist_ok=True)
        tmp = tmp_dir / f"{uuid.uuid4().hex}.part"
        data = bytes(data)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # atomic: readers see the old object or the new one, never half of one
        info = {"bucket": bucket, "key": key, "size": len(data), "etag": hashlib.md5(data).hexdigest()}
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?)",
                       (bucket, key, info["size"], info["etag"], content_type))
            self._bucket_event(db, "created", info)
        return info

    def bucket_get(self, bucket: str, key: str) -> bytes:
        path = self._object_path(bucket, key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(f"{bucket}/{key}") from None

    def bucket_head(self, bucket: str, key: str) -> dict | None:
        row = self._conn().execute("SELECT size, etag, content_type FROM objects WHERE bucket=? AND key=?",
                                   (bucket, key)).fetchone()
        if row is None:
            return None
        return {"bucket": bucket, "key": key, "size": row[0], "etag": row[1], "content_type": row[2]}

    def bucket_delete(self, bucket: str, key: str) -> bool:
        path = self._object_path(bucket, key)
        try:
            data = path.read_bytes()
            path.unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        root = self._bucket_dir(bucket).resolve()
        parent = path.parent
        while parent != root and root in parent.parents:  # drop empty folders so listings stay clean
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
        info = {"bucket": bucket, "key": key, "size": len(data), "etag": hashlib.md5(data).hexdigest()}
        with self._tx() as db:
            db.execute("DELETE FROM objects WHERE bucket=? AND key=?", (bucket, key))
            self._bucket_event(db, "deleted", info)
        return True

    def bucket_list(self, bucket: str, prefix: str = "") -> list[str]:
        root = self._bucket_dir(bucket)
        if not root.is_dir():
            return []
        keys = []
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                key = Path(dirpath, name).relative_to(root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def _bucket_event(self, db: sqlite3.Connection, event: str, info: dict) -> None:
        rows = db.execute("SELECT function, events, prefix, suffix, delivery_queue FROM bucket_targets "
                          "WHERE bucket=?", (info["bucket"],)).fetchall()
        for _function, events, prefix, suffix, delivery_queue in rows:
            key = info["key"]
            if event in events.split(",") and key.startswith(prefix) and key.endswith(suffix):
                body = json.dumps(info, sort_keys=True).encode()
                self._insert(db, delivery_queue, uuid.uuid4().hex, body, 0, {"slsn-bucket-event": event})

    # ------------------------------------------------------------ secrets
    def secret_read(self, name: str) -> str:
        env = secret_env_name(name)
        if env in os.environ:
            return os.environ[env]
        path = self.state_dir / "secrets.json"
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            values = {}
        except ValueError as exc:
            raise SecretNotFound(f"secret '{name}': {path} is not valid JSON ({exc})") from None
        if isinstance(values, dict) and name in values:
            return str(values[name])
        raise SecretNotFound(f"secret '{name}' has no local value; set the environment variable {env} "
                             f"or add {{\"{name}\": \"...\"}} to {path}")

    # ------------------------------------------------------------ schedules and small records
    def schedule_last_tick(self, schedule: str) -> float | None:
        row = self._conn().execute("SELECT last_tick FROM schedule_ticks WHERE schedule=?", (schedule,)).fetchone()
        return row[0] if row else None

    def schedule_set_tick(self, schedule: str, tick: float) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO schedule_ticks VALUES (?,?)", (schedule, tick))

    def kv_get(self, key: str) -> Any:
        row = self._conn().execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def kv_set(self, key: str, value: Any) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO kv VALUES (?,?)", (key, json.dumps(value, sort_keys=True)))
