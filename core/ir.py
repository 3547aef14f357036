"""The neutral intermediate representation (IR).

Frozen dataclasses, fully resolved: every duration is seconds (float), every
size is MB (int), every cross-reference is checked, every permission is a
:class:`Grant`, every handler path is relative to the service root (POSIX).
Providers read only this; they never reach back into the manifest. Mappings
are plain dicts sorted by key: treat them as read-only.

``to_jsonable(app)`` gives the deterministic JSON used by the golden tests and
by ``validate --output json``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Union

from sls_neutral.core.errors import Position


class _Value:
    """Equality, hash, repr and immutability of the IR's frozen dataclasses, written once instead of
    generated per class.

    ``@dataclass(frozen=True)`` compiles every method it generates separately: eq, hash and repr of 27
    classes were ~6 ms of every command's start-up, and ``__setattr__``/``__delattr__`` another ~4.5 ms.
    These follow the dataclass rules exactly: equality and hash over the fields with ``compare=True``, in
    order, only between objects of the same class (so hashes, and the order of sets of IR objects, are
    unchanged); repr over the fields with ``repr=True``; assigning or deleting any attribute raises
    ``FrozenInstanceError``. ``__init__`` is generated for all the classes in one compile
    (:func:`_build_inits`).
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return _compared(self) == _compared(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(_compared(self))

    def __repr__(self) -> str:
        shown = _names(self.__class__)[1]
        return f"{self.__class__.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in shown)})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


_FIELDS: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}  # class -> (compared, shown) field names


