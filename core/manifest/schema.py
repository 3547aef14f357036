"""The manifest's pydantic v2 models: the single source of the JSON Schema.

Every model forbids unknown keys (a typo is an error with a did-you-mean hint).
Durations and sizes are parsed here, once: downstream code sees seconds (float)
and megabytes (int). Triggers are one-key mappings (``- http: {...}``) validated
as a tagged union, so an error names one variant instead of all of them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, field_validator,
                      model_validator)

from sls_neutral.core.manifest import rules
from sls_neutral.core.manifest.rules import NAME_RE, SERVICE_RE, STAGE_RE, STEP_KINDS, STEP_NAME_RE
from sls_neutral.core.manifest.units import parse_duration, parse_size_mb


def _duration(value: Any) -> float:
    return parse_duration(value)


def _size(value: Any) -> int:
    return parse_size_mb(value)


Duration = Annotated[float, BeforeValidator(_duration), Field(json_schema_extra={"examples": ["30s", "5m", 10]})]
Size = Annotated[int, BeforeValidator(_size), Field(json_schema_extra={"examples": ["512MB", "1GB", 256]})]
Name = Annotated[str, Field(pattern=NAME_RE)]


# Every model's docstring and every field's ``Field(description=...)`` end up in the JSON Schema: the generated
# manifest reference and editors' hover help. Write them for users (one line each, facts from MANIFEST.md or the
# compiler). Not ``use_attribute_docstrings``: pydantic then reads and parses each class's source at import (about
# +40% on importing this module with Python 3.11, paid by every command that loads a manifest), and the
# descriptions would vanish where no source ships.
class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False, defer_build=True)


# ---------------------------------------------------------------- triggers
class HttpTrigger(Strict):
    """An `http` trigger: an HTTP route to the function (on a workflow: a route that starts an execution)."""

    method: str = Field("GET", description="HTTP method, any case: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, "
                                           "or ANY for every method (default GET).")
    path: str = Field(description="Route path, starting with `/`: `{name}` is a path parameter, `{name+}` a greedy "
                                  "tail (last segment only); no empty segments, no trailing `/`.")
    cors: bool = Field(False, description="Allow cross-origin (CORS) browser requests to this route.")

    @field_validator("method")
    @classmethod
    def _method(cls, value: Any) -> Any:
        return rules.http_method(value)

    @field_validator("path")
    @classmethod
    def _path(cls, value: Any) -> Any:
        return rules.http_path(value)


class QueueTrigger(Strict):
    """A `queue` trigger: the function consumes a queue, one message per call (`queue:NAME:consume` is implied)."""

    name: Name = Field(description="A queue declared under `queues:`.")
    batch_size: int = Field(10, ge=1, le=10000, description="Messages delivered per batch, 1-10,000 (default 10); "
                                                            "the handler still receives one message per call.")


class TopicTrigger(Strict):
    """A `topic` trigger: the function receives every message published to the topic."""

    name: Name = Field(description="A topic declared under `topics:`.")


class ScheduleTrigger(Strict):
    """A `schedule` trigger: runs on a `cron` expression or at a fixed `rate` (exactly one of the two)."""

    cron: str | None = Field(None, description="Cron expression with 5 fields: minute hour day-of-month month "
                                               "day-of-week, e.g. `0 3 * * *`. Exactly one of `cron` or `rate`.")
    rate: Duration | None = Field(None, description="Time between runs: a whole number of minutes, at least `1m` "
                                                    "(e.g. `5m`, `1h`). Exactly one of `cron` or `rate`.")
    timezone: str = Field("UTC", description="IANA time zone name of the schedule, e.g. `Europe/Paris` "
                                             "(default `UTC`).")
    data: Any = Field(None, description="Static payload delivered as the event's `data` (on a workflow: the "
                                        "execution's input).")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: Any) -> Any:
        return rules.cron(value)

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: Any) -> Any:
        return rules.schedule_rate(value)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: Any) -> Any:
        return rules.timezone(value)


    @model_validator(mode="after")
    def _one_of(self) -> "ScheduleTrigger":
        rules.exactly_one_schedule(self.cron, self.rate)
        return self


class BucketTrigger(Strict):
    """A `bucket` trigger: the function receives object events of a bucket."""

    name: Name = Field(description="A bucket declared under `buckets:`.")
    events: list[Literal["created", "deleted"]] = Field(default_factory=lambda: ["created"], min_length=1,
                                                        description="Object events that invoke the function: "
                                                                    "`created`, `deleted` (default `[created]`).")
    prefix: str = Field("", description="Only objects whose key starts with this, e.g. `uploads/` (default: any).")
    suffix: str = Field("", description="Only objects whose key ends with this, e.g. `.jpg` (default: any).")


class HttpEntry(Strict):
    """A trigger entry `- http: {...}`."""

    http: HttpTrigger = Field(description="An HTTP route.")


class QueueEntry(Strict):
    """A trigger entry `- queue: {...}`."""

    queue: QueueTrigger = Field(description="Messages of a queue.")


class TopicEntry(Strict):
    """A trigger entry `- topic: {...}`."""

    topic: TopicTrigger = Field(description="Messages published to a topic.")


class ScheduleEntry(Strict):
    """A trigger entry `- schedule: {...}`."""

    schedule: ScheduleTrigger = Field(description="A cron or rate schedule.")


class BucketEntry(Strict):
    """A trigger entry `- bucket: {...}`."""

    bucket: BucketTrigger = Field(description="Object events of a bucket.")


_trigger_tag = rules.trigger_tag


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
    """A function's lint settings (`functions.<name>.lint`)."""

    ignore: dict[str, str] = Field(default_factory=dict,
                                   description="Lint rules suppressed for this function, each with its reason, "
                                               "e.g. `{SN012: \"replayed by the caller\"}`; a reason is required.")
    max_payload: Size | None = Field(None, description="Largest request/message this function handles; lint "
                                                       "SN013 compares it with every hop's limit.")

    @field_validator("ignore")
    @classmethod
    def _reasons(cls, value: Any) -> Any:
        return rules.lint_ignore(value)



