"""AWS limits and rules, checked at compile time (before anything is written).

Errors stop ``package``/``deploy`` with file:line; warnings name behaviour the
user should know about. Sources: Lambda quotas (900 s, 128-10240 MB, 4 KB of
environment), API Gateway HTTP API (30 s integration timeout), SQS (visibility
timeout >= the consumer's timeout for event source mappings, FIFO batches of
at most 10, 15 min delay, 12 h visibility), S3 notifications (no overlapping
filters for one event type), EventBridge Scheduler cron rules.
"""

from __future__ import annotations

from typing import Any, Mapping

from sls_neutral.core import ir
from sls_neutral.core.errors import Diagnostic, Position
from sls_neutral.providers.aws.cron import CronError, schedule_expression

MAX_TIMEOUT_S = 900
MIN_MEMORY_MB, MAX_MEMORY_MB = 128, 10240
HTTP_TIMEOUT_S = 30
MAX_ENV_BYTES = 4096
MAX_DELAY_S = 900
MAX_VISIBILITY_S = 43200
MIN_RETENTION_S, MAX_RETENTION_S = 60, 1209600
MAX_BATCH, MAX_FIFO_BATCH = 10000, 10
MAX_TAGS = 50


def check_app(app: ir.App, settings: Mapping[str, Any]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    manifest = Position(app.manifest_file)

    def report(message: str, position: Position | None, hint: str, code: str, severity: str = "error") -> None:
        out.append(Diagnostic(message, position or manifest, hint, code=f"aws-{code}", severity=severity))

    tags = {**dict(app.tags), **dict(settings.get("tags") or {})}
    if len(tags) + 2 > MAX_TAGS:
        report(f"{len(tags)} tags; AWS resources take at most {MAX_TAGS} (2 are used by sls-neutral)", manifest,
               "remove tags", "tags")

    for fn in app.functions.values():
        _check_function(app, fn, report)
    for queue in app.queues.values():
        _check_queue(queue, report)
    _check_bucket_overlaps(app, report)
    for wf in app.workflows.values():
        for trigger in wf.triggers:
            if isinstance(trigger, ir.ScheduleTrigger):
                _check_schedule(trigger, f"workflow '{wf.name}'", wf.source, report)
    out.extend(_workflow_limits(app))
    return out


def _check_function(app: ir.App, fn: ir.Function, report) -> None:
    who = f"function '{fn.name}'"
    if fn.timeout > MAX_TIMEOUT_S:
        report(f"{who} has timeout {fn.timeout:g}s; Lambda allows at most {MAX_TIMEOUT_S} s (15 min)", fn.source,
               "lower the timeout, or split the work into workflow steps", "timeout")
    if not MIN_MEMORY_MB <= fn.memory <= MAX_MEMORY_MB:
        report(f"{who} asks for {fn.memory} MB; Lambda offers {MIN_MEMORY_MB}-{MAX_MEMORY_MB} MB", fn.source,
               f"set memory between {MIN_MEMORY_MB}MB and 10GB", "memory")
    env_size = sum(len(k) + len(str(v)) for k, v in fn.environment.items())
    if env_size > MAX_ENV_BYTES - 1024:
        report(f"{who} has {env_size} bytes of environment; Lambda allows 4 KB in total and sls-neutral needs "
               "about 1 KB of it", fn.source, "move large values into a bucket object or a secret", "environment")
    for trigger in fn.triggers:
        if isinstance(trigger, ir.HttpTrigger) and fn.timeout > HTTP_TIMEOUT_S:
            report(f"{who} answers HTTP with timeout {fn.timeout:g}s; API Gateway HTTP APIs end the request after "
                   f"{HTTP_TIMEOUT_S} s (the function keeps running)", fn.source,
                   "keep HTTP handlers under 30 s; move long work to a queue or a workflow", "http-timeout",
                   "warning")
        elif isinstance(trigger, ir.QueueTrigger):
            queue = app.queues.get(trigger.queue)
            if queue is None:
                continue
            if queue.visibility_timeout < fn.timeout:
                report(f"queue '{queue.name}' has visibility timeout {queue.visibility_timeout:g}s, shorter than "
                       f"its consumer {who}'s timeout {fn.timeout:g}s; AWS refuses such an event source mapping",
                       queue.source or fn.source,
                       f"set queues.{queue.name}.visibility_timeout to at least {fn.timeout:g}s (AWS recommends "
                       "6x the function timeout)", "visibility")
            limit = MAX_FIFO_BATCH if queue.fifo else MAX_BATCH
            if trigger.batch_size > limit:
                report(f"{who} reads queue '{queue.name}' in batches of {trigger.batch_size}; "
                       f"{'FIFO queues allow' if queue.fifo else 'SQS allows'} at most {limit}", fn.source,
                       f"set batch_size to {limit} or less", "batch")
        elif isinstance(trigger, ir.ScheduleTrigger):
            _check_schedule(trigger, who, fn.source, report)


def _check_schedule(trigger: ir.ScheduleTrigger, who: str, position: Position | None, report) -> None:
    try:
        schedule_expression(trigger.cron, trigger.rate)
    except CronError as exc:
        report(f"{who}: {exc}", position, "AWS cron cannot restrict both day-of-month and day-of-week; use two "
                                          "schedules, or a rate in whole minutes", "schedule")


def _check_queue(queue: ir.Queue, report) -> None:
    who = f"queue '{queue.name}'"
    if queue.delay > MAX_DELAY_S:
        report(f"{who} delays delivery by {queue.delay:g}s; SQS allows at most 15 minutes", queue.source,
               "use a workflow wait step for longer delays", "delay")
    if queue.visibility_timeout > MAX_VISIBILITY_S:
        report(f"{who} has visibility timeout {queue.visibility_timeout:g}s; SQS allows at most 12 hours",
               queue.source, "lower visibility_timeout", "visibility")
    if not MIN_RETENTION_S <= queue.retention <= MAX_RETENTION_S:
        report(f"{who} retains messages for {queue.retention:g}s; SQS allows 1 minute to 14 days", queue.source,
               "set retention between 1m and 14d", "retention")


def _check_bucket_overlaps(app: ir.App, report) -> None:
    """S3 refuses two notifications whose filters overlap for the same event type."""
    seen: list[tuple[str, str, str, str, ir.Function]] = []
    for fn in app.functions.values():
        for trigger in fn.triggers:
            if not isinstance(trigger, ir.BucketTrigger):
                continue
            for event in trigger.events:
                for bucket, ev, prefix, suffix, other in seen:
                    if bucket == trigger.bucket and ev == event and \
                            (prefix.startswith(trigger.prefix) or trigger.prefix.startswith(prefix)) and \
                            (suffix.endswith(trigger.suffix) or trigger.suffix.endswith(suffix)):
                        report(f"functions '{other.name}' and '{fn.name}' both take '{event}' events of bucket "
                               f"'{bucket}' with overlapping filters; S3 refuses overlapping notifications",
                               fn.source, "make the prefixes or suffixes disjoint, or fan out through a topic",
                               "bucket-overlap")
                seen.append((trigger.bucket, event, trigger.prefix, trigger.suffix, fn))


def _workflow_limits(app: ir.App) -> list[Diagnostic]:
    """Step Functions limits from the workflows compiler, when it provides them."""
    if not app.workflows:
        return []  # and no import of the compiler and its condition grammar
    try:
        from sls_neutral.core.workflows.asl import workflow_limit_diagnostics
    except ImportError:
        return []
    out = []
    for wf in app.workflows.values():
        out.extend(workflow_limit_diagnostics(wf) or [])
    return out
