"""IR -> the GCP deployment description (``deployment.json``): every resource with its desired configuration.

The description is pure data built from the IR and ``providers.gcp``; the emitter writes it, the
planner compares it with what the control plane reports, the executor applies it. Shapes follow
the REST resources (Cloud Functions v2, Pub/Sub v1, Cloud Scheduler v1, Workflows v1, Storage JSON)
so a reader can map each entry to ``gcloud`` flags or API fields one to one.

A neutral function becomes one or more *deployment units* (2nd gen functions): Cloud Functions
takes either one HTTPS trigger or one event trigger per function, so a function with several
triggers is deployed once per trigger, all units sharing one source zip.

What the GCP adapter needs to know about a function's triggers (:func:`adapter_config`: routes, the
Pub/Sub topics and buckets that feed it, step flags) is configuration, not code: it travels in the
environment variable ``SLSN_FUNCTION_CONFIG`` beside the other ``SLSN_*`` variables, so the source zip
depends only on the function's files and a route change updates the function without a new build.
"""

from __future__ import annotations

import base64
import json
import math
from itertools import chain
from dataclasses import dataclass, field
from typing import Any, Mapping

from sls_neutral.core import ir
from sls_neutral.providers.gcp import iam
from sls_neutral.providers.gcp.cron import schedule_cron
from sls_neutral.providers.gcp.names import SERVICE_LABEL, STAGE_LABEL, Names, label_key, label_value

FORMAT = 1
HTTP_TIMEOUT_MAX = 3600
EVENT_TIMEOUT_MAX = 540
ACK_DEADLINE_MAX = 600
ACK_DEADLINE_MIN = 10
DELIVERY_ATTEMPTS = (5, 100)
RETENTION_MAX = 7 * 24 * 3600
RETENTION_MIN = 600
PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"
STORAGE_EVENTS = {"created": "google.cloud.storage.object.v1.finalized",
                  "deleted": "google.cloud.storage.object.v1.deleted"}
STEP_PATH = "/_slsn/step"  # where a function that also serves HTTP routes answers its workflow calls
CONFIG_ENV = "SLSN_FUNCTION_CONFIG"  # the adapter's configuration (sls_neutral.runtime.adapters.gcp reads it)
ENV_BYTES_MAX = 32 * 1024  # a function's runtime variables, names and values together (Cloud Run functions limit)
CPU_BY_MEMORY = ((128, "0.083"), (256, "0.167"), (512, "0.333"), (1024, "0.583"), (2048, "1"), (4096, "2"),
                 (8192, "2"), (16384, "4"), (32768, "8"))


@dataclass
class Unit:
    """One 2nd gen function: a neutral function (or a workflow starter) bound to one trigger."""

    name: str  # physical
    owner: str  # the neutral function, or the workflow for a starter
    kind: str  # http | step | queue | topic | bucket | schedule | starter
    entry_point: str
    event_trigger: dict[str, Any] | None = None
    source: str = ""  # the zip inside the artifact set
    invoked_by: list[str] = field(default_factory=list)  # members granted run.invoker


def memory_string(mb: int) -> str:
    return f"{mb // 1024}Gi" if mb % 1024 == 0 else f"{mb}Mi"


def cpu_for(mb: int) -> str:
    for limit, cpu in CPU_BY_MEMORY:
        if mb <= limit:
            return cpu
    return CPU_BY_MEMORY[-1][1]


def runtime_id(runtime: str) -> str:
    """``python3.12`` -> ``python312`` (the Cloud Functions runtime id)."""
    return runtime.replace(".", "")


def duration(seconds: float) -> str:
    return f"{int(math.ceil(seconds))}s"


def labels_for(app: ir.App, settings: Mapping[str, Any]) -> dict[str, str]:
    labels = {label_key(k): label_value(v) for k, v in sorted(app.tags.items())}
    labels.update({label_key(k): label_value(v) for k, v in sorted((settings.get("labels") or {}).items())})
    labels[SERVICE_LABEL] = label_value(app.service)
    labels[STAGE_LABEL] = label_value(app.stage)
    return dict(sorted(labels.items()))