def _names(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = _FIELDS.get(cls)
    if names is None:
        fields = dataclasses.fields(cls)
        names = _FIELDS[cls] = (tuple(f.name for f in fields if f.compare), tuple(f.name for f in fields if f.repr))
    return names


def _compared(obj: _Value) -> tuple:
    return tuple(getattr(obj, name) for name in _names(obj.__class__)[0])


def _frozen(cls: type) -> type:
    """``@dataclass(frozen=True)`` with the shared methods of :class:`_Value`; ``__init__`` comes from
    :func:`_build_inits` at the end of the module."""
    doc = cls.__dict__.get("__doc__")
    cls.__doc__ = doc or "-"  # dataclass would call inspect.signature for a docstring (~50 us a class)
    cls = dataclass(init=False, eq=False, repr=False)(cls)
    cls.__doc__ = doc
    _UNBUILT.append(cls)
    return cls


_UNBUILT: list[type] = []
_FACTORY = object()  # the default of a parameter whose field has a default_factory


def _build_inits(classes: list[type]) -> None:
    """The ``__init__`` ``@dataclass(frozen=True)`` would write for each class, compiled together.

    Parameters in field order, keyword-only fields after ``*``, defaults and default factories as the
    dataclass rules say, fields with ``init=False`` set to their default; values are set with
    ``object.__setattr__``, as a frozen dataclass's ``__init__`` does.
    """
    namespace: dict[str, Any] = {"_set": object.__setattr__, "_FACTORY": _FACTORY}
    source = []
    for number, cls in enumerate(classes):
        positional: list[str] = []
        keyword: list[str] = []
        shown: list[str] = []
        body = []
        for f in dataclasses.fields(cls):
            default = f"_d{number}_{f.name}"
            if f.default is not dataclasses.MISSING:
                namespace[default] = f.default
                param, value = f"{f.name}={default}", f.name
            elif f.default_factory is not dataclasses.MISSING:
                namespace[default] = f.default_factory
                param, value = f"{f.name}=_FACTORY", f"{default}() if {f.name} is _FACTORY else {f.name}"
            else:
                param, value = f.name, f.name
            if not f.init:
                if f.default is not dataclasses.MISSING:
                    body.append(f"_set(self, {f.name!r}, {default})")
                elif f.default_factory is not dataclasses.MISSING:
                    body.append(f"_set(self, {f.name!r}, {default}())")
                continue
            (keyword if f.kw_only else positional).append(param)
            shown.append(f.name + ("" if "=" not in param else " = <factory>" if "_FACTORY" in param
                                   else f" = {f.default!r}"))
            body.append(f"_set(self, {f.name!r}, {value})")
        signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
        source.append(f"def _init{number}({signature}):\n    " + "\n    ".join(body or ["pass"]))
        if not cls.__doc__:
            cls.__doc__ = f"{cls.__name__}({', '.join(shown)})"
    exec("\n".join(source), namespace)  # noqa: S102 - our own generated source, as dataclasses does
    for number, cls in enumerate(classes):
        init = namespace[f"_init{number}"]
        init.__name__, init.__qualname__, init.__module__ = "__init__", f"{cls.__qualname__}.__init__", __name__
        cls.__init__ = init
    classes.clear()


# ---------------------------------------------------------------- triggers
@_frozen
class HttpTrigger(_Value):
    method: str  # GET POST ... or ANY
    path: str  # "/photos/{id}"; "{name+}" is a greedy tail
    cors: bool = False
    kind: str = field(default="http", init=False)

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(seg.strip("{}+") for seg in self.path.split("/") if seg.startswith("{"))


@_frozen
class QueueTrigger(_Value):
    queue: str
    batch_size: int = 10
    kind: str = field(default="queue", init=False)


@_frozen
class TopicTrigger(_Value):
    topic: str
    kind: str = field(default="topic", init=False)


@_frozen
class ScheduleTrigger(_Value):
    cron: str | None  # 5-field cron, or None when rate is set
    rate: float | None  # seconds, whole minutes
    timezone: str = "UTC"
    data: Any = None
    kind: str = field(default="schedule", init=False)


@_frozen
class BucketTrigger(_Value):
    bucket: str
    events: tuple[str, ...] = ("created",)  # created | deleted
    prefix: str = ""
    suffix: str = ""
    kind: str = field(default="bucket", init=False)


Trigger = Union[HttpTrigger, QueueTrigger, TopicTrigger, ScheduleTrigger, BucketTrigger]

EVENT_TYPES = {
    "bucket.created": "sls.bucket.object.created",
    "bucket.deleted": "sls.bucket.object.deleted",
    "queue": "sls.queue.message",
    "topic": "sls.topic.message",
    "schedule": "sls.schedule.tick",
}


# ---------------------------------------------------------------- permissions
@dataclass(frozen=True, order=True)
class Grant:
    """One resolved permission: ``kind:name:action``. ``name``/``action`` may be ``*`` only if written."""

    kind: str  # bucket | queue | topic | secret | workflow | function
    name: str
    action: str
    implied: bool = False  # added by the compiler (e.g. consume for a queue trigger)

    @property
    def scope(self) -> str:
        return f"{self.kind}:{self.name}:{self.action}"

    @property
    def is_wildcard(self) -> bool:
        return self.name == "*" or self.action == "*"

    def allows(self, kind: str, name: str, action: str) -> bool:
        return (self.kind == kind and self.name in ("*", name) and self.action in ("*", action))


# ---------------------------------------------------------------- resources
@_frozen
class Queue(_Value):
    name: str
    visibility_timeout: float = 30.0
    retention: float = 345600.0
    fifo: bool = False
    delay: float = 0.0
    dead_letter: str | None = None  # the DLQ's queue name ("<name>-dlq")
    max_receives: int | None = None  # receives before dead-lettering
    dead_letter_for: str | None = None  # set on a DLQ: the queue it serves
    subscribed_topics: tuple[str, ...] = ()  # topics that fan out into this queue
    source: Position | None = field(default=None, compare=False)


@_frozen
class Topic(_Value):
    name: str
    queues: tuple[str, ...] = ()  # queues subscribed to this topic
    source: Position | None = field(default=None, compare=False)


@_frozen
class Bucket(_Value):
    name: str
    versioning: bool = False
    source: Position | None = field(default=None, compare=False)


@_frozen
class Secret(_Value):
    name: str
    description: str | None = None
    source: Position | None = field(default=None, compare=False)


# ---------------------------------------------------------------- functions
@_frozen
class Function(_Value):
    name: str
    handler: str  # "src/api.py:handle" as written
    handler_file: str  # "src/api.py" (POSIX, relative to the service root)
    handler_function: str  # "handle"
    module: str  # "src.api": the import name inside an artifact
    runtime: str
    memory: int  # MB
    timeout: float  # seconds
    environment: Mapping[str, str]  # plain values (secrets excluded)
    secret_environment: Mapping[str, str]  # ENV_NAME -> secret name, read at runtime
    requirements: str | None  # relative path of a requirements file, or None
    grants: tuple[Grant, ...]
    triggers: tuple[Trigger, ...]
    description: str | None = None
    warm: int = 0
    max_instances: int | None = None
    idempotent: bool = False
    lint_ignore: Mapping[str, str] = field(default_factory=dict)
    memory_explicit: bool = False  # set by the function or defaults, not the built-in default
    timeout_explicit: bool = False
    workflow_step: bool = False  # called by at least one workflow
    source: Position | None = field(default=None, compare=False)

    @property
    def trigger_kinds(self) -> tuple[str, ...]:
        return tuple(sorted({t.kind for t in self.triggers}))

    def can(self, kind: str, name: str, action: str) -> bool:
        return any(g.allows(kind, name, action) for g in self.grants)


# ---------------------------------------------------------------- workflows
@_frozen
class Retry(_Value):
    errors: tuple[str, ...] = ("all",)
    interval: float = 1.0
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay: float | None = None
    jitter: str = "none"  # none | full


@_frozen
class Step(_Value):
    """Base of every step. ``name`` is unique within its workflow."""

    name: str
    source: Position | None = field(default=None, compare=False, kw_only=True)


@_frozen
class CallStep(Step):
    function: str
    input: Any = None  # JSON value; strings starting with "$." are state paths; None = whole state
    result: str | None = None  # state path for the result; None discards
    retry: tuple[Retry, ...] = ()
    timeout: float | None = None
    kind: str = field(default="call", init=False)


@_frozen
class SetStep(Step):
    assignments: tuple[tuple[str, Any], ...]  # (path, value); "$." string values are paths
    kind: str = field(default="set", init=False)


@_frozen
class Case(_Value):
    when: str  # the source text
    condition: Any  # the parsed tree (sls_neutral.core.workflows.conditions)
    steps: tuple[Step, ...]


@_frozen
class SwitchStep(Step):
    cases: tuple[Case, ...]
    default: tuple[Step, ...] = ()
    kind: str = field(default="switch", init=False)


@_frozen
class Branch(_Value):
    name: str
    steps: tuple[Step, ...]


@_frozen
class ParallelStep(Step):
    branches: tuple[Branch, ...]
    result: str | None = None
    retry: tuple[Retry, ...] = ()
    kind: str = field(default="parallel", init=False)


@_frozen
class MapStep(Step):
    items: str  # state path of the list
    steps: tuple[Step, ...]
    max_concurrency: int = 0  # 0 = provider default (unbounded locally)
    result: str | None = None
    retry: tuple[Retry, ...] = ()
    kind: str = field(default="map", init=False)


@_frozen
class WaitStep(Step):
    seconds: float | None = None
    until: str | None = None  # state path or ISO-8601 timestamp
    kind: str = field(default="wait", init=False)


@_frozen
class Catch(_Value):
    errors: tuple[str, ...]
    result: str | None
    steps: tuple[Step, ...]


@_frozen
class TryStep(Step):
    steps: tuple[Step, ...]
    catches: tuple[Catch, ...] = ()
    retry: tuple[Retry, ...] = ()
    kind: str = field(default="try", init=False)


@_frozen
class FailStep(Step):
    error: str
    cause: str = ""
    kind: str = field(default="fail", init=False)


@_frozen
class ReturnStep(Step):
    value: Any  # JSON value; "$." strings are paths
    kind: str = field(default="return", init=False)


@_frozen
class Workflow(_Value):
    name: str
    steps: tuple[Step, ...]
    timeout: float = 3600.0
    triggers: tuple[Trigger, ...] = ()  # HttpTrigger / ScheduleTrigger
    description: str | None = None
    source: Position | None = field(default=None, compare=False)

    @property
    def functions(self) -> tuple[str, ...]:
        """Every function called by any step, sorted."""
        return tuple(sorted({s.function for s in walk_steps(self.steps) if isinstance(s, CallStep)}))


def walk_steps(steps: tuple[Step, ...]):
    """Every step in a tree, depth first, in document order."""
    for step in steps:
        yield step
        if isinstance(step, SwitchStep):
            for case in step.cases:
                yield from walk_steps(case.steps)
            yield from walk_steps(step.default)
        elif isinstance(step, ParallelStep):
            for branch in step.branches:
                yield from walk_steps(branch.steps)
        elif isinstance(step, MapStep):
            yield from walk_steps(step.steps)
        elif isinstance(step, TryStep):
            yield from walk_steps(step.steps)
            for catch in step.catches:
                yield from walk_steps(catch.steps)


# ---------------------------------------------------------------- cross-cutting settings
@_frozen
class Observability(_Value):
    """Filled by the observability plugin; every provider maps it to its native features."""

    tracing: bool = False  # X-Ray active tracing / Cloud Trace / Application Insights
    log_retention_days: int | None = None
    alarms: tuple[str, ...] = ()  # any of: errors, duration, throttles
    error_rate_threshold: float = 0.05  # fraction of invocations
    duration_threshold: float = 0.8  # fraction of the function's timeout


# ---------------------------------------------------------------- the app
@_frozen
class App(_Value):
    service: str
    stage: str
    runtime: str
    default_provider: str
    functions: Mapping[str, Function]
    queues: Mapping[str, Queue]
    topics: Mapping[str, Topic]
    buckets: Mapping[str, Bucket]
    secrets: Mapping[str, Secret]
    workflows: Mapping[str, Workflow]
    params: Mapping[str, Any] = field(default_factory=dict)
    provider_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    plugins: tuple[str, ...] = ()
    extensions: Mapping[str, Any] = field(default_factory=dict)  # validated plugin blocks
    tags: Mapping[str, str] = field(default_factory=dict)  # cost-allocation tags/labels for every resource
    observability: Observability = field(default_factory=Observability)
    manifest_file: str = "sls-neutral.yaml"  # as displayed in messages
    root: Path = field(default=Path("."), compare=False)  # the service folder; never written to artifacts

    def settings(self, provider: str) -> Mapping[str, Any]:
        return self.provider_settings.get(provider, {})

    def replace(self, **changes: Any) -> "App":
        """A copy with some fields changed (for slsn_transform_ir plugins)."""
        return dataclasses.replace(self, **changes)

    @property
    def http_routes(self) -> list[tuple[HttpTrigger, str, str]]:
        """(trigger, "function"|"workflow", name) for every http trigger, sorted by path then method."""
        routes = [(t, "function", f.name) for f in self.functions.values() for t in f.triggers
                  if isinstance(t, HttpTrigger)]
        routes += [(t, "workflow", w.name) for w in self.workflows.values() for t in w.triggers
                   if isinstance(t, HttpTrigger)]
        return sorted(routes, key=lambda r: (r[0].path, r[0].method))


_build_inits(_UNBUILT)


# ---------------------------------------------------------------- JSON
def to_jsonable(value: Any) -> Any:
    """Deterministic JSON-able form of any IR object (no positions, no absolute paths)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"type": type(value).__name__} if isinstance(value, Step) else {}
        for f in dataclasses.fields(value):
            if f.name in ("source", "root", "condition"):
                continue
            out[f.name] = to_jsonable(getattr(value, f.name))
        return out
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
