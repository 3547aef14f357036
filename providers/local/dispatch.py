"""Event dispatchers: asyncio tasks that move stored messages into function invocations.

One poller per (queue, function) pair -- user queues, each topic subscriber's
delivery queue, each bucket-triggered function's delivery queue -- plus one task
per schedule and one that hands queued workflow starts to the engine.

A batch is received at once (up to ``batch_size``), each message is its own
invocation, the successes are acknowledged together and each failure is given
back with a short backoff (or dead-lettered after the queue's max receives).
FIFO queues process a batch in order and stop at the first failure, releasing
the rest so nothing overtakes the failed message.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from sls_neutral.providers.local import payloads
from sls_neutral.providers.local.logs import FunctionLogs
from sls_neutral.providers.local.schedule import next_tick, schedule_key
from sls_neutral.providers.local.store import (
    WORKFLOW_QUEUE, LocalStore, Message, bucket_delivery_queue, topic_delivery_queue,
)

Invoke = Callable[[str, str, dict], Awaitable[dict]]
StartWorkflow = Callable[..., Awaitable[str]]

IDLE_MIN = 0.01  # seconds between polls right after a queue went empty
IDLE_MAX = 0.25  # ... backing off to this while it stays empty


def retry_backoff(receive_count: int) -> float:
    """0.2 s, 0.4 s, 0.8 s ... capped at 10 s: short enough to see retries, long enough not to spin."""
    return min(0.2 * (2 ** max(receive_count - 1, 0)), 10.0)


@dataclass(frozen=True)
class Subscription:
    queue: str  # the store queue to poll
    function: str
    batch_size: int
    fifo: bool
    build: Callable[[Message], dict]
    label: str  # for logs: "queue resize-jobs", "topic photo-events", ...


def subscriptions(app: Any) -> list[Subscription]:
    """Every (queue to poll, function) pair the IR asks for, in a stable order."""
    from sls_neutral.core import ir

    subs: list[Subscription] = []
    for f in sorted(app.functions.values(), key=lambda f: f.name):
        for trig in f.triggers:
            if isinstance(trig, ir.QueueTrigger):
                queue = app.queues.get(trig.queue)
                subs.append(Subscription(
                    trig.queue, f.name, trig.batch_size, bool(queue and queue.fifo),
                    lambda m, q=trig.queue: payloads.queue_event(app.service, q, m), f"queue {trig.queue}"))
            elif isinstance(trig, ir.TopicTrigger):
                subs.append(Subscription(
                    topic_delivery_queue(trig.topic, f.name), f.name, 10, False,
                    lambda m, t=trig.topic: payloads.topic_event(app.service, t, m), f"topic {trig.topic}"))
            elif isinstance(trig, ir.BucketTrigger):
                dq = bucket_delivery_queue(trig.bucket, f.name)
                if any(s.queue == dq for s in subs):  # two triggers on one bucket share the delivery queue
                    continue
                subs.append(Subscription(
                    dq, f.name, 10, False,
                    lambda m, b=trig.bucket: payloads.bucket_event(app.service, b, m), f"bucket {trig.bucket}"))
    return subs


class Dispatchers:
    def __init__(self, app: Any, store: LocalStore, invoke: Invoke, logs: FunctionLogs,
                 start_workflow: StartWorkflow | None = None, max_inflight_batches: int = 4):
        self.app = app
        self.store = store
        self.invoke = invoke
        self.logs = logs
        self.start_workflow = start_workflow
        self.max_inflight_batches = max_inflight_batches
        self.tasks: list[asyncio.Task] = []
        self._stopping = asyncio.Event()
        self.processed = 0
        self.failed = 0

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        for sub in subscriptions(self.app):
            self.tasks.append(asyncio.create_task(self._poll(sub), name=f"poll {sub.queue} -> {sub.function}"))
        for kind, owner, index, trig in self._schedules():
            self.tasks.append(asyncio.create_task(self._schedule(kind, owner, index, trig),
                                                  name=f"schedule {owner}#{index}"))
        if self.start_workflow is not None:
            self.tasks.append(asyncio.create_task(self._workflow_starts(), name="workflow starts"))
        self.tasks.append(asyncio.create_task(self._housekeeping(), name="retention"))

    async def stop(self) -> None:
        self._stopping.set()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()

    def _schedules(self) -> list[tuple[str, str, int, Any]]:
        from sls_neutral.core import ir

        out = []
        for f in sorted(self.app.functions.values(), key=lambda f: f.name):
            for i, trig in enumerate(f.triggers):
                if isinstance(trig, ir.ScheduleTrigger):
                    out.append(("function", f.name, i, trig))
        for w in sorted(self.app.workflows.values(), key=lambda w: w.name):
            for i, trig in enumerate(w.triggers):
                if isinstance(trig, ir.ScheduleTrigger):
                    out.append(("workflow", w.name, i, trig))
        return out

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=max(seconds, 0))
        except asyncio.TimeoutError:
            pass

    # ------------------------------------------------------------ queues
    async def _poll(self, sub: Subscription) -> None:
        idle = IDLE_MIN
        slots = asyncio.Semaphore(1 if sub.fifo else self.max_inflight_batches)
        pending: set[asyncio.Task] = set()
        try:
            while not self._stopping.is_set():
                await slots.acquire()
                try:
                    messages = self.store.receive(sub.queue, sub.batch_size)
                except Exception as exc:  # a locked or broken database must not kill the poller
                    slots.release()
                    self.logs.write(sub.function, {"level": "error",
                                                   "message": f"receive from {sub.label} failed: {exc}"})
                    await self._sleep(1.0)
                    continue
                if not messages:
                    slots.release()
                    await self._sleep(idle)
                    idle = min(idle * 2, IDLE_MAX)
                    continue
                idle = IDLE_MIN
                task = asyncio.create_task(self._batch(sub, messages))
                pending.add(task)
                task.add_done_callback(lambda t: (pending.discard(t), slots.release()))
        finally:
            for task in list(pending):
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def _batch(self, sub: Subscription, messages: list[Message]) -> None:
        settled: set[str] = set()  # receipts acknowledged, failed or released
        try:
            if sub.fifo:
                for i, message in enumerate(messages):
                    ok = await self._deliver(sub, message)
                    settled.add(message.receipt)
                    if not ok:
                        for rest in messages[i + 1:]:
                            self.store.release(rest.receipt)
                            settled.add(rest.receipt)
                        return
                return
            results = await asyncio.gather(*(self._deliver(sub, m, ack=False) for m in messages))
            done = [m.receipt for m, ok in zip(messages, results) if ok]
            settled.update(m.receipt for m in messages)
            if done:
                self.store.ack_many(done)
        except asyncio.CancelledError:
            # Stopping: hand unfinished messages back now instead of after the visibility timeout, so a
            # restart picks them up at once (a handler may have run halfway: at-least-once allows that).
            for message in messages:
                if message.receipt not in settled:
                    try:
                        self.store.release(message.receipt)
                    except Exception:
                        pass
            raise

    async def _deliver(self, sub: Subscription, message: Message, ack: bool = True) -> bool:
        """Invoke the function with one message; on failure give the message back. True when processed."""
        started = time.perf_counter()
        try:
            payload = sub.build(message)
        except Exception as exc:  # an undecodable stored event goes straight to its dead-letter queue
            result: dict = {"error": "BadEvent", "cause": str(exc)}
            payload = {"correlation_id": ""}
        else:
            try:
                result = await self.invoke(sub.function, "event", payload)
            except Exception as exc:
                result = {"error": type(exc).__name__, "cause": str(exc)}
        ok = "error" not in result
        duration = (time.perf_counter() - started) * 1000
        fields = {"source": sub.label, "message_id": message.id, "receive_count": message.receive_count,
                  "correlation_id": payload.get("correlation_id", "")}
        if ok:
            self.processed += 1
            if ack:
                self.store.ack(message.receipt)
            self.logs.invocation(sub.function, "event", result.get("request_id", message.id), duration, "ok",
                                 **fields)
            return True
        self.failed += 1
        verdict = self.store.fail(message.receipt, retry_backoff(message.receive_count))
        self.logs.invocation(sub.function, "event", result.get("request_id", message.id), duration, "failed",
                             error=result.get("error"), cause=result.get("cause", ""), next=verdict, **fields)
        return False

    # ------------------------------------------------------------ schedules
    async def _schedule(self, kind: str, owner: str, index: int, trig: Any) -> None:
        key = schedule_key(kind, owner, index)
        while not self._stopping.is_set():
            now = time.time()
            due = next_tick(trig, now, self.store.schedule_last_tick(key))
            await self._sleep(due - time.time())
            if self._stopping.is_set():
                return
            self.store.schedule_set_tick(key, due)
            if kind == "workflow":
                if self.start_workflow is not None:
                    data = trig.data if isinstance(trig.data, dict) else {"data": trig.data}
                    await self.start_workflow(owner, data, None)
                continue
            payload = payloads.schedule_event(self.app.service, owner, due, trig.data)
            started = time.perf_counter()
            try:
                result = await self.invoke(owner, "event", payload)
            except Exception as exc:
                result = {"error": type(exc).__name__, "cause": str(exc)}
            outcome = "failed" if "error" in result else "ok"
            extra = {"error": result["error"], "cause": result.get("cause", "")} if "error" in result else {}
            self.logs.invocation(owner, "event", result.get("request_id", payload["event"]["id"]),
                                 (time.perf_counter() - started) * 1000, outcome, source=f"schedule #{index}",
                                 **extra)

    # ------------------------------------------------------------ workflow starts from handlers
    async def _workflow_starts(self) -> None:
        idle = IDLE_MIN
        while not self._stopping.is_set():
            messages = self.store.receive(WORKFLOW_QUEUE, 10)
            if not messages:
                await self._sleep(idle)
                idle = min(idle * 2, IDLE_MAX)
                continue
            idle = IDLE_MIN
            for message in messages:
                try:
                    request = json.loads(message.body)
                    await self.start_workflow(request["workflow"], request["input"], None,
                                              execution_id=request["execution_id"])
                except Exception as exc:
                    self.logs.write("~workflows", {"level": "error", "message": f"workflow start failed: {exc}"})
                    self.store.fail(message.receipt, retry_backoff(message.receive_count))
                else:
                    self.store.ack(message.receipt)

    async def _housekeeping(self) -> None:
        while not self._stopping.is_set():
            try:
                self.store.purge_expired()
            except Exception:
                pass
            await self._sleep(60.0)