def adapter_config(app: ir.App, fn: ir.Function, names: Names,
                   fifo_queues: list[str] | None = None) -> dict[str, Any]:
    """What the adapter needs to know about the function's triggers (routes, sources, filters).

    ``fifo_queues`` (:func:`fifo_queue_names`) is the same for every function: pass it when configuring many.
    """
    sources: dict[str, Any] = {}
    buckets: list[dict[str, Any]] = []
    schedule_index = 0
    for trigger in fn.triggers:
        if isinstance(trigger, ir.TopicTrigger):
            sources[names.topic_path(names.topic(trigger.topic))] = {"kind": "topic", "name": trigger.topic}
        elif isinstance(trigger, ir.QueueTrigger):
            queue = app.queues.get(trigger.queue)
            sources[names.topic_path(names.queue_topic(trigger.queue))] = {"kind": "queue", "name": trigger.queue}
            for topic in (queue.subscribed_topics if queue else ()):
                sources[names.topic_path(names.topic(topic))] = {"kind": "queue", "name": trigger.queue}
        elif isinstance(trigger, ir.ScheduleTrigger):
            topic = names.schedule_topic(fn.name, schedule_index)
            schedule_index += 1
            sources[names.topic_path(topic)] = {"kind": "schedule", "name": fn.name, "data": trigger.data}
        elif isinstance(trigger, ir.BucketTrigger):
            buckets.append({"bucket": names.bucket(trigger.bucket), "name": trigger.bucket,
                            "events": list(trigger.events), "prefix": trigger.prefix, "suffix": trigger.suffix})
    routes = [{"method": t.method, "path": t.path, "cors": t.cors} for t in fn.triggers
              if isinstance(t, ir.HttpTrigger)]
    return {"function": fn.name, "routes": routes, "sources": dict(sorted(sources.items())),
            "buckets": buckets, "step": fn.workflow_step or not fn.triggers,
            "fifo_queues": fifo_queue_names(app) if fifo_queues is None else fifo_queues,
            "step_only": not fn.triggers, "step_path": STEP_PATH}


def fifo_queue_names(app: ir.App) -> list[str]:
    return sorted(q.name for q in app.queues.values() if q.fifo)


def starter_config(wf: ir.Workflow) -> dict[str, Any]:
    """The adapter's configuration of a workflow starter: its routes and the workflow it starts."""
    return {"function": f"{wf.name}-start", "routes": [{"method": t.method, "path": t.path, "cors": t.cors}
                                                       for t in wf.triggers if isinstance(t, ir.HttpTrigger)],
            "starts": wf.name, "sources": {}, "buckets": [], "step": False, "step_only": False,
            "step_path": STEP_PATH}


# json.dumps(..., sort_keys=True[, separators]) builds a new encoder per call; these are the same encoders, made once
_SORTED_JSON = json.JSONEncoder(sort_keys=True).encode
_COMPACT_SORTED_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def config_value(config: Mapping[str, Any]) -> str:
    """``SLSN_FUNCTION_CONFIG``: canonical compact JSON (sorted keys, ASCII), so equal configurations are equal
    strings and the planner's comparison of deployed and desired environments is exact."""
    return _COMPACT_SORTED_JSON(config)


def clamp_attempts(value: int | None) -> int:
    lo, hi = DELIVERY_ATTEMPTS
    return max(lo, min(hi, value or lo))


@dataclass
class _Shared:
    """What every builder of one app computes once: the check's size limit, ``units_of`` and the emit's
    description all need each function's units and environment, and every adapter configuration names the
    FIFO queues. Read-only once made (a builder copies an environment before handing it out)."""

    app: ir.App  # held, so that its id is not reused by another app
    key: tuple[Names, bool]  # what the units and environments depend on besides the app
    fifo_queues: list[str]
    units: dict[str, list[Unit]] = field(default_factory=dict)  # function -> its units
    configs: dict[str, str] = field(default_factory=dict)  # function -> SLSN_FUNCTION_CONFIG
    environments: dict[tuple[str, bool], dict[str, str]] = field(default_factory=dict)  # (function, event unit?)


