"""The manifest's pydantic v2 models: the single source of the JSON Schema.

Every model forbids unknown keys (a typo is an error with a did-you-mean hint).
Durations and sizes are parsed here, once: downstream code sees seconds (float)
and megabytes (int). Triggers are one-key mappings (``- http: {...}``) validated
as a tagged union, so an error names one variant instead of all of them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, field_validator,
                      model_validator)

from sls_neutral.core.manifest.units import parse_duration, parse_size_mb

NAME_RE = r"^[a-z][a-z0-9-]{0,62}$"
SERVICE_RE = r"^[a-z][a-z0-9-]{0,38}$"
STAGE_RE = r"^[a-z][a-z0-9-]{0,15}$"
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


def _duration(value: Any) -> float:
    return parse_duration(value)


def _size(value: Any) -> int:
    return parse_size_mb(value)


Duration = Annotated[float, BeforeValidator(_duration), Field(json_schema_extra={"examples": ["30s", "5m", 10]})]
Size = Annotated[int, BeforeValidator(_size), Field(json_schema_extra={"examples": ["512MB", "1GB", 256]})]
Name = Annotated[str, Field(pattern=NAME_RE)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)


# ---------------------------------------------------------------- triggers
class HttpTrigger(Strict):
    method: str = "GET"
    path: str
    cors: bool = False

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        upper = value.upper()
        if upper not in HTTP_METHODS:
            raise ValueError(f"unknown HTTP method {value!r}; use one of {', '.join(HTTP_METHODS)}")
        return upper

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"http path {value!r} must start with '/'")
        if "//" in value or (len(value) > 1 and value.endswith("/")):
            raise ValueError(f"http path {value!r} has an empty segment or a trailing '/'")
        for segment in value.strip("/").split("/"):
            if not segment:
                continue
            if segment.startswith("{"):
                if not re.fullmatch(r"\{[A-Za-z_][A-Za-z0-9_]*\+?\}", segment):
                    raise ValueError(f"path parameter {segment!r} must look like {{name}} (or {{name+}} for a greedy tail)")
            elif not re.fullmatch(r"[A-Za-z0-9._~-]+", segment):
                raise ValueError(f"path segment {segment!r} has characters that are not allowed in a route")
        return value


class QueueTrigger(Strict):
    name: Name
    batch_size: int = Field(10, ge=1, le=10000)


class TopicTrigger(Strict):
    name: Name


class ScheduleTrigger(Strict):
    cron: str | None = None
    rate: Duration | None = None
    timezone: str = "UTC"
    data: Any = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return value
        fields = value.split()
        if len(fields) != 5:
            raise ValueError(f"cron {value!r} must have 5 fields: minute hour day-of-month month day-of-week")
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(f"cron {value!r} is not a valid cron expression")
        return " ".join(fields)

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: float | None) -> float | None:
        if value is not None and (value < 60 or value % 60):
            raise ValueError("a schedule rate must be a whole number of minutes, at least 1m")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}; use an IANA name like 'UTC' or 'Europe/Paris'") from None
        return value

    @model_validator(mode="after")
    def _one_of(self) -> "ScheduleTrigger":
        if (self.cron is None) == (self.rate is None):
            raise ValueError("a schedule needs exactly one of 'cron' or 'rate'")
        return self


class BucketTrigger(Strict):
    name: Name
    events: list[Literal["created", "deleted"]] = Field(default_factory=lambda: ["created"], min_length=1)
    prefix: str = ""
    suffix: str = ""


class HttpEntry(Strict):
    http: HttpTrigger


class QueueEntry(Strict):
    queue: QueueTrigger


class TopicEntry(Strict):
    topic: TopicTrigger


class ScheduleEntry(Strict):
    schedule: ScheduleTrigger


class BucketEntry(Strict):
    bucket: BucketTrigger


TRIGGER_KINDS = ("http", "queue", "topic", "schedule", "bucket")


def _trigger_tag(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key if key in TRIGGER_KINDS else None
    if isinstance(value, BaseModel):
        return next(k for k in TRIGGER_KINDS if getattr(value, k, None) is not None)
    return None


Trigger = Annotated[
    Union[
        Annotated[HttpEntry, Tag("http")],
        Annotated[QueueEntry, Tag("queue")],
        Annotated[TopicEntry, Tag("topic")],
        Annotated[ScheduleEntry, Tag("schedule")],
        Annotated[BucketEntry, Tag("bucket")],
    ],
    Discriminator(_trigger_tag, custom_error_type="trigger_kind",
                  custom_error_message="a trigger is a one-key mapping: http, queue, topic, schedule or bucket"),
]

WorkflowTrigger = Annotated[
    Union[Annotated[HttpEntry, Tag("http")], Annotated[ScheduleEntry, Tag("schedule")]],
    Discriminator(lambda v: _trigger_tag(v) if _trigger_tag(v) in ("http", "schedule") else None,
                  custom_error_type="trigger_kind",
                  custom_error_message="a workflow trigger is a one-key mapping: http or schedule"),
]


# ---------------------------------------------------------------- functions
class LintSettings(Strict):
    ignore: dict[str, str] = Field(default_factory=dict)
    max_payload: Size | None = Field(None, description="Largest request/message this function handles; lint "
                                                       "SN013 compares it with every hop's limit.")

    @field_validator("ignore")
    @classmethod
    def _reasons(cls, value: dict[str, str]) -> dict[str, str]:
        for rule, reason in value.items():
            if not re.fullmatch(r"[A-Z]{2,}[0-9]{3,}", rule):
                raise ValueError(f"{rule!r} is not a lint rule id (like SN012)")
            if not str(reason).strip():
                raise ValueError(f"suppressing {rule} needs a reason")
        return value


EnvValue = Union[str, int, float, bool]


def _scope(scope: str) -> str:
    parts = scope.split(":") if isinstance(scope, str) else []
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"permission {scope!r} must be KIND:NAME:ACTION, e.g. bucket:photos:read")
    kind, _, action = parts
    if kind not in SCOPE_ACTIONS:
        from sls_neutral.core.errors import did_you_mean

        hint = did_you_mean(kind, SCOPE_ACTIONS)
        raise ValueError(f"unknown permission kind {kind!r}" + (f" ({hint})" if hint else "")
                         + f"; kinds: {', '.join(SCOPE_ACTIONS)}")
    if action != "*" and action not in SCOPE_ACTIONS[kind]:
        raise ValueError(f"unknown action {action!r} for {kind}; use one of {', '.join(SCOPE_ACTIONS[kind])}")
    return scope


Scope = Annotated[str, AfterValidator(_scope)]


class FunctionSettings(Strict):
    handler: str
    description: str | None = None
    runtime: Literal["python3.11", "python3.12", "python3.13"] | None = None
    memory: Size | None = None
    timeout: Duration | None = None
    environment: dict[str, EnvValue] = Field(default_factory=dict)
    requirements: str | None = None
    permissions: list[Scope] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list)
    warm: int = Field(0, ge=0, le=1000)
    max_instances: int | None = Field(None, ge=1)
    idempotent: bool = False
    lint: LintSettings = Field(default_factory=LintSettings)

    @field_validator("handler")
    @classmethod
    def _handler(cls, value: str) -> str:
        if not re.fullmatch(r"[^:\s]+\.py:[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(f"handler {value!r} must be FILE.py:FUNCTION, e.g. src/api.py:handle")
        if value.startswith("/") or ".." in value.split(":")[0].split("/"):
            raise ValueError(f"handler {value!r} must be a path inside the service folder")
        return value

    @field_validator("environment")
    @classmethod
    def _env(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                raise ValueError(f"environment variable name {key!r} is not valid")
        return value



class Defaults(Strict):
    memory: Size | None = None
    timeout: Duration | None = None
    environment: dict[str, EnvValue] = Field(default_factory=dict)


# ---------------------------------------------------------------- resources
class DeadLetter(Strict):
    max_receives: int = Field(5, ge=1, le=1000)


class QueueSettings(Strict):
    visibility_timeout: Duration = 30.0
    retention: Duration = 4 * 86400.0
    fifo: bool = False
    delay: Duration = 0.0
    dead_letter: DeadLetter | None = None


class TopicSettings(Strict):
    queues: list[Name] = Field(default_factory=list)


class BucketSettings(Strict):
    versioning: bool = False


class SecretSettings(Strict):
    description: str | None = None


# ---------------------------------------------------------------- workflows
class RetrySettings(Strict):
    errors: list[str] = Field(default_factory=lambda: ["all"], min_length=1)
    interval: Duration = 1.0
    max_attempts: int = Field(3, ge=0, le=100)
    backoff_rate: float = Field(2.0, ge=1.0, le=100.0)
    max_delay: Duration | None = None
    jitter: Literal["none", "full"] = "none"


class CaseSettings(Strict):
    when: str
    steps: list["StepEntry"] = Field(min_length=1)


class MapSettings(Strict):
    items: str
    max_concurrency: int = Field(0, ge=0, le=1000)
    steps: list["StepEntry"] = Field(min_length=1)


class WaitSettings(Strict):
    seconds: Duration | None = None
    until: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> "WaitSettings":
        if (self.seconds is None) == (self.until is None):
            raise ValueError("wait needs exactly one of 'seconds' or 'until'")
        return self


class CatchSettings(Strict):
    errors: list[str] = Field(default_factory=lambda: ["all"], min_length=1)
    result: str | None = None
    steps: list["StepEntry"] = Field(default_factory=list)


class FailSettings(Strict):
    error: str
    cause: str = ""


STEP_KINDS = ("call", "set", "switch", "parallel", "map", "wait", "try", "fail", "return", "steps")


class StepBody(Strict):
    """One step's body. Exactly one of the kind keys is present; the others qualify it."""

    call: str | None = None
    input: Any = None
    result: str | None = None
    retry: list[RetrySettings] = Field(default_factory=list)
    timeout: Duration | None = None
    set: dict[str, Any] | None = None
    switch: list[CaseSettings] | None = None
    default: list["StepEntry"] | None = None
    parallel: list["StepEntry"] | None = None
    map: MapSettings | None = None
    wait: WaitSettings | None = None
    try_: list["StepEntry"] | None = Field(None, alias="try")
    catch: list[CatchSettings] | None = None
    fail: FailSettings | None = None
    return_: Any = Field(None, alias="return")
    steps: list["StepEntry"] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "StepBody":
        kinds = [k for k in STEP_KINDS if k in self._present()]
        if len(kinds) != 1:
            found = f"found {', '.join(kinds)}" if kinds else "found none"
            raise ValueError(f"a step needs exactly one of {', '.join(STEP_KINDS[:-1])} ({found})")
        kind = kinds[0]
        allowed = {
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
        }[kind]
        extra = sorted(self._present() - {kind} - allowed)
        if extra:
            raise ValueError(f"'{kind}' steps do not take {', '.join(repr(e) for e in extra)}")
        if kind == "try" and not self.catch and not self.retry:
            raise ValueError("a 'try' step needs 'catch' or 'retry'")
        return self

    def _present(self) -> set[str]:
        names = set()
        for field_name in self.model_fields_set:
            alias = type(self).model_fields[field_name].alias or field_name
            names.add(alias)
        return names

    @property
    def kind(self) -> str:
        return next(k for k in STEP_KINDS if k in self._present())

    def has(self, key: str) -> bool:
        return key in self._present()


