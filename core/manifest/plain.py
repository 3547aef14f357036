"""Validate a well-formed manifest without pydantic.

Importing pydantic and building the manifest models cost 60-80 ms of every command that loads a
manifest, more than a third of a cold ``package`` of 200 functions, and nearly all manifests a pipeline
packages are valid. :func:`check_manifest` validates the common case with plain Python and returns the
manifest as :class:`Block` objects, which carry the same attributes as the pydantic models
(:mod:`sls_neutral.core.manifest.schema`, still the one source of the JSON Schema and of every error
message). When it is not certain, it returns None and the pydantic models validate the data and report
the problems as before. "Not certain" is anything out of the ordinary: an unknown or missing key, a
value of another type than the field's (pydantic's lax conversions, such as ``"10"`` for 10, are left
to pydantic), a rule that fails. So it never reports an error of its own, and it accepts only data that
pydantic accepts with the same result; tests/unit/core/test_plain_manifest.py checks both on every
example, fixture and fuzzed manifest, and that the field tables below match the models.

The value rules themselves live in :mod:`sls_neutral.core.manifest.rules`, shared with the models.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from sls_neutral.core.manifest import rules
from sls_neutral.core.manifest.units import parse_duration, parse_size_mb

Check = Callable[[Any], Any]


class Unsure(Exception):
    """The data may be invalid, or valid only after a conversion: pydantic decides."""


class Block:
    """A validated block of the manifest: its fields as attributes, like the pydantic model ``model``."""

    def __init__(self, model: str, values: dict[str, Any], given: set[str]):
        self.__dict__.update(values)
        self.__dict__["model_fields_set"] = given
        self.__dict__["model_name"] = model

    def __repr__(self) -> str:
        fields = {k: v for k, v in self.__dict__.items() if k not in ("model_fields_set", "model_name")}
        return f"{self.model_name}({fields})"


class StepBlock(Block):
    """A workflow step body, with the helpers of ``schema.StepBody``."""

    def _present(self) -> set[str]:
        return {ALIASES.get(name, name) for name in self.model_fields_set}

    @property
    def kind(self) -> str:
        return next(k for k in rules.STEP_KINDS if k in self._present())

    def has(self, key: str) -> bool:
        return key in self._present()


ALIASES = {"try_": "try", "return_": "return"}
REQUIRED = object()


# ---------------------------------------------------------------- values
def text(value: Any) -> str:
    if type(value) is not str:
        raise Unsure
    return value


def string(regex: str | None = None, min_length: int = 0, max_length: int | None = None) -> Check:
    """A str with pydantic's string constraints (``pattern``, ``min_length``, ``max_length``).

    pydantic searches for the pattern; every pattern here is anchored at both ends (``^...$``), which
    makes that a full match (its ``$`` is the end of the text, as with ``fullmatch``).
    """
    if regex is not None and not (regex.startswith("^") and regex.endswith("$")):
        raise ValueError(f"pattern {regex!r} must be anchored with ^ and $")
    compiled = re.compile(regex[1:-1]) if regex else None

    def check(value: Any) -> str:
        if type(value) is not str or len(value) < min_length or (max_length is not None and len(value) > max_length):
            raise Unsure
        if compiled is not None and not compiled.fullmatch(value):
            raise Unsure
        return value

    return check


def pattern(regex: str) -> Check:
    return string(regex)


def integer(ge: int | None = None, le: int | None = None) -> Check:
    def check(value: Any) -> int:
        if type(value) is not int or (ge is not None and value < ge) or (le is not None and value > le):
            raise Unsure
        return value

    return check


def number(ge: float | None = None, le: float | None = None, gt: float | None = None) -> Check:
    def check(value: Any) -> float:
        if type(value) not in (int, float) or not math.isfinite(value):
            raise Unsure
        if (ge is not None and value < ge) or (le is not None and value > le) or (gt is not None and value <= gt):
            raise Unsure
        return float(value)

    return check


def boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise Unsure
    return value


def anything(value: Any) -> Any:
    return value


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str:
        if type(value) is not str or value not in choices:
            raise Unsure
        return value

    return check


def env_value(value: Any) -> Any:
    if type(value) not in (str, int, float, bool) or (type(value) is float and not math.isfinite(value)):
        raise Unsure
    return value


def ruled(check: Check, rule: Callable[[Any], Any]) -> Check:
    """``check``, then one of the manifest's rules (a rule that fails leaves the verdict to pydantic)."""
    def apply(value: Any) -> Any:
        try:
            return rule(check(value))
        except (ValueError, TypeError, OverflowError):
            raise Unsure from None

    return apply