_LAST_SHARED: list[_Shared] = []


def _shared_for(app: ir.App, names: Names, public_http: bool) -> _Shared:
    """The last app's shared results, or new ones for another app (or other names)."""
    key = (names, public_http)
    if not (_LAST_SHARED and _LAST_SHARED[0].app is app and _LAST_SHARED[0].key == key):
        _LAST_SHARED[:] = [_Shared(app, key, fifo_queue_names(app))]
    return _LAST_SHARED[0]


class _Builder:
    def __init__(self, app: ir.App, settings: Mapping[str, Any]):
        self.app = app
        self.settings = settings
        self.names = Names.from_settings(app.service, app.stage, settings)
        self.labels = labels_for(app, settings)
        self.notes: list[str] = []
        self.units: dict[str, list[Unit]] = {}
        self.invoker = self.names.account_id("invoker")
        self.invoker_email = self.names.account_email(self.invoker)
        self.agent_bindings: list[dict[str, Any]] = []
        self.shared = _shared_for(app, self.names, bool(settings.get("public_http", True)))

    # ------------------------------------------------------------ units
    def function_units(self, fn: ir.Function) -> list[Unit]:
        """The function's units (made once per app: do not mutate them)."""
        units = self.shared.units.get(fn.name)
        if units is None:
            units = self.shared.units[fn.name] = self._function_units(fn)
        return units

    def _function_units(self, fn: ir.Function) -> list[Unit]:
        units: list[Unit] = []
        http = [t for t in fn.triggers if isinstance(t, ir.HttpTrigger)]
        events: list[tuple[str, dict[str, Any] | None]] = []
        for trigger in fn.triggers:
            if isinstance(trigger, ir.QueueTrigger):
                events.append(("queue", None))
            elif isinstance(trigger, ir.TopicTrigger):
                events.append(("topic", {"event_type": PUBSUB_PUBLISHED,
                                         "pubsub_topic": self.names.topic_path(self.names.topic(trigger.topic))}))
            elif isinstance(trigger, ir.ScheduleTrigger):
                index = sum(1 for kind, _ in events if kind == "schedule")
                topic = self.names.schedule_topic(fn.name, index)
                events.append(("schedule", {"event_type": PUBSUB_PUBLISHED,
                                            "pubsub_topic": self.names.topic_path(topic)}))
            elif isinstance(trigger, ir.BucketTrigger):
                for event in trigger.events:
                    events.append(("bucket", {"event_type": STORAGE_EVENTS[event], "event_filters": [
                        {"attribute": "bucket", "value": self.names.bucket(trigger.bucket)}]}))
        if http or not events:
            units.append(Unit(self.names.function(fn.name), fn.name, "http" if http else "step", "http_entry"))
        for index, (kind, trigger) in enumerate(events):
            suffix = "" if not units and index == 0 else f"{kind}-{index}"
            name = self.names.function(fn.name) if not suffix else \
                self.names.function(f"{fn.name}-{suffix}")
            entry = "queue_entry" if kind == "queue" else "event_entry"
            event_trigger = None
            if trigger is not None:
                event_trigger = {**trigger, "retry_policy": "RETRY_POLICY_RETRY",
                                 "service_account_email": self.invoker_email, "trigger_region": self.names.region}
            units.append(Unit(name, fn.name, kind, entry, event_trigger))
        for unit in units:
            unit.source = f"functions/{fn.name}.zip"
            if unit.kind == "step":
                continue  # only the calling workflows' identities invoke a step (bound per workflow)
            if unit.kind != "http":
                unit.invoked_by.append(f"serviceAccount:{self.invoker_email}")
            elif self.settings.get("public_http", True):
                unit.invoked_by.append("allUsers")
        return units

    def starter_unit(self, wf: ir.Workflow) -> Unit:
        unit = Unit(self.names.function(f"{wf.name}-start"), wf.name, "starter", "http_entry",
                    source=f"starters/{wf.name}.zip")
        unit.invoked_by.append("allUsers" if self.settings.get("public_http", True) else
                               f"serviceAccount:{self.invoker_email}")
        return unit

    # ------------------------------------------------------------ environment
    def physical_id(self, kind: str, name: str) -> str:
        n = self.names
        if kind == "bucket":
            return n.bucket(name)
        if kind == "queue":
            return n.topic_path(n.queue_topic(name))
        if kind == "topic":
            return n.topic_path(n.topic(name))
        if kind == "secret":
            return n.secret_path(n.secret(name))
        if kind == "workflow":
            return n.workflow_path(n.workflow(name))
        if kind == "function":
            return n.function_url(self.units[name][0].name) if name in self.units else ""
        raise KeyError(kind)

    def declared(self, kind: str) -> list[str]:
        return sorted({"bucket": self.app.buckets, "queue": self.app.queues, "topic": self.app.topics,
                       "secret": self.app.secrets, "workflow": self.app.workflows,
                       "function": self.app.functions}.get(kind, {}))

    def resources(self, grants: tuple[ir.Grant, ...], extra: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
        out: dict[str, str] = {}
        pairs = list(extra)
        for grant in grants:
            names = self.declared(grant.kind) if grant.name == "*" else [grant.name]
            pairs.extend((grant.kind, name) for name in names)
        for kind, name in pairs:
            out[f"{kind}:{name}"] = self.physical_id(kind, name)
        return dict(sorted(out.items()))

    def environment(self, fn: ir.Function, unit: Unit) -> dict[str, str]:
        return dict(self.shared_environment(fn, unit))

    def shared_environment(self, fn: ir.Function, unit: Unit) -> dict[str, str]:
        """The unit's environment, computed once per app (do not mutate it: :meth:`environment` copies)."""
        key = (fn.name, bool(unit.event_trigger))  # units of a function differ only in their timeout limit
        cached = self.shared.environments.get(key)
        if cached is None:
            cached = self.shared.environments[key] = self._environment(fn, unit)
        return cached

    def _environment(self, fn: ir.Function, unit: Unit) -> dict[str, str]:
        secret_names = tuple(("secret", s) for s in sorted(set(fn.secret_environment.values())))
        env = dict(fn.environment)
        env.update({
            "SLSN_PROVIDER": "gcp",
            "SLSN_SERVICE": self.app.service,
            "SLSN_STAGE": self.app.stage,
            "SLSN_FUNCTION": fn.name,
            "SLSN_HANDLER": f"{fn.module}:{fn.handler_function}",
            "SLSN_GRANTS": ",".join(sorted({g.scope for g in fn.grants})),
            "SLSN_RESOURCES": _SORTED_JSON(self.resources(fn.grants, secret_names)) if fn.grants or secret_names
            else "{}",
            "SLSN_SECRET_ENV": _SORTED_JSON(dict(fn.secret_environment)) if fn.secret_environment else "{}",
            "SLSN_TIMEOUT_MS": str(int(self.timeout(fn, unit) * 1000)),
            "SLSN_GCP_PROJECT": self.names.project,
            CONFIG_ENV: self.config(fn),
        })
        return dict(sorted(env.items()))

    def config(self, fn: ir.Function) -> str:
        value = self.shared.configs.get(fn.name)
        if value is None:
            value = self.shared.configs[fn.name] = config_value(
                adapter_config(self.app, fn, self.names, self.shared.fifo_queues))
        return value

    @staticmethod
    def timeout(fn: ir.Function, unit: Unit) -> int:
        limit = EVENT_TIMEOUT_MAX if unit.event_trigger else HTTP_TIMEOUT_MAX
        return int(min(limit, math.ceil(fn.timeout)))

    # ------------------------------------------------------------ functions
    def function_spec(self, fn: ir.Function, unit: Unit, account: str) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "name": unit.name,
            "path": self.names.function_path(unit.name),
            "function": fn.name,
            "kind": unit.kind,
            "description": fn.description or f"{self.app.service} ({self.app.stage}): {fn.name}",
            "labels": self.labels,
            "url": self.names.function_url(unit.name),
            "build": {"runtime": runtime_id(fn.runtime), "entry_point": unit.entry_point, "source": unit.source},
            "service": {
                "available_memory": memory_string(fn.memory),
                "available_cpu": cpu_for(fn.memory),
                "timeout_seconds": self.timeout(fn, unit),
                "max_instance_count": fn.max_instances or 100,
                "min_instance_count": fn.warm,
                "max_instance_request_concurrency": 1,
                "environment_variables": self.environment(fn, unit),
                "service_account_email": self.names.account_email(account),
                "ingress_settings": (self.settings.get("ingress") or "ALLOW_ALL") if unit.kind in (
                    "http", "starter") else "ALLOW_ALL",
                "all_traffic_on_latest_revision": True,
            },
            "invokers": sorted(unit.invoked_by),
        }
        if unit.event_trigger:
            spec["event_trigger"] = dict(sorted(unit.event_trigger.items()))
        return spec

    def starter_spec(self, wf: ir.Workflow, unit: Unit, account: str) -> dict[str, Any]:
        grants = (ir.Grant("workflow", wf.name, "start", implied=True),)
        env = {
            "SLSN_PROVIDER": "gcp", "SLSN_SERVICE": self.app.service, "SLSN_STAGE": self.app.stage,
            "SLSN_FUNCTION": f"{wf.name}-start", "SLSN_HANDLER": "", "SLSN_STARTS": wf.name,
            "SLSN_GRANTS": grants[0].scope, "SLSN_RESOURCES": json.dumps(self.resources(grants), sort_keys=True),
            "SLSN_SECRET_ENV": "{}", "SLSN_TIMEOUT_MS": "60000", "SLSN_GCP_PROJECT": self.names.project,
            CONFIG_ENV: config_value(starter_config(wf)),
        }
        return {
            "name": unit.name, "path": self.names.function_path(unit.name), "function": None, "workflow": wf.name,
            "kind": "starter", "description": f"{self.app.service} ({self.app.stage}): starts workflow {wf.name}",
            "labels": self.labels, "url": self.names.function_url(unit.name),
            "build": {"runtime": runtime_id(self.app.runtime), "entry_point": unit.entry_point,
                      "source": unit.source},
            "service": {"available_memory": "256Mi", "available_cpu": cpu_for(256), "timeout_seconds": 60,
                        "max_instance_count": 100, "min_instance_count": 0, "max_instance_request_concurrency": 1,
                        "environment_variables": dict(sorted(env.items())),
                        "service_account_email": self.names.account_email(account),
                        "ingress_settings": self.settings.get("ingress") or "ALLOW_ALL",
                        "all_traffic_on_latest_revision": True},
            "invokers": sorted(unit.invoked_by),
        }

    # ------------------------------------------------------------ the whole description
    def build(self, workflow_yaml: Mapping[str, str]) -> dict[str, Any]:
        n = self.names
        app = self.app
        for fname, fn in app.functions.items():
            self.units[fname] = self.function_units(fn)
        unit_names = {fname: [u.name for u in units] for fname, units in self.units.items()}
        functions: dict[str, Any] = {}
        accounts: dict[str, Any] = {self.invoker: {
            "account_id": self.invoker, "email": self.invoker_email,
            "display_name": f"{app.service} {app.stage}: event delivery and schedules"}}
        bindings: list[dict[str, Any]] = []
        platform: list[dict[str, Any]] = []
        for fname, fn in app.functions.items():
            account = n.account_id("fn", fname)
            email = n.account_email(account)
            accounts[account] = {"account_id": account, "email": email,
                                 "display_name": f"{app.service} {app.stage}: function {fname}"}
            bindings.extend(iam.grant_bindings(fn.grants, f"serviceAccount:{email}", n, unit_names))
            for unit in self.units[fname]:
                functions[unit.name] = self.function_spec(fn, unit, account)
            self.notes.extend(_bucket_filter_notes(fn, self.units[fname]))
        starters: dict[str, Unit] = {}
        for wname, wf in app.workflows.items():
            if any(isinstance(t, ir.HttpTrigger) for t in wf.triggers):
                unit = self.starter_unit(wf)
                starters[wname] = unit
                account = n.account_id("start", wname)
                email = n.account_email(account)
                accounts[account] = {"account_id": account, "email": email,
                                     "display_name": f"{app.service} {app.stage}: starts workflow {wname}"}
                functions[unit.name] = self.starter_spec(wf, unit, account)
                bindings.append({"resource_type": "workflow", "resource": n.workflow_path(n.workflow(wname)),
                                 "role": "roles/workflows.invoker", "member": f"serviceAccount:{email}"})
        for spec in functions.values():
            for member in spec["invokers"]:
                platform.append({"resource_type": "function", "resource": spec["path"], "role": "roles/run.invoker",
                                 "member": member, "reason": "delivery" if member != "allUsers" else "public HTTP"})

        topics, subscriptions = self.messaging()
        platform.extend(self.agent_bindings)
        jobs = self.schedules(platform)
        workflows = {}
        for wname, wf in app.workflows.items():
            account = n.account_id("wf", wname)
            email = n.account_email(account)
            accounts[account] = {"account_id": account, "email": email,
                                 "display_name": f"{app.service} {app.stage}: workflow {wname}"}
            for step_fn in wf.functions:
                for unit in self.units.get(step_fn, []):
                    if unit.kind in ("http", "step"):
                        bindings.append({"resource_type": "function", "resource": n.function_path(unit.name),
                                         "role": "roles/run.invoker", "member": f"serviceAccount:{email}"})
            physical = n.workflow(wname)
            workflows[physical] = {
                "name": physical, "path": n.workflow_path(physical), "workflow": wname,
                "description": wf.description or f"{app.service} ({app.stage}): workflow {wname}",
                "labels": self.labels, "service_account": email, "source": f"workflows/{wname}.yaml",
                "source_sha256": _sha(workflow_yaml.get(wname, "")),
                "call_log_level": "LOG_ERRORS_ONLY",
            }
        if any(s.get("event_trigger") for s in functions.values()):
            platform.append({"resource_type": "project", "resource": f"projects/{n.project}",
                             "role": "roles/eventarc.eventReceiver", "member": f"serviceAccount:{self.invoker_email}",
                             "reason": "Eventarc requires the trigger identity to hold eventReceiver on the project"})
        buckets = {n.bucket(b): {"name": n.bucket(b), "bucket": b, "location": n.region.upper(),
                                 "labels": self.labels, "versioning": bucket.versioning,
                                 "uniform_bucket_level_access": True,
                                 "public_access_prevention": "enforced"}
                   for b, bucket in app.buckets.items()}
        secrets = {n.secret(s): {"name": n.secret(s), "path": n.secret_path(n.secret(s)), "secret": s,
                                 "managed": False} for s in app.secrets}
        return {
            "format": FORMAT, "provider": "gcp", "service": app.service, "stage": app.stage,
            "project": n.project, "region": n.region, "labels": self.labels,
            "functions": dict(sorted(functions.items())),
            "topics": topics, "subscriptions": subscriptions, "scheduler_jobs": jobs,
            "buckets": dict(sorted(buckets.items())), "secrets": dict(sorted(secrets.items())),
            "workflows": dict(sorted(workflows.items())),
            "service_accounts": dict(sorted(accounts.items())),
            "iam_bindings": _unique(bindings),
            "platform_bindings": _unique(platform),
            "notes": sorted(set(self.notes)),
        }

    # ------------------------------------------------------------ Pub/Sub
    def messaging(self) -> tuple[dict[str, Any], dict[str, Any]]:
        n = self.names
        app = self.app
        topics: dict[str, Any] = {}
        subscriptions: dict[str, Any] = {}
        for tname in app.topics:
            topics[n.topic(tname)] = {"name": n.topic(tname), "path": n.topic_path(n.topic(tname)),
                                      "kind": "topic", "neutral": tname, "labels": self.labels}
        consumers = {t.queue: fn for fn in app.functions.values() for t in fn.triggers
                     if isinstance(t, ir.QueueTrigger)}
        for qname, queue in app.queues.items():
            topic = n.queue_topic(qname)
            topics[topic] = {"name": topic, "path": n.topic_path(topic), "kind": "queue", "neutral": qname,
                             "labels": self.labels}
            consumer = consumers.get(qname)
            ack = max(ACK_DEADLINE_MIN, math.ceil(queue.visibility_timeout))
            if consumer is not None:
                ack = max(ack, math.ceil(consumer.timeout))
            if ack > ACK_DEADLINE_MAX:
                self.notes.append(f"queue '{qname}': ack deadline clamped to {ACK_DEADLINE_MAX} s (Pub/Sub maximum)")
                ack = ACK_DEADLINE_MAX
            base: dict[str, Any] = {
                "ack_deadline_seconds": ack,
                "message_retention_duration": duration(min(RETENTION_MAX, max(RETENTION_MIN, queue.retention))),
                "retry_policy": {"minimum_backoff": "10s", "maximum_backoff": "600s"},
                "enable_message_ordering": queue.fifo,
                "labels": self.labels, "queue": qname,
            }
            if queue.retention > RETENTION_MAX:
                self.notes.append(f"queue '{qname}': retention clamped to 7 days (Pub/Sub maximum)")
            if queue.dead_letter:
                attempts = clamp_attempts(queue.max_receives)
                if attempts != queue.max_receives:
                    self.notes.append(f"queue '{qname}': max_receives {queue.max_receives} clamped to {attempts} "
                                      "(Pub/Sub max delivery attempts are 5..100)")
                base["dead_letter_policy"] = {"dead_letter_topic": n.topic_path(n.queue_topic(queue.dead_letter)),
                                              "max_delivery_attempts": attempts}
                self.dead_letter_agent(qname, n.topic_path(n.queue_topic(queue.dead_letter)),
                                       [n.subscription_path(n.subscription(qname, t)) for t in
                                        (None, *queue.subscribed_topics)])
            if consumer is not None:
                unit = next(u for u in self.units[consumer.name] if u.kind == "queue")
                base["push_config"] = {"push_endpoint": n.function_url(unit.name),
                                       "oidc_token": {"service_account_email": self.invoker_email}}
                base["consumer"] = consumer.name
            sources = [(None, topic)] + [(t, n.topic(t)) for t in queue.subscribed_topics]
            for source_topic, topic_name in sources:
                sub = n.subscription(qname, source_topic)
                subscriptions[sub] = {**base, "name": sub, "path": n.subscription_path(sub),
                                      "topic": n.topic_path(topic_name)}
        return dict(sorted(topics.items())), dict(sorted(subscriptions.items()))

    def dead_letter_agent(self, queue: str, dlq_topic: str, subscriptions: list[str]) -> None:
        """Pub/Sub forwards dead letters as its service agent: publisher on the DLQ, subscriber on the source."""
        number = self.settings.get("project_number")
        if not number:
            self.notes.append(f"queue '{queue}': set providers.gcp.project_number so the Pub/Sub service agent is "
                              "granted dead-letter forwarding (publisher on the DLQ topic, subscriber on the "
                              "subscription)")
            return
        agent = f"serviceAccount:service-{number}@gcp-sa-pubsub.iam.gserviceaccount.com"
        self.agent_bindings.append({"resource_type": "topic", "resource": dlq_topic, "role": "roles/pubsub.publisher",
                                    "member": agent, "reason": "dead-letter forwarding"})
        for sub in subscriptions:
            self.agent_bindings.append({"resource_type": "subscription", "resource": sub,
                                        "role": "roles/pubsub.subscriber", "member": agent,
                                        "reason": "dead-letter forwarding"})

    # ------------------------------------------------------------ Cloud Scheduler
    def schedules(self, platform: list[dict[str, Any]]) -> dict[str, Any]:
        n = self.names
        jobs: dict[str, Any] = {}
        topics_extra: dict[str, Any] = {}
        for fname, fn in self.app.functions.items():
            schedules = [t for t in fn.triggers if isinstance(t, ir.ScheduleTrigger)]
            for index, trigger in enumerate(schedules):
                cron, note = schedule_cron(trigger)
                if note:
                    self.notes.append(f"function '{fname}': {note}")
                topic = n.schedule_topic(fname, index)
                topics_extra[topic] = {"name": topic, "path": n.topic_path(topic), "kind": "schedule",
                                       "neutral": fname, "labels": self.labels}
                name = n.job(fname, index)
                jobs[name] = {"name": name, "path": n.job_path(name), "schedule": cron,
                              "time_zone": trigger.timezone, "description": _job_description(self.app, fname),
                              "pubsub_target": {"topic_name": n.topic_path(topic),
                                                "data": _b64(trigger.data),
                                                "attributes": {"slsn-schedule": fname}}}
        for wname, wf in self.app.workflows.items():
            schedules = [t for t in wf.triggers if isinstance(t, ir.ScheduleTrigger)]
            for index, trigger in enumerate(schedules):
                cron, note = schedule_cron(trigger)
                if note:
                    self.notes.append(f"workflow '{wname}': {note}")
                name = n.job(f"wf-{wname}", index)
                path = n.workflow_path(n.workflow(wname))
                argument = {"argument": json.dumps(trigger.data if trigger.data is not None else {},
                                                   sort_keys=True)}
                jobs[name] = {"name": name, "path": n.job_path(name), "schedule": cron,
                              "time_zone": trigger.timezone, "description": _job_description(self.app, wname),
                              "http_target": {"uri": f"https://workflowexecutions.googleapis.com/v1/{path}/executions",
                                              "http_method": "POST",
                                              "body": base64.b64encode(json.dumps(argument, sort_keys=True)
                                                                       .encode()).decode("ascii"),
                                              "oauth_token": {"service_account_email": self.invoker_email}}}
                platform.append({"resource_type": "workflow", "resource": path, "role": "roles/workflows.invoker",
                                 "member": f"serviceAccount:{self.invoker_email}", "reason": "schedule"})
        self._schedule_topics = topics_extra
        return dict(sorted(jobs.items()))