StepEntry = Annotated[dict[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,79}$")], StepBody],
                      Field(min_length=1, max_length=1)]


class WorkflowSettings(Strict):
    description: str | None = None
    timeout: Duration = 3600.0
    triggers: list[WorkflowTrigger] = Field(default_factory=list)
    steps: list[StepEntry] = Field(min_length=1)


CaseSettings.model_rebuild()
MapSettings.model_rebuild()
CatchSettings.model_rebuild()
StepBody.model_rebuild()


# ---------------------------------------------------------------- top level
class StageSettings(Strict):
    params: dict[str, Any] = Field(default_factory=dict)
    functions: dict[str, dict[str, Any]] = Field(default_factory=dict)
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    defaults: dict[str, Any] = Field(default_factory=dict)


class Manifest(Strict):
    """The sls-neutral manifest (v1). See MANIFEST.md."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              json_schema_extra={"$id": "https://sls-neutral.dev/schema/manifest-v1.json"})

    service: Annotated[str, Field(pattern=SERVICE_RE)]
    runtime: Literal["python3.11", "python3.12", "python3.13"] = "python3.12"
    provider: str = "local"
    stage: Annotated[str, Field(pattern=STAGE_RE)] = "dev"
    params: dict[str, Any] = Field(default_factory=dict)
    stages: dict[Annotated[str, Field(pattern=STAGE_RE)], StageSettings] = Field(default_factory=dict)
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    defaults: Defaults = Field(default_factory=Defaults)
    plugins: list[str] = Field(default_factory=list)
    buckets: dict[Name, BucketSettings | None] = Field(default_factory=dict)
    queues: dict[Name, QueueSettings | None] = Field(default_factory=dict)
    topics: dict[Name, TopicSettings | None] = Field(default_factory=dict)
    secrets: dict[Name, SecretSettings | None] = Field(default_factory=dict)
    functions: dict[Name, FunctionSettings] = Field(default_factory=dict)
    workflows: dict[Name, WorkflowSettings] = Field(default_factory=dict)


TOP_LEVEL_KEYS = tuple(Manifest.model_fields)


def manifest_json_schema() -> dict:
    """The JSON Schema users point their editors at (committed in docs/)."""
    schema = Manifest.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sls-neutral manifest (v1)"
    return schema
