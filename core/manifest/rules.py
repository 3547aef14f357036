"""The manifest's vocabulary and value rules, without pydantic.

The pydantic models (:mod:`sls_neutral.core.manifest.schema`) and the pydantic-free check of
well-formed manifests (:mod:`sls_neutral.core.manifest.plain`) both apply these, so a rule is written
once. Every rule returns the (normalized) value or raises ``ValueError`` with the message users see.
"""

from __future__ import annotations

import re
from typing import Any

NAME_RE = r"^[a-z][a-z0-9-]{0,62}$"
SERVICE_RE = r"^[a-z][a-z0-9-]{0,38}$"
STAGE_RE = r"^[a-z][a-z0-9-]{0,15}$"
STEP_NAME_RE = r"^[A-Za-z][A-Za-z0-9_-]{0,79}$"
RUNTIMES = ("python3.11", "python3.12", "python3.13")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
SCOPE_ACTIONS = {
    "bucket": ("read", "write", "delete", "list"),
    "queue": ("send", "consume"),
    "topic": ("publish",),
    "secret": ("read",),
    "workflow": ("start",),
    "function": ("invoke",),
}
TRIGGER_KINDS = ("http", "queue", "topic", "schedule", "bucket")
WORKFLOW_TRIGGER_KINDS = ("http", "schedule")
STEP_KINDS = ("call", "set", "switch", "parallel", "map", "wait", "try", "fail", "return", "steps")
#: what each kind of step takes besides its kind key
STEP_OPTIONS = {
    "call": {"input", "result", "retry", "timeout"},
    "set": set(),
    "switch": {"default"},
    "parallel": {"result", "retry"},
    "map": {"result", "retry"},
    "wait": set(),
    "try": {"catch", "retry"},
    "fail": set(),
    "return": set(),
    "steps": set(),
}
#: the manifest's top-level keys (a test checks them against ``schema.Manifest``); any other key is a plugin's
TOP_LEVEL_KEYS = ("service", "runtime", "provider", "stage", "params", "stages", "providers", "defaults", "plugins",
                  "buckets", "queues", "topics", "secrets", "functions", "workflows")


def trigger_tag(value: Any) -> str | None:
    """The kind of a trigger entry: a one-key mapping (``{http: {...}}``) or a validated entry object."""
    if isinstance(value, dict):
        if len(value) == 1:
            key = next(iter(value))
            return key if key in TRIGGER_KINDS else None
        return None
    # One set field is the common case: read it instead of probing the absent kinds, each of which is a
    # caught AttributeError on a plain Block (~12 ms for 1,000 triggers).
    given = getattr(value, "model_fields_set", ())
    if len(given) == 1:
        (key,) = given
        if key in TRIGGER_KINDS and getattr(value, key, None) is not None:
            return key
    return next((k for k in TRIGGER_KINDS if getattr(value, k, None) is not None), None)


def http_method(value: str) -> str:
    upper = value.upper()
    if upper not in HTTP_METHODS:
        raise ValueError(f"unknown HTTP method {value!r}; use one of {', '.join(HTTP_METHODS)}")
    return upper


_PARAMETER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\+?\}")
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")


def http_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"http path {value!r} must start with '/'")
    if "//" in value or (len(value) > 1 and value.endswith("/")):
        raise ValueError(f"http path {value!r} has an empty segment or a trailing '/'")
    for segment in value.strip("/").split("/"):
        if not segment:
            continue
        if segment.startswith("{"):
            if not _PARAMETER.fullmatch(segment):
                raise ValueError(f"path parameter {segment!r} must look like {{name}} (or {{name+}} for a greedy tail)")
        elif not _SEGMENT.fullmatch(segment):
            raise ValueError(f"path segment {segment!r} has characters that are not allowed in a route")
    return value


def cron(value: str | None) -> str | None:
    if value is None:
        return value
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(f"cron {value!r} must have 5 fields: minute hour day-of-month month day-of-week")
    from sls_neutral.core.buildrecord import unrecorded

    with unrecorded():
        from croniter import croniter
    if not croniter.is_valid(value):
        raise ValueError(f"cron {value!r} is not a valid cron expression")
    return " ".join(fields)


def schedule_rate(value: float | None) -> float | None:
    if value is not None and (value < 60 or value % 60):
        raise ValueError("a schedule rate must be a whole number of minutes, at least 1m")
    return value


def timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value!r}; use an IANA name like 'UTC' or 'Europe/Paris'") from None
    return value


def exactly_one_schedule(cron_value: Any, rate_value: Any) -> None:
    if (cron_value is None) == (rate_value is None):
        raise ValueError("a schedule needs exactly one of 'cron' or 'rate'")


_RULE_ID = re.compile(r"[A-Z]{2,}[0-9]{3,}")


def lint_ignore(value: dict[str, str]) -> dict[str, str]:
    for rule, reason in value.items():
        if not _RULE_ID.fullmatch(rule):
            raise ValueError(f"{rule!r} is not a lint rule id (like SN012)")
        if not str(reason).strip():
            raise ValueError(f"suppressing {rule} needs a reason")
    return value


def scope(value: str) -> str:
    parts = value.split(":") if isinstance(value, str) else []
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"permission {value!r} must be KIND:NAME:ACTION, e.g. bucket:photos:read")
    kind, _, action = parts
    if kind not in SCOPE_ACTIONS:
        from sls_neutral.core.errors import did_you_mean

        hint = did_you_mean(kind, SCOPE_ACTIONS)
        raise ValueError(f"unknown permission kind {kind!r}" + (f" ({hint})" if hint else "")
                         + f"; kinds: {', '.join(SCOPE_ACTIONS)}")
    if action != "*" and action not in SCOPE_ACTIONS[kind]:
        raise ValueError(f"unknown action {action!r} for {kind}; use one of {', '.join(SCOPE_ACTIONS[kind])}")
    return value


_HANDLER = re.compile(r"[^:\s]+\.py:[A-Za-z_][A-Za-z0-9_]*")


def handler(value: str) -> str:
    if not _HANDLER.fullmatch(value):
        raise ValueError(f"handler {value!r} must be FILE.py:FUNCTION, e.g. src/api.py:handle")
    if value.startswith("/") or ".." in value.split(":")[0].split("/"):
        raise ValueError(f"handler {value!r} must be a path inside the service folder")
    return value


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def environment_names(value: dict[str, Any]) -> dict[str, Any]:
    for key in value:
        if not _ENV_NAME.fullmatch(key):
            raise ValueError(f"environment variable name {key!r} is not valid")
    return value


def exactly_one_wait(seconds: Any, until: Any) -> None:
    if (seconds is None) == (until is None):
        raise ValueError("wait needs exactly one of 'seconds' or 'until'")


def step_kind(present: set[str], *, has_catch: bool, has_retry: bool) -> str:
    """The kind of a step body whose keys (by alias) are ``present``; ValueError when it is not exactly one."""
    kinds = [k for k in STEP_KINDS if k in present]
    if len(kinds) != 1:
        found = f"found {', '.join(kinds)}" if kinds else "found none"
        raise ValueError(f"a step needs exactly one of {', '.join(STEP_KINDS[:-1])} ({found})")
    kind = kinds[0]
    extra = sorted(present - {kind} - STEP_OPTIONS[kind])
    if extra:
        raise ValueError(f"'{kind}' steps do not take {', '.join(repr(e) for e in extra)}")
    if kind == "try" and not has_catch and not has_retry:
        raise ValueError("a 'try' step needs 'catch' or 'retry'")
    return kind