def converted(parse: Callable[[Any], Any], result: Check) -> Check:
    """A duration or size: parsed first (pydantic's BeforeValidator), then checked as a number."""
    def apply(value: Any) -> Any:
        try:
            parsed = parse(value)
        except (ValueError, TypeError, OverflowError):
            raise Unsure from None
        return result(parsed)

    return apply


duration = converted(parse_duration, number())
size = converted(parse_size_mb, integer())


def optional(check: Check) -> Check:
    return lambda value: None if value is None else check(value)


def list_of(check: Check, min_length: int = 0) -> Check:
    def apply(value: Any) -> list:
        if type(value) is not list or len(value) < min_length:
            raise Unsure
        return [check(item) for item in value]

    return apply


def dict_of(key: Check, check: Check, min_length: int = 0, max_length: int | None = None) -> Check:
    def apply(value: Any) -> dict:
        if type(value) is not dict or len(value) < min_length or (max_length is not None and len(value) > max_length):
            raise Unsure
        return {key(k): check(v) for k, v in value.items()}

    return apply


# ---------------------------------------------------------------- models
class Model:
    """A model's fields: ``name -> (check, default)``; the default is a value, a factory (``callable``) or
    REQUIRED. ``after`` runs on the finished block (pydantic's ``model_validator(mode="after")``)."""

    def __init__(self, name: str, fields: dict[str, tuple[Check, Any]], *, after: Callable[[Any], None] | None = None,
                 block: type[Block] = Block):
        self.name = name
        self.fields = fields
        self.after = after
        self.block = block
        self.keys = {ALIASES.get(field, field): field for field in fields}

    def __call__(self, value: Any) -> Block:
        if type(value) is not dict:
            raise Unsure
        values: dict[str, Any] = {}
        for key, item in value.items():
            field = self.keys.get(key)
            if field is None:
                raise Unsure
            values[field] = self.fields[field][0](item)
        given = set(values)
        for field, (_, default) in self.fields.items():
            if field not in values:
                if default is REQUIRED:
                    raise Unsure
                values[field] = default() if callable(default) else default
        block = self.block(self.name, values, given)
        if self.after is not None:
            try:
                self.after(block)
            except ValueError:
                raise Unsure from None
        return block


def _trigger_union(models: dict[str, Model]) -> Check:
    def check(value: Any) -> Block:
        kind = rules.trigger_tag(value)
        if kind not in models:
            raise Unsure
        return models[kind](value)

    return check


Name = pattern(rules.NAME_RE)