def _bucket_filter_notes(fn: ir.Function, units: list[Unit]) -> list[str]:
    """Eventarc cannot filter bucket events by object name: say so when a bucket trigger asks for it."""
    if any(u.kind == "bucket" for u in units) and any(
            isinstance(t, ir.BucketTrigger) and (t.prefix or t.suffix) for t in fn.triggers):
        return [f"function '{fn.name}': Eventarc filters bucket events by bucket only; the adapter applies "
                "prefix/suffix"]
    return []


def _job_description(app: ir.App, owner: str) -> str:
    """Scheduler jobs take no labels: the description carries the owner marker the planner lists by."""
    return f"sls-neutral {app.service}/{app.stage}: {owner}"


def _b64(data: Any) -> str:
    payload = _SORTED_JSON(data if data is not None else {})
    return base64.b64encode(payload.encode("utf-8")).decode("ascii")


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = {_SORTED_JSON(r): r for r in rows}
    return [seen[k] for k in sorted(seen)]


def build_deployment(app: ir.App, settings: Mapping[str, Any],
                     workflow_yaml: Mapping[str, str] | None = None) -> dict[str, Any]:
    builder = _Builder(app, settings)
    out = builder.build(workflow_yaml or {})
    topics = dict(out["topics"])
    topics.update(builder._schedule_topics)
    out["topics"] = dict(sorted(topics.items()))
    out["notes"] = sorted(set(builder.notes))
    return out


def environment_bytes(app: ir.App, settings: Mapping[str, Any]) -> dict[str, int]:
    """Function -> the size of its runtime environment as deployed (names and values, UTF-8), for the limit check.

    Its units differ only in ``SLSN_TIMEOUT_MS``; the first unit stands for all.
    """
    builder = _Builder(app, settings)
    builder.units = {fname: builder.function_units(fn) for fname, fn in app.functions.items()}
    sizes = {}
    for fname, fn in app.functions.items():
        env = builder.shared_environment(fn, builder.units[fname][0])
        sizes[fname] = len("".join(chain.from_iterable(env.items())).encode("utf-8"))  # the sum of each's bytes
    return sizes


def units_of(app: ir.App, settings: Mapping[str, Any]) -> dict[str, list[Unit]]:
    builder = _Builder(app, settings)
    return {fname: builder.function_units(fn) for fname, fn in app.functions.items()}