EnvValue = Union[str, int, float, bool]


Scope = Annotated[str, AfterValidator(rules.scope)]


class FunctionSettings(Strict):
    """A function (`functions.<name>`): its handler, sizing, environment, permissions and triggers."""

    handler: str = Field(description="`FILE.py:FUNCTION`, the file relative to the service root, e.g. "
                                     "`src/api.py:handle`.")
    description: str | None = Field(None, description="Free-text description of the function.")
    runtime: Literal["python3.11", "python3.12", "python3.13"] | None = Field(
        None, description="Python runtime of this function (default: the top-level `runtime`).")
    memory: Size | None = Field(None, description="Memory size (default: `defaults.memory`, else 256 MB).")
    timeout: Duration | None = Field(None, description="Longest one invocation may run (default: `defaults.timeout`, "
                                                       "else 10 s).")
    environment: dict[str, EnvValue] = Field(default_factory=dict,
                                             description="Environment variables, over `defaults.environment`; a "
                                                         "value that is exactly `${secret:NAME}` is read from the "
                                                         "secret store at runtime (and grants `secret:NAME:read`).")
    requirements: str | None = Field(None, description="This function's dependencies: a requirements file, "
                                                       "relative to the service root.")
    permissions: list[Scope] = Field(default_factory=list,
                                     description="Scopes `KIND:NAME:ACTION` (e.g. `bucket:photos:read`), least "
                                                 "privilege; using a resource without its scope raises "
                                                 "`PermissionDenied`.")
    triggers: list[Trigger] = Field(default_factory=list,
                                    description="What invokes the function, each entry a one-key mapping: `http`, "
                                                "`queue`, `topic`, `schedule` or `bucket` (none: e.g. a workflow "
                                                "step).")
    warm: int = Field(0, ge=0, le=1000, description="Instances kept ready to serve, 0-1000 (default 0; see the "
                                                    "`warmup` plugin).")
    max_instances: int | None = Field(None, ge=1, description="Cap on concurrent instances, at least 1 (default: "
                                                              "the provider's).")
    idempotent: bool = Field(False, description="Declares that the handler tolerates redelivery; lint asks for it "
                                                "on at-least-once triggers (queue, topic, bucket).")
    lint: LintSettings = Field(default_factory=LintSettings, description="Lint settings for this function.")

    @field_validator("handler")
    @classmethod
    def _handler(cls, value: Any) -> Any:
        return rules.handler(value)

    @field_validator("environment")
    @classmethod
    def _env(cls, value: Any) -> Any:
        return rules.environment_names(value)



