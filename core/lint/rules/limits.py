"""Rules about hard platform limits: timeouts, sizing, leases, payloads (SN001-SN004, SN013)."""

from __future__ import annotations

from typing import Iterator

from sls_neutral.core import ir
from sls_neutral.core.errors import Diagnostic
from sls_neutral.core.lint.facts import (async_kinds, azure_plan, declared_payload, fmt_mb, fmt_s, has_http,
                                         limits, ordered_queue, queue_payload_limit, step_functions)
from sls_neutral.core.lint.model import Rule


class TimeoutOverPlatformMax(Rule):
    id = "SN001"
    name = "timeout-over-platform-max"
    severity = "error"
    summary = "A function's timeout is above the target platform's maximum."
    fix = "lower the timeout, split the work into workflow steps, or run it as a container job"
    catches = "a long batch job forced into FaaS: the deploy fails, or the platform kills it mid-way"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        lim = limits(app, provider)
        for f in app.functions.values():
            # functions without triggers are workflow steps or invoked directly: called over HTTP on GCP
            http_only = all(isinstance(t, ir.HttpTrigger) for t in f.triggers)
            cap = lim.timeout_http if http_only else lim.timeout_event
            if cap is not None and f.timeout > cap.value:
                yield self.finding(
                    f"function '{f.name}' has timeout {fmt_s(f.timeout)}, above the {provider} maximum of "
                    f"{fmt_s(cap.value)} ({cap.what})", f.source, app, subject=f"function:{f.name}")


class HttpTimeoutOverGateway(Rule):
    id = "SN002"
    name = "http-timeout-over-gateway"
    severity = "warning"
    summary = "An HTTP function may run longer than the gateway waits (error on AWS: the client gets a 504)."
    fix = "keep HTTP handlers under the gateway cap: answer 202 and start a workflow or enqueue the work"
    catches = "clients see 503/504 while the function keeps running and billing"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        lim = limits(app, provider)
        cap = lim.gateway_timeout
        if cap is None:
            return
        for f in app.functions.values():
            if has_http(f) and f.timeout > cap.value:
                yield self.finding(
                    f"http function '{f.name}' has timeout {fmt_s(f.timeout)}, but {cap.what} is "
                    f"{fmt_s(cap.value)}: callers get a gateway timeout while the function keeps running",
                    f.source, app, severity="error" if lim.gateway_is_error else "warning",
                    subject=f"function:{f.name}")


class ImplicitOrInvalidSizing(Rule):
    id = "SN003"
    name = "implicit-or-invalid-sizing"
    severity = "warning"
    summary = "Memory or timeout left to defaults (which differ per provider), or not a size the target offers."
    fix = "set memory and timeout on the function or under defaults:, to a size the target offers"
    catches = "provider defaults diverge (Lambda 3 s/128 MB, GCP 60 s, Azure 5 min): the same code times out on one"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        lim = limits(app, provider)
        for f in app.functions.values():
            subject = f"function:{f.name}"
            missing = [n for n, explicit in (("memory", f.memory_explicit), ("timeout", f.timeout_explicit))
                       if not explicit]
            if missing:
                yield self.finding(f"function '{f.name}' does not set {' or '.join(missing)}: each provider "
                                   "would apply its own default", f.source, app, subject=subject)
            if lim.memory_min is not None and f.memory < lim.memory_min:
                yield self.finding(f"function '{f.name}' asks for {f.memory} MB, below the {provider} minimum "
                                   f"of {int(lim.memory_min)} MB", f.source, app, severity="error", subject=subject)
            elif lim.memory_max is not None and f.memory > lim.memory_max.value:
                yield self.finding(f"function '{f.name}' asks for {f.memory} MB, above {lim.memory_max.what} "
                                   f"({int(lim.memory_max.value)} MB)", f.source, app, severity="error",
                                   subject=subject)
            elif lim.memory_tiers and f.memory not in lim.memory_tiers:
                tiers = ", ".join(f"{t} MB" for t in lim.memory_tiers)
                yield self.finding(f"function '{f.name}' asks for {f.memory} MB; Azure Flex Consumption "
                                   f"({azure_plan(app)}) only offers instance sizes {tiers}: it gets the next "
                                   "size up (and is billed for it)", f.source, app, severity="info",
                                   subject=subject, hint=f"pick one of {tiers}")


