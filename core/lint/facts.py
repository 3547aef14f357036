"""Small facts about an app that several rules ask (kept here so each rule reads as its check)."""

from __future__ import annotations

import re

from sls_neutral.core import ir
from sls_neutral.core.lint.limits import ProviderLimits, limits_for

# The runner puts lint-only declarations from the manifest (``lint: {max_payload: ...}``) here.
LINT_FACTS = "slsn.lint"

# Environment or secret names that say "this talks to something with a connection limit".
CONNECTION_LIMITED = re.compile(r"(^|_)(DATABASE|DB|POSTGRES|PG|MYSQL|MARIADB|SQL|MSSQL|REDIS|MONGO|MONGODB|"
                                r"DSN|JDBC|CONN|CONNECTION)(_|$)", re.IGNORECASE)

ASYNC_KINDS = ("bucket", "queue", "topic")


def azure_plan(app: ir.App) -> str:
    return str(app.settings("azure").get("plan") or "flex")


def limits(app: ir.App, provider: str) -> ProviderLimits:
    return limits_for(provider, azure_plan(app) if provider == "azure" else "flex")


def ordered_queue(app: ir.App, name: str) -> bool:
    """A FIFO or topic-fed queue (its dead-letter queue follows it): Azure puts these on Service Bus."""
    q = app.queues.get(name)
    if q is not None and q.dead_letter_for:
        q = app.queues.get(q.dead_letter_for, q)
    return bool(q is not None and (q.fifo or q.subscribed_topics))


def queue_payload_limit(app: ir.App, lim: ProviderLimits, name: str):
    if lim.payload_ordered_queue is not None and ordered_queue(app, name):
        return lim.payload_ordered_queue
    return lim.payload_queue


def has_http(f: ir.Function) -> bool:
    return any(isinstance(t, ir.HttpTrigger) for t in f.triggers)


def async_kinds(f: ir.Function) -> tuple[str, ...]:
    """The at-least-once trigger kinds of a function (the platform may deliver twice)."""
    return tuple(k for k in f.trigger_kinds if k in ASYNC_KINDS)


def declared_payload(app: ir.App, function: str) -> float | None:
    value = app.extensions.get(LINT_FACTS, {}).get("max_payload", {}).get(function)
    return float(value) if value is not None else None


def step_functions(app: ir.App) -> dict[str, str]:
    """function -> the first workflow (by name) that calls it."""
    out: dict[str, str] = {}
    for wf in sorted(app.workflows.values(), key=lambda w: w.name):
        for fn in wf.functions:
            out.setdefault(fn, wf.name)
    return out


def connection_limited(f: ir.Function) -> list[str]:
    """Environment/secret names that point at a connection-limited downstream (a database, a cache)."""
    names = set(f.environment) | set(f.secret_environment)
    return sorted(n for n in names if CONNECTION_LIMITED.search(n))


def fmt_s(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min" if seconds < 3600 or seconds % 3600 else f"{int(seconds // 3600)} h"
    return f"{seconds:g} s"


def fmt_mb(mb: float) -> str:
    if mb >= 1:
        return f"{mb:g} MB"
    return f"{mb * 1000:g} KB"