class Defaults(Strict):
    """Settings applied to every function that does not set its own (`defaults:`)."""

    memory: Size | None = Field(None, description="Memory of every function that sets none (unset: 256 MB, and "
                                                  "lint SN003 asks you to say so).")
    timeout: Duration | None = Field(None, description="Timeout of every function that sets none (unset: 10 s, and "
                                                       "lint SN003 asks you to say so).")
    environment: dict[str, EnvValue] = Field(default_factory=dict,
                                             description="Environment variables of every function; a function's "
                                                         "own `environment` wins key by key.")


# ---------------------------------------------------------------- resources
class DeadLetter(Strict):
    """Dead-lettering of a queue: creates and wires the queue `<name>-dlq` (retention 14 days)."""

    max_receives: int = Field(5, ge=1, le=1000, description="Deliveries of a message before it moves to the "
                                                            "dead-letter queue, 1-1000 (default 5).")


class QueueSettings(Strict):
    """A queue (`queues.<name>`); `{}` takes every default."""

    visibility_timeout: Duration = Field(30.0, description="How long a received message stays invisible to other "
                                                           "consumers before it is delivered again (default 30 s).")
    retention: Duration = Field(4 * 86400.0, description="How long an unconsumed message is kept (default 4 days).")
    fifo: bool = Field(False, description="First-in, first-out (ordered) queue (default false).")
    delay: Duration = Field(0.0, description="Default delivery delay of a sent message (default 0: none).")
    dead_letter: DeadLetter | None = Field(None, description="Move messages that keep failing to the dead-letter "
                                                             "queue `<name>-dlq`, created and wired for you "
                                                             "(default: none).")


class TopicSettings(Strict):
    """A publish/subscribe topic (`topics.<name>`): every subscriber gets every message."""

    queues: list[Name] = Field(default_factory=list,
                               description="Queues (declared under `queues:`) subscribed to the topic: each gets "
                                           "every published message.")


class BucketSettings(Strict):
    """An object bucket (`buckets.<name>`); `{}` takes every default."""

    versioning: bool = Field(False, description="Enable object versioning (default false).")


class SecretSettings(Strict):
    """A secret (`secrets.<name>`): the value lives in the provider's secret store, never in artifacts."""

    description: str | None = Field(None, description="Free-text description of the secret (never its value).")


# ---------------------------------------------------------------- workflows
class RetrySettings(Strict):
    """A retrier of a `call`, `parallel`, `map` or `try` step; the first whose `errors` match is used."""

    errors: list[str] = Field(default_factory=lambda: ["all"], min_length=1,
                              description="Error names this retrier handles (a `StepError` name, `Timeout`, "
                                          "`TaskFailed`) or `all` (default `[all]`).")
    interval: Duration = Field(1.0, description="Delay before the first retry (default 1 s).")
    max_attempts: int = Field(3, ge=0, le=100, description="Retries after the first attempt, 0-100 (default 3: up "
                                                           "to 4 attempts; 0: never retry).")
    backoff_rate: float = Field(2.0, ge=1.0, le=100.0,
                                description="Multiplier of the delay: the n-th retry waits "
                                            "`min(interval * backoff_rate^(n-1), max_delay)`, 1.0-100.0 "
                                            "(default 2.0).")
    max_delay: Duration | None = Field(None, description="Cap on the delay before a retry, not shorter than "
                                                         "`interval` (default: uncapped).")
    jitter: Literal["none", "full"] = Field("none", description="`full`: each delay becomes a uniform random value "
                                                                "in `[0, delay]` (default `none`).")


class CaseSettings(Strict):
    """A case of a `switch` step: the steps run when its condition is the first true one."""

    when: str = Field(description="Condition: paths (`$.a.b[0]`), literals, `== != < <= > >=`, `and or not`, "
                                  "parentheses, `exists($.path)`; reading a missing path is an error.")
    steps: list["StepEntry"] = Field(min_length=1, description="Steps run, in the same state, when this case is "
                                                               "chosen.")


class MapSettings(Strict):
    """A `map` step's body: the steps run once per item of a list."""

    items: str = Field(description="Path to the list to iterate over, e.g. `$.order.lines` (not a list: "
                                   "`TaskFailed`).")
    max_concurrency: int = Field(0, ge=0, le=1000, description="Most iterations running at once, 0-1000 (default "
                                                               "0: the provider's default).")
    steps: list["StepEntry"] = Field(min_length=1, description="Steps of one iteration, whose state is "
                                                               "`{\"item\": ITEM, \"index\": INDEX}`.")


