"""GCP limits and naming rules, checked at compile time (before anything is written).

Sources: Cloud Functions 2nd gen quotas (HTTP functions up to 3,600 s, event-driven functions up to
540 s; 32 GiB memory), resource names (functions: 63 lowercase characters), labels (63 characters,
lowercase letters, digits, '_' and '-', at most 64 per resource), runtime environment variables (32 KiB
of names and values per function: Cloud Run's environment variables page, "variable size limits for
functions"; the function's trigger configuration is one of them) and the Workflows limits checked by
the workflows package.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from sls_neutral.core import ir
from sls_neutral.core.errors import Diagnostic, Position
from sls_neutral.providers.gcp.model import (ENV_BYTES_MAX, EVENT_TIMEOUT_MAX, HTTP_TIMEOUT_MAX,
                                             environment_bytes, labels_for)
from sls_neutral.providers.gcp.names import Names

MEMORY_MAX_MB = 32768
LABEL_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE_RE = re.compile(r"^[a-z0-9_-]{0,63}$")
MAX_LABELS = 64
FUNCTION_RE = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")


def check_app(app: ir.App, settings: Mapping[str, Any]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    manifest = Position(app.manifest_file)
    names = Names.from_settings(app.service, app.stage, settings)

    def add(message: str, position: Position | None, hint: str, code: str, severity: str = "error") -> None:
        out.append(Diagnostic(message, position or manifest, hint, code=f"gcp-{code}", severity=severity))

    if not settings.get("project"):
        add("providers.gcp.project is not set; artifacts use the placeholder project 'my-project'", manifest,
            "set providers.gcp.project (deploy needs the real project id)", "project", "warning")
    for fname, fn in app.functions.items():
        event_driven = [t for t in fn.triggers if not isinstance(t, ir.HttpTrigger)
                        and not isinstance(t, ir.QueueTrigger)]
        if event_driven and fn.timeout > EVENT_TIMEOUT_MAX:
            add(f"function '{fname}' has timeout {fn.timeout:g}s; event-driven Cloud Functions allow at most "
                f"{EVENT_TIMEOUT_MAX} s", fn.source,
                "lower the timeout or hand long work to a workflow or an HTTP-triggered function", "timeout")
        elif fn.timeout > HTTP_TIMEOUT_MAX:
            add(f"function '{fname}' has timeout {fn.timeout:g}s; HTTP Cloud Functions allow at most "
                f"{HTTP_TIMEOUT_MAX} s", fn.source, "lower the timeout to 60m or less", "timeout")
        if any(isinstance(t, ir.QueueTrigger) for t in fn.triggers) and fn.timeout > 600:
            add(f"function '{fname}' consumes a queue with timeout {fn.timeout:g}s; a Pub/Sub ack deadline is at "
                "most 600 s, so a longer run is redelivered while it still works", fn.source,
                "keep queue consumers at 10m or less", "ack-deadline", "warning")
        if fn.memory > MEMORY_MAX_MB:
            add(f"function '{fname}' asks for {fn.memory} MB; Cloud Functions offer at most 32 GiB", fn.source,
                "lower memory", "memory")
        physical = names.function(fname)
        if not FUNCTION_RE.match(physical):
            add(f"function name '{physical}' is not a valid Cloud Functions name", fn.source,
                "use lowercase letters, digits and dashes", "name")
        elif physical != f"{app.service}-{app.stage}-{fname}".lower():
            add(f"function '{fname}' is deployed as '{physical}' (63 lowercase characters at most)", fn.source,
                "shorter service, stage or function names keep physical names readable", "name", "info")
        for key in fn.environment:
            if key.startswith("X_GOOGLE_") or key in ("K_SERVICE", "K_REVISION", "K_CONFIGURATION", "PORT"):
                add(f"function '{fname}' sets reserved environment variable '{key}'", fn.source,
                    "rename the variable: Cloud Functions reserve it", "env")
    for fname, size in environment_bytes(app, settings).items():
        if size > ENV_BYTES_MAX:
            add(f"function '{fname}' would be deployed with {size:,} bytes of environment variables; Cloud "
                f"Functions allow {ENV_BYTES_MAX:,} (names and values together, the SLSN_* ones included: "
                "SLSN_FUNCTION_CONFIG carries its routes and event sources, SLSN_RESOURCES its granted resources)",
                app.functions[fname].source,
                "split the function (fewer routes or triggers each), grant fewer resources, or shorten its "
                "environment values", "env")
    labels = labels_for(app, settings)
    if len(labels) > MAX_LABELS:
        add(f"{len(labels)} labels; GCP resources take at most {MAX_LABELS}", manifest, "drop some tags", "labels")
    written = {**dict(app.tags), **dict(settings.get("labels") or {})}
    for key, value in sorted(written.items()):
        if not LABEL_RE.match(key) or not LABEL_VALUE_RE.match(str(value)):
            add(f"label '{key}: {value}' is not a valid GCP label; it is applied as "
                f"'{_sanitized(key, value)}'", manifest,
                "labels: lowercase letters, digits, '_' and '-', keys start with a letter, 63 characters", "labels",
                "warning")
    out.extend(_workflow_limits(app))
    return out


def _sanitized(key: str, value: Any) -> str:
    from sls_neutral.providers.gcp.names import label_key, label_value

    return f"{label_key(key)}: {label_value(value)}"


def _workflow_limits(app: ir.App) -> list[Diagnostic]:
    """The workflows package owns the Workflows limits; use its checks when it provides them."""
    if not app.workflows:
        return []  # and no import of the compiler and its condition grammar
    import inspect

    from importlib import import_module

    check = None
    for module_name in ("sls_neutral.core.workflows.gcp", "sls_neutral.core.workflows.limits",
                        "sls_neutral.core.workflows"):
        try:
            check = getattr(import_module(module_name), "workflow_limit_diagnostics", None)
        except ImportError:
            continue
        if check is not None:
            break
    if check is None:
        return []
    takes_provider = len(inspect.signature(check).parameters) > 1
    out: list[Diagnostic] = []
    for wf in app.workflows.values():
        out.extend(check(wf, "gcp") if takes_provider else check(wf))
    return out