HttpTrigger = Model("HttpTrigger", {
    "method": (ruled(text, rules.http_method), "GET"),
    "path": (ruled(text, rules.http_path), REQUIRED),
    "cors": (boolean, False),
})
QueueTrigger = Model("QueueTrigger", {"name": (Name, REQUIRED), "batch_size": (integer(1, 10000), 10)})
TopicTrigger = Model("TopicTrigger", {"name": (Name, REQUIRED)})
ScheduleTrigger = Model("ScheduleTrigger", {
    "cron": (ruled(optional(text), rules.cron), None),
    "rate": (ruled(optional(duration), rules.schedule_rate), None),
    "timezone": (ruled(text, rules.timezone), "UTC"),
    "data": (anything, None),
}, after=lambda b: rules.exactly_one_schedule(b.cron, b.rate))
BucketTrigger = Model("BucketTrigger", {
    "name": (Name, REQUIRED),
    "events": (list_of(one_of("created", "deleted"), min_length=1), lambda: ["created"]),
    "prefix": (text, ""),
    "suffix": (text, ""),
})
ENTRIES = {
    "http": Model("HttpEntry", {"http": (HttpTrigger, REQUIRED)}),
    "queue": Model("QueueEntry", {"queue": (QueueTrigger, REQUIRED)}),
    "topic": Model("TopicEntry", {"topic": (TopicTrigger, REQUIRED)}),
    "schedule": Model("ScheduleEntry", {"schedule": (ScheduleTrigger, REQUIRED)}),
    "bucket": Model("BucketEntry", {"bucket": (BucketTrigger, REQUIRED)}),
}
Trigger = _trigger_union(ENTRIES)
WorkflowTrigger = _trigger_union({k: ENTRIES[k] for k in rules.WORKFLOW_TRIGGER_KINDS})

LintSettings = Model("LintSettings", {
    "ignore": (ruled(dict_of(text, text), rules.lint_ignore), dict),
    "max_payload": (optional(size), None),
})
EnvMap = ruled(dict_of(text, env_value), rules.environment_names)
FunctionSettings = Model("FunctionSettings", {
    "handler": (ruled(text, rules.handler), REQUIRED),
    "description": (optional(text), None),
    "runtime": (optional(one_of(*rules.RUNTIMES)), None),
    "memory": (optional(size), None),
    "timeout": (optional(duration), None),
    "environment": (EnvMap, dict),
    "requirements": (optional(text), None),
    "permissions": (list_of(ruled(text, rules.scope)), list),
    "triggers": (list_of(Trigger), list),
    "warm": (integer(0, 1000), 0),
    "max_instances": (optional(integer(1)), None),
    "idempotent": (boolean, False),
    "lint": (LintSettings, lambda: LintSettings({})),
})
Defaults = Model("Defaults", {
    "memory": (optional(size), None),
    "timeout": (optional(duration), None),
    "environment": (EnvMap, dict),
})
DeadLetter = Model("DeadLetter", {"max_receives": (integer(1, 1000), 5)})
QueueSettings = Model("QueueSettings", {
    "visibility_timeout": (duration, 30.0),
    "retention": (duration, 4 * 86400.0),
    "fifo": (boolean, False),
    "delay": (duration, 0.0),
    "dead_letter": (optional(DeadLetter), None),
})
TopicSettings = Model("TopicSettings", {"queues": (list_of(Name), list)})
BucketSettings = Model("BucketSettings", {"versioning": (boolean, False)})
SecretSettings = Model("SecretSettings", {"description": (optional(text), None)})

# ---------------------------------------------------------------- workflows (recursive)
def _step_entry(value: Any) -> dict:
    return StepEntry(value)