class WaitSettings(Strict):
    """A `wait` step's body: pause for `seconds` or `until` a time (exactly one of the two)."""

    seconds: Duration | None = Field(None, description="How long to wait.")
    until: str | None = Field(None, description="ISO-8601 timestamp with a zone (`2026-01-01T00:00:00Z`) or a path "
                                                "to one; a time in the past does not wait.")

    @model_validator(mode="after")
    def _one_of(self) -> "WaitSettings":
        rules.exactly_one_wait(self.seconds, self.until)
        return self


class CatchSettings(Strict):
    """A handler of a `try` step's errors: the state rolls back to before the try, then its steps run."""

    errors: list[str] = Field(default_factory=lambda: ["all"], min_length=1,
                              description="Error names this handler catches, or `all` (default `[all]`); the first "
                                          "matching catch handles the error.")
    result: str | None = Field(None, description="Path where the error `{\"error\": NAME, \"cause\": TEXT}` is "
                                                 "written (default: not stored).")
    steps: list["StepEntry"] = Field(default_factory=list, description="Steps run after the error is caught "
                                                                       "(default: none).")


class FailSettings(Strict):
    """A `fail` step's body: the step fails with this error."""

    error: str = Field(description="Error name, catchable by this name or `all`.")
    cause: str = Field("", description="Human-readable cause (default empty).")


class StepBody(Strict):
    """A workflow step's body: exactly one kind key (`call`, `set`, `switch`, ...) plus the keys it takes."""

    call: str | None = Field(None, description="Kind `call`: the function (declared under `functions:`) to invoke.")
    input: Any = Field(None, description="With `call`: what the function receives, strings starting with `$.` "
                                         "being paths into the state (default: the whole state).")
    result: str | None = Field(None, description="With `call`, `parallel`, `map`: path where the result is "
                                                 "written (default `$.<step name>`; `null` discards it).")
    retry: list[RetrySettings] = Field(default_factory=list,
                                       description="With `call`, `parallel`, `map`, `try`: retriers; the first "
                                                   "whose `errors` match is used.")
    timeout: Duration | None = Field(None, description="With `call`: limit of one attempt; when it expires the "
                                                       "attempt fails with `Timeout`.")
    set: dict[str, Any] | None = Field(None, description="Kind `set`: `{PATH: VALUE}` assignments, resolved against "
                                                         "the state before the step, written in order.")
    switch: list[CaseSettings] | None = Field(None, description="Kind `switch`: cases evaluated in order; the first "
                                                                "true one runs.")
    default: list["StepEntry"] | None = Field(None, description="With `switch`: steps run when no case is true "
                                                                "(default: nothing).")
    parallel: list["StepEntry"] | None = Field(None, description="Kind `parallel`: branches (a step, or "
                                                                 "`{name: {steps: [...]}}`) run concurrently, "
                                                                 "failing fast; the result is keyed by branch name.")
    map: MapSettings | None = Field(None, description="Kind `map`: run steps for every item of a list; the result "
                                                      "is a list in item order.")
    wait: WaitSettings | None = Field(None, description="Kind `wait`: pause for a duration or until a time.")
    try_: list["StepEntry"] | None = Field(None, alias="try", description="Kind `try`: steps whose errors `catch` "
                                                                          "handles or `retry` retries (one of them "
                                                                          "is required).")
    catch: list[CatchSettings] | None = Field(None, description="With `try`: error handlers, the first match "
                                                                "handles the error.")
    fail: FailSettings | None = Field(None, description="Kind `fail`: fail with a named error.")
    return_: Any = Field(None, alias="return", description="Kind `return`: end the execution with this value as "
                                                           "output (not inside `parallel` branches or `map` steps).")
    steps: list["StepEntry"] | None = Field(None, description="Kind `steps`: a block of steps, e.g. a `parallel` "
                                                              "branch.")

    @model_validator(mode="after")
    def _one_kind(self) -> "StepBody":
        rules.step_kind(self._present(), has_catch=bool(self.catch), has_retry=bool(self.retry))
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


StepEntry = Annotated[dict[Annotated[str, Field(pattern=STEP_NAME_RE)], StepBody],
                      Field(min_length=1, max_length=1)]