class ConsumerLeaseShorterThanTimeout(Rule):
    id = "SN004"
    name = "consumer-lease-shorter-than-timeout"
    severity = "error"
    summary = "A queue's visibility timeout (ack deadline, lock) is shorter than its consumer's timeout " \
              "(warning below the platform's recommended multiple, 6x on AWS)."
    fix = "raise the queue's visibility_timeout (AWS: at least 6x the consumer's timeout) or lower the timeout"
    catches = "a message becomes visible again while it is still being processed: duplicate processing"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        lim = limits(app, provider)
        for f in app.functions.values():
            for t in f.triggers:
                if not isinstance(t, ir.QueueTrigger) or t.queue not in app.queues:
                    continue
                if lim.queue_lease_managed and not ordered_queue(app, t.queue):
                    continue  # Azure Storage Queues: the host keeps the message invisible while it runs
                q = app.queues[t.queue]
                lease = q.visibility_timeout
                capped = ""
                if lim.lease_max is not None and lease > lim.lease_max.value:
                    lease = lim.lease_max.value
                    capped = f" (capped at {fmt_s(lease)}: {lim.lease_max.what})"
                need = lim.lease_factor * f.timeout
                if lease < f.timeout:  # redelivered while still running, on every try
                    yield self.finding(
                        f"queue '{q.name}' has {lim.lease_name} {fmt_s(lease)}{capped}, shorter than the timeout "
                        f"of its consumer '{f.name}' ({fmt_s(f.timeout)}): a slow message is delivered again while "
                        "it is still being processed", q.source or f.source, app, subject=f"function:{f.name}")
                elif lease < need:  # the platform's recommendation (AWS: 6x, to cover retries of a batch)
                    yield self.finding(
                        f"queue '{q.name}' has {lim.lease_name} {fmt_s(lease)}, less than {lim.lease_factor:g}x the "
                        f"timeout of its consumer '{f.name}' ({fmt_s(f.timeout)}); {lim.provider} recommends "
                        f">= {fmt_s(need)}", q.source or f.source, app, severity="warning",
                        subject=f"function:{f.name}")


class PayloadOverPathLimit(Rule):
    id = "SN013"
    name = "payload-over-path-limit"
    severity = "error"
    summary = "A declared payload is larger than the smallest hop on its path (gateway, queue, event, step)."
    fix = "store the body in a bucket and pass its key (claim check), or lower lint.max_payload"
    catches = "messages rejected or truncated at one hop on one provider only: the missing claim-check"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        lim = limits(app, provider)
        steps = step_functions(app)
        for f in app.functions.values():
            size = declared_payload(app, f.name)
            if size is None:
                continue
            hops = []
            if has_http(f) and lim.payload_http:
                hops.append(("http trigger", lim.payload_http))
            for t in f.triggers:
                if isinstance(t, ir.QueueTrigger) and queue_payload_limit(app, lim, t.queue):
                    hops.append((f"queue '{t.queue}'", queue_payload_limit(app, lim, t.queue)))
            if "topic" in async_kinds(f) and lim.payload_topic:
                hops.append(("topic trigger", lim.payload_topic))
            for g in f.grants:
                if g.kind == "queue" and g.action in ("send", "*"):
                    for name in (sorted(app.queues) if g.name == "*" else [g.name]):
                        cap = queue_payload_limit(app, lim, name)
                        if cap:
                            hops.append((f"queue '{name}'", cap))
            if any(g.kind == "topic" and g.action in ("publish", "*") for g in f.grants) and lim.payload_topic:
                hops.append(("topic publish", lim.payload_topic))
            if f.name in steps and lim.payload_step:
                hops.append((f"workflow step of '{steps[f.name]}'", lim.payload_step))
            over = [(where, cap) for where, cap in hops if size > cap.value]
            if over:
                where, cap = min(over, key=lambda h: h[1].value)
                yield self.finding(
                    f"function '{f.name}' declares payloads up to {fmt_mb(size)}, but its {where} allows "
                    f"{fmt_mb(cap.value)} on {provider} ({cap.what})", f.source, app, subject=f"function:{f.name}")