RetrySettings = Model("RetrySettings", {
    "errors": (list_of(text, min_length=1), lambda: ["all"]),
    "interval": (duration, 1.0),
    "max_attempts": (integer(0, 100), 3),
    "backoff_rate": (number(1.0, 100.0), 2.0),
    "max_delay": (optional(duration), None),
    "jitter": (one_of("none", "full"), "none"),
})
Steps = list_of(_step_entry, min_length=1)
OptionalSteps = optional(list_of(_step_entry))
CaseSettings = Model("CaseSettings", {"when": (text, REQUIRED), "steps": (Steps, REQUIRED)})
MapSettings = Model("MapSettings", {
    "items": (text, REQUIRED),
    "max_concurrency": (integer(0, 1000), 0),
    "steps": (Steps, REQUIRED),
})
WaitSettings = Model("WaitSettings", {
    "seconds": (optional(duration), None),
    "until": (optional(text), None),
}, after=lambda b: rules.exactly_one_wait(b.seconds, b.until))
CatchSettings = Model("CatchSettings", {
    "errors": (list_of(text, min_length=1), lambda: ["all"]),
    "result": (optional(text), None),
    "steps": (list_of(_step_entry), list),
})
FailSettings = Model("FailSettings", {"error": (text, REQUIRED), "cause": (text, "")})
StepBody = Model("StepBody", {
    "call": (optional(text), None),
    "input": (anything, None),
    "result": (optional(text), None),
    "retry": (list_of(RetrySettings), list),
    "timeout": (optional(duration), None),
    "set": (optional(dict_of(text, anything)), None),
    "switch": (optional(list_of(CaseSettings)), None),
    "default": (OptionalSteps, None),
    "parallel": (OptionalSteps, None),
    "map": (optional(MapSettings), None),
    "wait": (optional(WaitSettings), None),
    "try_": (OptionalSteps, None),
    "catch": (optional(list_of(CatchSettings)), None),
    "fail": (optional(FailSettings), None),
    "return_": (anything, None),
    "steps": (OptionalSteps, None),
}, after=lambda b: rules.step_kind(b._present(), has_catch=bool(b.catch), has_retry=bool(b.retry)), block=StepBlock)
StepEntry = dict_of(pattern(rules.STEP_NAME_RE), StepBody, min_length=1, max_length=1)
WorkflowSettings = Model("WorkflowSettings", {
    "description": (optional(text), None),
    "timeout": (duration, 3600.0),
    "triggers": (list_of(WorkflowTrigger), list),
    "steps": (Steps, REQUIRED),
})

# ---------------------------------------------------------------- top level
AnyMap = dict_of(text, anything)
StageSettings = Model("StageSettings", {
    "params": (AnyMap, dict),
    "functions": (dict_of(text, AnyMap), dict),
    "providers": (dict_of(text, AnyMap), dict),
    "defaults": (AnyMap, dict),
})
Manifest = Model("Manifest", {
    "service": (pattern(rules.SERVICE_RE), REQUIRED),
    "runtime": (one_of(*rules.RUNTIMES), "python3.12"),
    "provider": (text, "local"),
    "stage": (pattern(rules.STAGE_RE), "dev"),
    "params": (AnyMap, dict),
    "stages": (dict_of(pattern(rules.STAGE_RE), StageSettings), dict),
    "providers": (dict_of(text, AnyMap), dict),
    "defaults": (Defaults, lambda: Defaults({})),
    "plugins": (list_of(text), list),
    "buckets": (dict_of(Name, optional(BucketSettings)), dict),
    "queues": (dict_of(Name, optional(QueueSettings)), dict),
    "topics": (dict_of(Name, optional(TopicSettings)), dict),
    "secrets": (dict_of(Name, optional(SecretSettings)), dict),
    "functions": (dict_of(Name, FunctionSettings), dict),
    "workflows": (dict_of(Name, WorkflowSettings), dict),
})

MODELS = (HttpTrigger, QueueTrigger, TopicTrigger, ScheduleTrigger, BucketTrigger, *ENTRIES.values(), LintSettings,
          FunctionSettings, Defaults, DeadLetter, QueueSettings, TopicSettings, BucketSettings, SecretSettings,
          RetrySettings, CaseSettings, MapSettings, WaitSettings, CatchSettings, FailSettings, StepBody,
          WorkflowSettings, StageSettings, Manifest)


def check_manifest(data: Any) -> Block | None:
    """The validated manifest, or None when pydantic must decide (and explain)."""
    try:
        return Manifest(data)
    except (Unsure, RecursionError):
        return None


def check_flat(fields: dict[str, tuple[Check, Any]], data: Any) -> dict[str, Any] | None:
    """A flat settings block (``providers.<name>``) with every default filled in, or None: pydantic decides."""
    try:
        block = Model("Settings", fields)(data)
    except Unsure:
        return None
    return {field: getattr(block, field) for field in fields}
