"""The traffic profile: how much work a service does in a month.

A YAML file (``cost --profile traffic.yaml``)::

    defaults: {requests: 1M, duration: 100ms}     # for functions the profile does not list
    functions:
      api: {requests: 10M, duration: 120ms, memory: 512MB, payload: 2KB}   # memory: the manifest's
    workflows:
      process-order: {executions: 100k, transitions: 12}    # transitions default to the step count
    queues:
      resize-jobs: {messages: 2M, payload: 4KB}
    topics:
      photo-events: {messages: 1M, payload: 1KB}
    container: {vcpu: 0.5, memory: 1GB, instances: 1}      # the always-on alternative
    concurrency: 1                                           # requests one Cloud Run / Flex instance serves at once

Counts accept numbers or ``250k``, ``10M``, ``1B``. Scheduled functions get their
invocations from their schedules unless the profile says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Mapping

from sls_neutral.core import ir
from sls_neutral.core.errors import Position, SlsnError
from sls_neutral.core.manifest.units import parse_duration, parse_size_mb

DEFAULT_REQUESTS = 1_000_000.0
DEFAULT_DURATION = 0.1
DEFAULT_PAYLOAD_KB = 1.0
_COUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMbB]?)\s*$")
_COUNT_FACTORS = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9}
_KB = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB)\s*$", re.IGNORECASE)
KNOWN_KEYS = {"defaults", "functions", "workflows", "queues", "topics", "container", "concurrency"}


class ProfileError(SlsnError):
    """The traffic profile cannot be read."""


@dataclass(frozen=True)
class FunctionLoad:
    name: str
    requests: float  # per month
    duration: float  # seconds, average
    memory: int  # MB
    http: bool = False
    schedule: bool = False
    payload_kb: float = 1.0  # average request body (API Gateway meters HTTP API calls per 512 KB)


@dataclass(frozen=True)
class WorkflowLoad:
    name: str
    executions: float
    transitions: float  # per execution
    calls: int  # call steps per execution (Durable activities)


@dataclass(frozen=True)
class MessageLoad:
    name: str
    messages: float
    payload_kb: float
    fifo: bool = False
    batch_size: int = 10
    deliveries: int = 1  # subscribers each message is delivered to


@dataclass(frozen=True)
class Container:
    vcpu: float = 0.5
    memory_gb: float = 1.0
    instances: int = 1


@dataclass(frozen=True)
class Profile:
    functions: Mapping[str, FunctionLoad]
    workflows: Mapping[str, WorkflowLoad] = field(default_factory=dict)
    queues: Mapping[str, MessageLoad] = field(default_factory=dict)
    topics: Mapping[str, MessageLoad] = field(default_factory=dict)
    container: Container = Container()
    concurrency: int = 1

    def scaled(self, factor: float) -> "Profile":
        """The same mix of work, ``factor`` times as much (for the crossover search)."""
        from dataclasses import replace

        return replace(
            self,
            functions={k: replace(v, requests=v.requests * factor) for k, v in self.functions.items()},
            workflows={k: replace(v, executions=v.executions * factor) for k, v in self.workflows.items()},
            queues={k: replace(v, messages=v.messages * factor) for k, v in self.queues.items()},
            topics={k: replace(v, messages=v.messages * factor) for k, v in self.topics.items()})

    @property
    def total_requests(self) -> float:
        return sum(f.requests for f in self.functions.values())


def parse_count(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise ProfileError(f"{where}: {value!r} is not a count", hint="write a number or 250k, 10M, 1B")
    if isinstance(value, (int, float)) and value >= 0:
        return float(value)
    match = _COUNT.match(str(value))
    if not match:
        raise ProfileError(f"{where}: {value!r} is not a count", hint="write a number or 250k, 10M, 1B")
    return float(match.group(1)) * _COUNT_FACTORS[match.group(2).lower()]


def parse_kb(value: Any, where: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    match = _KB.match(str(value))
    if not match:
        raise ProfileError(f"{where}: {value!r} is not a payload size", hint="write KB as a number, or 512B, 4KB, 1MB")
    number, unit = float(match.group(1)), match.group(2).upper()
    return number / 1024 if unit == "B" else number * 1024 if unit == "MB" else number


def schedule_invocations(trigger: ir.ScheduleTrigger) -> float:
    """Invocations in a 730-hour month, counted over a fixed window so the estimate is deterministic."""
    return _invocations(trigger.cron, trigger.rate)


@lru_cache(maxsize=256)
def _invocations(cron: str | None, rate: float | None) -> float:
    if rate:
        return 730 * 3600 / rate
    from croniter import croniter

    start = datetime(2025, 1, 1)
    end = start + timedelta(hours=730)
    it = croniter(cron, start - timedelta(seconds=1))  # the window includes its first instant
    count = 0
    while it.get_next(datetime) < end:
        count += 1
    return float(count)


def _section(raw: Mapping[str, Any], key: str, known: Mapping[str, Any], what: str) -> dict[str, dict]:
    section = raw.get(key) or {}
    if not isinstance(section, dict):
        raise ProfileError(f"profile: '{key}' must be a mapping of {what} names")
    out = {}
    for name, body in section.items():
        if name not in known:
            from sls_neutral.core.errors import did_you_mean

            raise ProfileError(f"profile: {key}.{name} is not a {what} of this service",
                               hint=did_you_mean(str(name), known) or f"{what}s: {', '.join(known) or 'none'}")
        if not isinstance(body, dict):
            raise ProfileError(f"profile: {key}.{name} must be a mapping")
        out[name] = body
    return out


def build_profile(app: ir.App, raw: Mapping[str, Any] | None) -> Profile:
    """The profile for ``app``: what the file says, manifest values and defaults for the rest."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise ProfileError(f"profile: unknown key '{unknown[0]}'", hint=f"known keys: {', '.join(sorted(KNOWN_KEYS))}")
    defaults = raw.get("defaults") or {}
    default_requests = parse_count(defaults.get("requests", DEFAULT_REQUESTS), "defaults.requests")
    default_duration = _duration(defaults.get("duration", DEFAULT_DURATION), "defaults.duration")
    fn_raw = _section(raw, "functions", app.functions, "function")
    steps = {fn for wf in app.workflows.values() for fn in wf.functions}
    functions = {}
    for f in app.functions.values():
        body = fn_raw.get(f.name, {})
        schedules = [t for t in f.triggers if isinstance(t, ir.ScheduleTrigger)]
        if "requests" in body:
            requests = parse_count(body["requests"], f"functions.{f.name}.requests")
        elif schedules and len(schedules) == len(f.triggers):
            requests = sum(schedule_invocations(t) for t in schedules)
        elif f.name in steps and not f.triggers:
            requests = 0.0  # counted through its workflows' executions below
        else:
            requests = default_requests
        duration = _duration(body.get("duration", min(default_duration, f.timeout)), f"functions.{f.name}.duration")
        memory = _memory(body.get("memory", f.memory), f"functions.{f.name}.memory")
        functions[f.name] = FunctionLoad(f.name, requests, duration, memory,
                                         http=any(isinstance(t, ir.HttpTrigger) for t in f.triggers),
                                         schedule=bool(schedules),
                                         payload_kb=parse_kb(body.get("payload", DEFAULT_PAYLOAD_KB),
                                                             f"functions.{f.name}.payload"))
    workflows = {}
    for name, body in {**{n: {} for n in app.workflows}, **_section(raw, "workflows", app.workflows,
                                                                    "workflow")}.items():
        wf = app.workflows[name]
        count = sum(1 for _ in ir.walk_steps(wf.steps))
        calls = [s for s in ir.walk_steps(wf.steps) if isinstance(s, ir.CallStep)]
        executions = parse_count(body.get("executions", 0), f"workflows.{name}.executions")
        transitions = parse_count(body.get("transitions", count + 1), f"workflows.{name}.transitions")
        workflows[name] = WorkflowLoad(name, executions, transitions, len(calls))
        for call in calls:  # each execution runs each step function once (an estimate: branches may skip)
            load = functions.get(call.function)
            if load is not None and call.function not in fn_raw:
                functions[call.function] = FunctionLoad(load.name, load.requests + executions, load.duration,
                                                        load.memory, load.http, load.schedule, load.payload_kb)
    queues = {}
    q_raw = _section(raw, "queues", app.queues, "queue")
    for q in app.queues.values():
        if q.dead_letter_for:
            continue
        body = q_raw.get(q.name, {})
        consumers = [t for f in app.functions.values() for t in f.triggers
                     if isinstance(t, ir.QueueTrigger) and t.queue == q.name]
        fed = sum(functions[f.name].requests for f in app.functions.values()
                  if any(isinstance(t, ir.QueueTrigger) and t.queue == q.name for t in f.triggers))
        messages = parse_count(body.get("messages", fed), f"queues.{q.name}.messages")
        queues[q.name] = MessageLoad(q.name, messages, parse_kb(body.get("payload", DEFAULT_PAYLOAD_KB),
                                                                 f"queues.{q.name}.payload"),
                                     q.fifo, consumers[0].batch_size if consumers else 10)
    topics = {}
    t_raw = _section(raw, "topics", app.topics, "topic")
    for t in app.topics.values():
        body = t_raw.get(t.name, {})
        subscribers = len(t.queues) + sum(1 for f in app.functions.values() for tr in f.triggers
                                          if isinstance(tr, ir.TopicTrigger) and tr.topic == t.name)
        messages = parse_count(body.get("messages", 0), f"topics.{t.name}.messages")
        topics[t.name] = MessageLoad(t.name, messages, parse_kb(body.get("payload", DEFAULT_PAYLOAD_KB),
                                                                 f"topics.{t.name}.payload"),
                                     deliveries=max(1, subscribers))
    c = raw.get("container") or {}
    if not isinstance(c, dict):
        raise ProfileError("profile: 'container' must be a mapping (vcpu, memory, instances)")
    container = Container(float(c.get("vcpu", 0.5)), _memory(c.get("memory", 1024), "container.memory") / 1024,
                          int(c.get("instances", 1)))
    concurrency = int(raw.get("concurrency", 1) or 1)
    if concurrency < 1 or container.vcpu <= 0 or container.instances < 1:
        raise ProfileError("profile: concurrency, container.vcpu and container.instances must be positive")
    return Profile(functions, workflows, queues, topics, container, concurrency)


def _duration(value: Any, where: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ProfileError(f"profile: {where}: {exc}") from None


def _memory(value: Any, where: str) -> int:
    try:
        return parse_size_mb(value)
    except ValueError as exc:
        raise ProfileError(f"profile: {where}: {exc}") from None


def load_profile_file(path: Path) -> dict[str, Any]:
    """The YAML mapping in ``path`` (positions are not needed: profile errors name their key path)."""
    from sls_neutral.core.manifest.yamlpos import load_yaml_file

    if not path.is_file():
        raise ProfileError(f"traffic profile {path} not found", position=Position(str(path)),
                           hint="write a YAML file with functions: {NAME: {requests: 10M, duration: 100ms}}")
    doc = load_yaml_file(path, str(path))
    if doc.data is None:
        return {}
    if not isinstance(doc.data, dict):
        raise ProfileError("the traffic profile must be a mapping", position=Position(str(path), 1, 1))
    return doc.data
