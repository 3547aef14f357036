"""Azure limits and naming rules, checked at compile time (before anything is written).

Errors stop ``package``/``deploy`` with file:line; warnings name an
approximation the user should know about. Sources of the limits: Functions
hosting options (Consumption: 10 min maximum ``functionTimeout``, 1.5 GB;
Flex Consumption: 512/2048/4096 MB instances, unbounded timeout), the HTTP
front end's 230 s response limit, and the Storage naming rules.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from sls_neutral.core import ir
from sls_neutral.core.errors import Diagnostic, Position

CONSUMPTION_TIMEOUT_S = 600.0
HTTP_RESPONSE_LIMIT_S = 230.0
CONSUMPTION_MEMORY_MB = 1536
FLEX_MEMORY_MB = 4096
STORAGE_ACCOUNT_RE = re.compile(r"^[a-z0-9]{3,24}$")
QUEUE_RE = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")
CONTAINER_RE = QUEUE_RE
RESERVED_ROUTE_PREFIXES = ("admin", "runtime")
MAX_QUEUE_BATCH = 32


def check_app(app: ir.App, settings: Mapping[str, Any]) -> list[Diagnostic]:
    from sls_neutral.providers.azure.cron import rate_to_ncrontab
    from sls_neutral.providers.azure.model import build_model

    out: list[Diagnostic] = []
    manifest = Position(app.manifest_file)
    plan = settings.get("plan") or "flex"

    def error(message: str, position: Position | None, hint: str, code: str, severity: str = "error") -> None:
        out.append(Diagnostic(message, position or manifest, hint, code=f"azure-{code}", severity=severity))

    account = settings.get("storage_account")
    if account is not None and not STORAGE_ACCOUNT_RE.match(account):
        error(f"storage account name '{account}' is invalid on Azure", manifest,
              "providers.azure.storage_account: 3-24 lowercase letters and digits, no dashes", "name")

    envs: dict[str, tuple[str, str]] = {}
    for fname, fn in app.functions.items():
        if plan == "consumption" and fn.timeout > CONSUMPTION_TIMEOUT_S:
            error(f"function '{fname}' has timeout {fn.timeout:g}s; the Consumption plan allows at most 10 minutes",
                  fn.source, "lower the timeout or use providers.azure.plan: flex (no fixed limit)", "timeout")
        if any(isinstance(t, ir.HttpTrigger) for t in fn.triggers) and fn.timeout > HTTP_RESPONSE_LIMIT_S:
            error(f"function '{fname}' answers HTTP with timeout {fn.timeout:g}s; Azure's front end closes HTTP "
                  f"requests after {HTTP_RESPONSE_LIMIT_S:g} s", fn.source,
                  "keep HTTP handlers under 230 s and move long work to a queue or a workflow", "http-timeout")
        limit = CONSUMPTION_MEMORY_MB if plan == "consumption" else FLEX_MEMORY_MB
        if fn.memory > limit:
            error(f"function '{fname}' asks for {fn.memory} MB; the {plan} plan offers at most {limit} MB", fn.source,
                  "lower memory" + (" or use plan: flex (up to 4096 MB)" if plan == "consumption" else ""), "memory")
        for key, value in fn.environment.items():
            if key in envs and envs[key][1] != value:
                error(f"environment variable '{key}' is '{value}' in function '{fname}' but '{envs[key][1]}' in "
                      f"'{envs[key][0]}'; Azure functions of one app share their app settings", fn.source,
                      "use one value, or distinct variable names per function", "environment")
            envs.setdefault(key, (fname, value))
        for trig in fn.triggers:
            if isinstance(trig, ir.HttpTrigger):
                first = trig.path.strip("/").split("/", 1)[0].lower()
                if first in RESERVED_ROUTE_PREFIXES:
                    error(f"route '{trig.path}' of function '{fname}' starts with '/{first}', which the Functions "
                          "host reserves", fn.source, "choose another first path segment", "route")
            elif isinstance(trig, ir.BucketTrigger):
                if any(c in trig.prefix + trig.suffix for c in "{}"):
                    error(f"bucket trigger of '{fname}': prefix/suffix may not contain braces on Azure (blob path "
                          "patterns use them)", fn.source, "remove '{' and '}' from prefix and suffix", "blob-path")
            elif isinstance(trig, ir.QueueTrigger) and trig.batch_size > MAX_QUEUE_BATCH:
                q = app.queues.get(trig.queue)
                if q is not None and not (q.fifo or q.subscribed_topics):
                    error(f"queue trigger of '{fname}' asks for batch_size {trig.batch_size}; Storage Queue triggers "
                          f"fetch at most {MAX_QUEUE_BATCH}", fn.source, f"host.json uses {MAX_QUEUE_BATCH}",
                          "batch", severity="warning")
            if isinstance(trig, ir.ScheduleTrigger) and trig.rate and not rate_to_ncrontab(trig.rate).exact:
                error(f"rate {trig.rate:g}s of '{fname}' does not divide an hour or a day; the NCRONTAB schedule "
                      "restarts at each boundary", fn.source, "use a rate that divides 60 minutes or 24 hours, "
                      "or a cron", "rate", severity="warning")

    for bname, bucket in app.buckets.items():
        if not CONTAINER_RE.match(bname):
            error(f"bucket '{bname}' is not a valid Azure container name", bucket.source,
                  "3-63 lowercase letters, digits and single dashes, not ending in a dash", "name")

    max_receives = set()
    for qname, q in app.queues.items():
        service_bus = q.fifo or bool(q.subscribed_topics) or bool(
            q.dead_letter_for and (app.queues[q.dead_letter_for].fifo or app.queues[q.dead_letter_for].subscribed_topics))
        if service_bus:
            continue
        physical = f"{q.dead_letter_for}-poison" if q.dead_letter_for else qname
        if not QUEUE_RE.match(physical):
            error(f"queue '{qname}' becomes Storage queue '{physical}', which is not a valid Azure queue name",
                  q.source, "3-63 lowercase letters, digits and single dashes (a DLQ adds '-poison')", "name")
        if q.max_receives:
            max_receives.add(q.max_receives)
    if len(max_receives) > 1:
        error(f"Storage queues use dead_letter max_receives {sorted(max_receives)}; host.json has one "
              f"maxDequeueCount per app, so {min(max_receives)} applies to all", manifest,
              "use one max_receives for all Storage queues, or make a queue fifo (Service Bus, per-queue count)",
              "max-receives", severity="warning")

    model = build_model(app, settings)
    for key in ("storage", "host_storage"):
        if not STORAGE_ACCOUNT_RE.match(model.names[key]):
            error(f"derived storage account name '{model.names[key]}' is invalid", manifest,
                  "set providers.azure.storage_account", "name")
    return out
