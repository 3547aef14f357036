"""Rules about architecture smells (SN011, SN012, SN014, SN015)."""

from __future__ import annotations

from typing import Iterator

from sls_neutral.core import ir
from sls_neutral.core.errors import Diagnostic
from sls_neutral.core.lint.facts import connection_limited, declared_payload, fmt_s, limits
from sls_neutral.core.lint.graph import invoke_chains
from sls_neutral.core.lint.model import Rule

MAX_ROUTES = 10
POLL_ATTEMPTS = 10  # a retry policy this long on one call is polling, not recovering


class SyncFunctionChain(Rule):
    id = "SN011"
    name = "sync-function-chain"
    severity = "warning"
    summary = "A function synchronously invokes another function (error when the chain is 3 or more deep)."
    fix = "hand work on through a queue, a topic or a workflow instead of waiting for another function"
    catches = "double billing (the caller waits and pays) and timeouts that stack up the chain"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        for name, chain in invoke_chains(app).items():
            f = app.functions[name]
            depth = len(chain)
            yield self.finding(f"function '{name}' invokes {' -> '.join(chain[1:])} synchronously "
                               f"(chain of {depth} functions)", f.source, app,
                               severity="error" if depth >= 3 else "warning", subject=f"function:{name}")


class MonolithFunction(Rule):
    id = "SN012"
    name = "monolith-function"
    severity = "info"
    summary = "One function serves many routes or several trigger kinds, or takes the maximum size 'just in case'."
    fix = "split by trigger kind and by resource; size each function for its own work"
    catches = "the Lambda monolith: one deploy unit, broad permissions, the worst cold start for every route"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        lim = limits(app, provider)
        for f in app.functions.values():
            routes = [t for t in f.triggers if isinstance(t, ir.HttpTrigger)]
            reasons = []
            if len(routes) > MAX_ROUTES:
                reasons.append(f"{len(routes)} http routes")
            if len(f.trigger_kinds) >= 2:
                reasons.append(f"{len(f.trigger_kinds)} trigger kinds ({', '.join(f.trigger_kinds)})")
            at_max_memory = lim.memory_max is not None and f.memory >= lim.memory_max.value
            cap = lim.timeout_event
            if at_max_memory and cap is not None and f.timeout >= cap.value:
                reasons.append("maximum memory and maximum timeout")
            if reasons:
                yield self.finding(f"function '{f.name}' looks like a monolith: {'; '.join(reasons)}",
                                   f.source, app, subject=f"function:{f.name}")


class WorkflowMisfit(Rule):
    id = "SN014"
    name = "workflow-misfit"
    severity = "warning"
    summary = "A workflow shaped so that it costs or breaks more than it should: long waits in a short-lived " \
              "flavour, polling by retries, a workflow around a single call."
    fix = "use callbacks or events instead of polling, keep waits within the flavour's limit, call one " \
          "function directly"
    catches = "per-transition/step cost blowup and history bloat"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        lim = limits(app, provider)
        express = provider == "aws" and str(app.settings("aws").get("workflow_type", "")).lower() == "express"
        for wf in app.workflows.values():
            subject = f"workflow:{wf.name}"
            steps = list(ir.walk_steps(wf.steps))
            waited = sum(s.seconds or 0 for s in steps if isinstance(s, ir.WaitStep))
            if express and lim.short_workflow_max and (waited > lim.short_workflow_max.value
                                                       or wf.timeout > lim.short_workflow_max.value):
                yield self.finding(f"workflow '{wf.name}' may run {fmt_s(max(waited, wf.timeout))} but Express "
                                   f"workflows stop at {fmt_s(lim.short_workflow_max.value)}", wf.source, app,
                                   subject=subject)
            for s in steps:
                for retry in getattr(s, "retry", ()):
                    if retry.max_attempts >= POLL_ATTEMPTS:
                        yield self.finding(f"step '{s.name}' of workflow '{wf.name}' retries up to "
                                           f"{retry.max_attempts} times: polling by retries pays a transition "
                                           "per attempt", s.source or wf.source, app, subject=subject)
            if provider == "azure":
                heavy = sorted(fn for fn in wf.functions if (declared_payload(app, fn) or 0) >= 1)
                if heavy:
                    yield self.finding(f"workflow '{wf.name}' passes payloads of 1 MB or more through "
                                       f"{', '.join(heavy)}: Durable Functions replays its history on every step, "
                                       "so large inputs and outputs slow every replay", wf.source, app,
                                       subject=subject, hint="pass bucket keys between steps, not the data")
            calls = [s for s in steps if isinstance(s, ir.CallStep)]
            if len(steps) == 1 and len(calls) == 1 and not calls[0].retry:
                yield self.finding(f"workflow '{wf.name}' only calls '{calls[0].function}': a workflow adds "
                                   "cost and latency without adding state", wf.source, app, severity="info",
                                   subject=subject)


class UnboundedConsumerConcurrency(Rule):
    id = "SN015"
    name = "unbounded-consumer-concurrency"
    severity = "warning"
    summary = "A queue/topic consumer or a workflow map fans out without a cap while it talks to a " \
              "connection-limited service."
    fix = "set max_instances on the function (and max_concurrency on map steps) below the downstream's limit"
    catches = "a burst of messages opens a connection per instance and exhausts the database"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        for f in app.functions.values():
            downstream = connection_limited(f)
            if not downstream or f.max_instances:
                continue
            kinds = [k for k in f.trigger_kinds if k in ("queue", "topic", "bucket")]
            if kinds:
                yield self.finding(f"function '{f.name}' consumes {'/'.join(kinds)} events without "
                                   f"max_instances and connects to a limited downstream ({', '.join(downstream)})",
                                   f.source, app, subject=f"function:{f.name}")
        for wf in app.workflows.values():
            for s in ir.walk_steps(wf.steps):
                if not isinstance(s, ir.MapStep) or s.max_concurrency:
                    continue
                called = sorted({c.function for c in ir.walk_steps(s.steps) if isinstance(c, ir.CallStep)})
                limited = [n for n in called if n in app.functions and connection_limited(app.functions[n])
                           and not app.functions[n].max_instances]
                if limited:
                    yield self.finding(f"map step '{s.name}' of workflow '{wf.name}' has no max_concurrency and "
                                       f"calls {', '.join(limited)}, which connect to a limited downstream",
                                       s.source or wf.source, app, subject=f"workflow:{wf.name}")