class WorkflowSettings(Strict):
    """A workflow (`workflows.<name>`): steps passing one JSON state, with the same semantics on every provider."""

    description: str | None = Field(None, description="Free-text description of the workflow.")
    timeout: Duration = Field(3600.0, description="Limit of the whole execution; when it expires the execution ends "
                                                  "`TIMED_OUT` with error `Timeout` (default 1 h).")
    triggers: list[WorkflowTrigger] = Field(default_factory=list,
                                            description="What starts an execution: `http` (the JSON body is the "
                                                        "input; answers 202 with the execution id) or `schedule` "
                                                        "(its `data` is the input).")
    steps: list[StepEntry] = Field(min_length=1, description="The steps, each a one-key mapping `{name: body}`; "
                                                             "names are unique within the workflow.")


# Every model is built on first use (defer_build): building them at import cost ~80 ms of every command,
# including those that never validate a manifest. The recursive step models resolve their forward
# references then, from this module's names.


# ---------------------------------------------------------------- top level
class StageSettings(Strict):
    """Overrides merged into the manifest when this stage is selected (`stages.<stage>`)."""

    params: dict[str, Any] = Field(default_factory=dict, description="Overrides of `params` (`--param` still "
                                                                     "wins).")
    functions: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                                 description="Overrides of any key of declared functions, by "
                                                             "function name, e.g. `{resize: {memory: 2GB}}`.")
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Overrides of `providers` "
                                                                                   "settings, merged key by key.")
    defaults: dict[str, Any] = Field(default_factory=dict, description="Overrides of `defaults`, merged key by "
                                                                       "key.")


class Manifest(Strict):
    """An sls-neutral service (`sls-neutral.yaml`, v1): functions, resources and workflows for every provider."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True,
                              json_schema_extra={"$id": "https://sls-neutral.dev/schema/manifest-v1.json"})

    service: Annotated[str, Field(pattern=SERVICE_RE)] = Field(
        description="Service name (required): lowercase letters, digits and `-`, starting with a letter, at most 39 "
                    "characters.")
    runtime: Literal["python3.11", "python3.12", "python3.13"] = Field(
        "python3.12", description="Python runtime of every function that sets none (default python3.12).")
    provider: str = Field("local", description="Default target when `--provider` is absent: `local`, `aws`, `gcp`, "
                                               "`azure` or a plugin's provider (default local).")
    stage: Annotated[str, Field(pattern=STAGE_RE)] = Field(
        "dev", description="Default stage, overridden by `--stage`: lowercase letters, digits and `-`, at most 16 "
                           "characters (default dev).")
    params: dict[str, Any] = Field(default_factory=dict,
                                   description="Values of `${param:NAME}`, overridden by `stages.<stage>.params`, "
                                               "then by `--param NAME=VALUE`.")
    stages: dict[Annotated[str, Field(pattern=STAGE_RE)], StageSettings] = Field(
        default_factory=dict, description="Per-stage overrides, by stage name; only the selected stage's block "
                                          "applies.")
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                                 description="Settings per provider, by provider name; only the "
                                                             "chosen provider's block is validated, strictly.")
    defaults: Defaults = Field(default_factory=Defaults,
                               description="Settings applied to every function unless it sets its own.")
    plugins: list[str] = Field(default_factory=list,
                               description="Plugins enabled for this service, by entry-point name (e.g. `tags`, "
                                           "`warmup`, `observability`); a plugin may add its own top-level block.")
    buckets: dict[Name, BucketSettings | None] = Field(default_factory=dict, description="Object buckets, by name.")
    queues: dict[Name, QueueSettings | None] = Field(default_factory=dict, description="Queues, by name.")
    topics: dict[Name, TopicSettings | None] = Field(default_factory=dict,
                                                     description="Publish/subscribe topics, by name.")
    secrets: dict[Name, SecretSettings | None] = Field(default_factory=dict,
                                                       description="Secrets, by name; values live in the provider's "
                                                                   "secret store, never in artifacts.")
    functions: dict[Name, FunctionSettings] = Field(default_factory=dict, description="Functions, by name.")
    workflows: dict[Name, WorkflowSettings] = Field(default_factory=dict, description="Workflows, by name.")


TOP_LEVEL_KEYS = rules.TOP_LEVEL_KEYS  # tests/unit/core/test_plain_manifest.py checks it against Manifest.model_fields


def manifest_json_schema() -> dict:
    """The JSON Schema users point their editors at (committed in docs/)."""
    schema = Manifest.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sls-neutral manifest (v1)"
    return schema
