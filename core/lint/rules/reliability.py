"""Rules about lost, duplicated and looping events (SN005-SN007, SN010)."""

from __future__ import annotations

from typing import Iterator

from sls_neutral.core import ir
from sls_neutral.core.errors import Diagnostic
from sls_neutral.core.lint.facts import async_kinds, fmt_s, limits
from sls_neutral.core.lint.graph import build_edges, cycle_path, strongly_connected
from sls_neutral.core.lint.model import Rule


class MissingDeadLetter(Rule):
    id = "SN005"
    name = "missing-dead-letter"
    severity = "error"
    summary = "A queue without a dead-letter queue, or a function fed directly by async events with nowhere " \
              "for failures to go."
    fix = "add dead_letter: {max_receives: 5} to the queue; trigger async work from such a queue"
    catches = "poison messages retried forever, or events silently dropped after the platform's retries"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        for q in app.queues.values():
            if q.dead_letter is None and q.dead_letter_for is None:
                yield self.finding(f"queue '{q.name}' has no dead-letter queue: a message that always fails is "
                                   "retried until retention expires, then lost", q.source, app,
                                   subject=f"queue:{q.name}")
        for f in app.functions.values():
            direct = [t for t in f.triggers if isinstance(t, (ir.TopicTrigger, ir.BucketTrigger))]
            for t in direct:
                what = f"topic '{t.topic}'" if isinstance(t, ir.TopicTrigger) else f"bucket '{t.bucket}'"
                yield self.finding(
                    f"function '{f.name}' is triggered directly by {what}: after the platform's few retries a "
                    "failed event is dropped with no dead letter", f.source, app, severity="warning",
                    subject=f"function:{f.name}",
                    hint="subscribe a queue with dead_letter (topics: queues: [...]) and trigger from the queue")


class DeadLetterMisconfigured(Rule):
    id = "SN006"
    name = "dead-letter-misconfigured"
    severity = "warning"
    summary = "A dead-letter queue that loses messages or a retry count that storms or gives up at once."
    fix = "keep the DLQ's retention longer than its source's, and max_receives between 3 and 20"
    catches = "a DLQ that expires messages before anyone looks, retry storms, no retries at all"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        lim = limits(app, provider)
        for q in app.queues.values():
            if q.dead_letter is None:
                continue
            subject = f"queue:{q.name}"
            dlq = app.queues.get(q.dead_letter)
            if dlq is not None and dlq.retention <= q.retention:
                yield self.finding(f"dead-letter queue '{dlq.name}' keeps messages {fmt_s(dlq.retention)}, no "
                                   f"longer than its source '{q.name}' ({fmt_s(q.retention)}): failed messages "
                                   "can expire before anyone looks", dlq.source or q.source, app, subject=subject)
            if dlq is not None and dlq.fifo != q.fifo:
                yield self.finding(f"dead-letter queue '{dlq.name}' is {'FIFO' if dlq.fifo else 'standard'} but "
                                   f"'{q.name}' is {'FIFO' if q.fifo else 'standard'}: the types must match",
                                   dlq.source or q.source, app, severity="error", subject=subject)
            n = q.max_receives
            if n is None:
                continue
            if n == 1:
                yield self.finding(f"queue '{q.name}' dead-letters after 1 receive: one transient error (a "
                                   "timeout, a throttle) sends a good message to the DLQ", q.source, app,
                                   subject=subject)
            elif n > 20:
                yield self.finding(f"queue '{q.name}' retries a failing message {n} times before dead-lettering "
                                   "it: a retry storm against the downstream", q.source, app, subject=subject)
            if lim.max_receives_range and not lim.max_receives_range[0] <= n <= lim.max_receives_range[1]:
                lo, hi = lim.max_receives_range
                yield self.finding(f"queue '{q.name}' sets max_receives {n}, but {provider} accepts {lo}-{hi} "
                                   f"delivery attempts: it becomes {min(max(n, lo), hi)}", q.source, app,
                                   subject=subject, hint=f"set max_receives between {lo} and {hi}")


class RecursiveTrigger(Rule):
    id = "SN007"
    name = "recursive-trigger"
    severity = "error"
    summary = "A function feeds the bucket, queue, topic or workflow that triggers it (an infinite loop)."
    fix = "write to another bucket/queue/topic, or filter the trigger (prefix/suffix) so writes do not match"
    catches = "an infinite loop: AWS stops some after ~16 hops, GCP and Azure not at all; the bill grows"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        edges = build_edges(app)
        for component in strongly_connected(edges):
            if not any(n.startswith("function:") for n in component):
                continue
            path = cycle_path(component, edges)
            if not path:
                continue
            loop = " -> ".join([path[0].source] + [f"{e.target}" for e in path])
            filtered = any(e.filtered for e in path)
            first = path[0].source.split(":", 1)[1] if path[0].source.startswith("function:") else None
            fn = app.functions.get(first) if first else None
            subjects = [n for n in component if n.startswith("function:")]
            if filtered:
                message = (f"possible recursive loop {loop}: the bucket trigger is filtered by prefix/suffix, "
                           "make sure the function's writes never match it")
                yield self.finding(message, fn.source if fn else None, app, severity="warning",
                                   subject=subjects[0])
            else:
                yield self.finding(f"recursive loop {loop}: every event the function emits triggers it again",
                                   fn.source if fn else None, app, subject=subjects[0])


class AtLeastOnceWithoutIdempotency(Rule):
    id = "SN010"
    name = "at-least-once-without-idempotency"
    severity = "warning"
    summary = "A function fed by at-least-once delivery (queue, topic, bucket) does not declare idempotent: true."
    fix = "make the handler tolerate redelivery (dedupe on the event id) and declare idempotent: true"
    catches = "double charges and double writes when a message is delivered twice"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        for f in app.functions.values():
            kinds = async_kinds(f)
            if kinds and not f.idempotent:
                yield self.finding(f"function '{f.name}' is triggered by {' and '.join(kinds)} (at-least-once "
                                   "delivery) but does not declare idempotent: true", f.source, app,
                                   subject=f"function:{f.name}")
