"""The Azure model: what the IR becomes on Azure, as plain data (Chalice's models.py idea).

One function app hosts the whole stage. Every neutral trigger becomes one Azure
function (the v2 programming model registers one decorated Python function per
trigger). Functions with the same grants form a *group* that runs with its own
user-assigned managed identity; role assignments give each identity exactly
the data-plane roles its scopes need, scoped to the one queue, container,
topic or secret they name. The emitter (function_app.py, host.json), the ARM
template and the deployer all read this model; none of them reads the IR
directly for naming decisions, so the three always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from sls_neutral.core import ir
from sls_neutral.core.naming import (AZURE_CONTAINER, AZURE_FUNCTION_APP, AZURE_QUEUE, AZURE_STORAGE_ACCOUNT,
                                     NameRules, resource_name, stable_hash)
from sls_neutral.providers.azure.cron import cron_to_ncrontab, rate_to_ncrontab, zoned_cron_to_ncrontab

AZURE_KEYVAULT = NameRules(24, r"a-zA-Z0-9-", must_start_with_letter=True, hash_length=6)
AZURE_SERVICEBUS = NameRules(50, r"a-zA-Z0-9-", must_start_with_letter=True, hash_length=6)
AZURE_IDENTITY = NameRules(128, r"a-zA-Z0-9-_")

STEP_ACTIVITY = "slsn-step"  # the one activity that runs any workflow step function
START_QUEUE_PREFIX = "slsn-start-"  # ctx.workflow(n).start() enqueues here; a durable client starts it
NOT_IDENT_RE = re.compile(r"[^0-9a-zA-Z_]")  # compiled once: the names below are made per function and trigger
NOT_LABEL_RE = re.compile(r"[^0-9A-Z_]")
SLUG_GAP_RE = re.compile(r"[^a-z0-9]+")
NOT_SECRET_RE = re.compile(r"[^0-9a-zA-Z-]")


def py_ident(text: str) -> str:
    """A Python identifier from a neutral name ("on-upload" -> "on_upload")."""
    ident = NOT_IDENT_RE.sub("_", text)
    return ident if ident[:1].isalpha() else f"f_{ident}"


def env_label(text: str) -> str:
    """An app-setting-safe label ("on-upload" -> "ON_UPLOAD")."""
    return NOT_LABEL_RE.sub("_", text.upper())


def azure_route(path: str) -> str:
    """"/photos/{id}" -> "photos/{id}"; a greedy "{rest+}" -> "{*rest}"."""
    segments = []
    for seg in path.strip("/").split("/"):
        if seg.startswith("{") and seg.endswith("+}"):
            seg = "{*" + seg[1:-2] + "}"
        segments.append(seg)
    return "/".join(segments)


def route_slug(path: str) -> str:
    slug = SLUG_GAP_RE.sub("-", path.lower()).strip("-")
    return slug or "root"


# ---------------------------------------------------------------- the pieces
@dataclass(frozen=True)
class AzFunction:
    """One Azure function (one trigger)."""

    name: str  # the Azure function name (unique in the app)
    py_name: str  # the Python def name in function_app.py
    kind: str  # http | queue | sb_queue | sb_topic | timer | blob | eventgrid | orchestrator | activity
    #            | http_starter | timer_starter | queue_starter
    target: str  # the neutral function, or the workflow for starters/orchestrators ("" for the activity)
    bindings: Mapping[str, Any]  # decorator arguments, as render_app writes them into function_app.py
    group: str = ""  # the identity group's label (empty for durable plumbing)


@dataclass(frozen=True)
class RoleAssignment:
    group: str  # identity group label, or "host"
    role: str  # a key of roles.ROLES
    scope_kind: str  # queue | sb_queue | sb_topic | sb_subscription | container | secret | storage | keyvault
    scope_name: str  # the physical name (for sb_subscription: "topic/subscription")


@dataclass(frozen=True)
class Group:
    """Functions sharing one identity (the same grants)."""

    label: str  # APP-setting safe, e.g. "API"
    identity: str  # the user-assigned identity's resource name
    functions: tuple[str, ...]
    grants: tuple[ir.Grant, ...]


@dataclass(frozen=True)
class AzQueue:
    name: str  # neutral name
    physical: str  # queue name in the storage account / Service Bus namespace ("x-poison" for a Storage DLQ)
    service_bus: bool
    fifo: bool
    dead_letter_for: str | None
    max_receives: int | None
    source: Any = None

    @property
    def resource_id_hint(self) -> str:
        return ("sb" if self.service_bus else "storage") + ":" + self.physical


@dataclass
class AzureModel:
    app: ir.App
    settings: Mapping[str, Any]
    plan: str
    names: dict[str, str]
    queues: dict[str, AzQueue]
    functions: list[AzFunction]
    groups: dict[str, Group]  # label -> group
    function_group: dict[str, str]  # neutral function -> group label
    roles: list[RoleAssignment]
    subscriptions: list[tuple[str, str, str]]  # (topic, subscription, forward_to queue or "")
    event_subscriptions: list[dict[str, Any]]  # Event Grid subscriptions for blob functions
    uses_service_bus: bool
    uses_keyvault: bool
    uses_durable: bool
    notes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ runtime view
    def resources_for(self, function: ir.Function) -> dict[str, str]:
        """``"kind:name" -> physical name`` for every resource the function's grants name (SLSN_RESOURCES)."""
        out: dict[str, str] = {}
        for grant in function.grants:
            for name in self._names_of(grant.kind, grant.name):
                key = f"{grant.kind}:{name}"
                if grant.kind == "queue":
                    q = self.queues[name]
                    out[key] = ("servicebus:" if q.service_bus else "storage:") + q.physical
                elif grant.kind == "bucket":
                    out[key] = container_name(name)
                elif grant.kind == "topic":
                    out[key] = name
                elif grant.kind == "secret":
                    out[key] = secret_name(name)
                elif grant.kind == "workflow":
                    out[key] = START_QUEUE_PREFIX + name
                elif grant.kind == "function":
                    out[key] = name
        return dict(sorted(out.items()))

    def _names_of(self, kind: str, name: str) -> list[str]:
        pool = {"queue": self.app.queues, "bucket": self.app.buckets, "topic": self.app.topics,
                "secret": self.app.secrets, "workflow": self.app.workflows, "function": self.app.functions}[kind]
        return sorted(pool) if name == "*" else [name]


def container_name(bucket: str) -> str:
    return resource_name(bucket, rules=AZURE_CONTAINER)


def secret_name(secret: str) -> str:
    """Key Vault secret names allow letters, digits and dashes (our names already fit)."""
    return NOT_SECRET_RE.sub("-", secret)


def storage_queue_name(queue: str) -> str:
    return resource_name(queue, rules=AZURE_QUEUE)


# ---------------------------------------------------------------- names
def physical_names(app: ir.App, settings: Mapping[str, Any]) -> dict[str, str]:
    """Every account-level name; globally unique ones carry a stable hash of where they live."""
    where = "/".join([str(settings.get("subscription_id") or ""), str(settings.get("resource_group") or ""),
                      app.service, app.stage])
    h = stable_hash(where, 6)
    base = f"{app.service}-{app.stage}"
    data = settings.get("storage_account") or resource_name(app.service, app.stage, h, rules=AZURE_STORAGE_ACCOUNT)
    host = resource_name(app.service, app.stage, "rt", h, rules=AZURE_STORAGE_ACCOUNT)
    return {
        "function_app": resource_name("func", base, h, rules=AZURE_FUNCTION_APP),
        "plan": resource_name("plan", base, rules=AZURE_FUNCTION_APP),
        "insights": resource_name("appi", base, rules=AZURE_FUNCTION_APP),
        "storage": data,
        "host_storage": host,
        "servicebus": resource_name("sb", base, h, rules=AZURE_SERVICEBUS),
        "keyvault": resource_name("kv", base, h, rules=AZURE_KEYVAULT),
        "host_identity": resource_name("id", base, "host", rules=AZURE_IDENTITY),
        "deployment_container": "app-package",
        "eventgrid_topic": resource_name("evgt", base, rules=AZURE_FUNCTION_APP),
    }


# ---------------------------------------------------------------- build
def schedule_expression(trig: ir.ScheduleTrigger) -> tuple[str, str | None]:
    """(NCRONTAB, time zone the adapter must filter in, or None)."""
    if trig.cron and trig.timezone not in ("UTC", "Etc/UTC"):
        return zoned_cron_to_ncrontab(trig.cron, trig.timezone), trig.timezone
    if trig.cron:
        return cron_to_ncrontab(trig.cron), None
    return rate_to_ncrontab(trig.rate or 60).expression, None


_LAST: list[tuple[ir.App, dict[str, Any], AzureModel]] = []  # the last model built, for the next call


def build_model(app: ir.App, settings: Mapping[str, Any] | None = None) -> AzureModel:
    """The Azure model of ``app``; read-only (the check, the emitter, the template and the deployer share it).

    ``package`` asks for it twice, in the check (its names) and in the emit, with the same app and settings:
    the last model is kept (with its app, so that app's id is not reused) and returned again for them.
    """
    wanted = dict(settings if settings is not None else app.settings("azure"))
    if _LAST and _LAST[0][0] is app and _LAST[0][1] == wanted:
        return _LAST[0][2]
    model = _build_model(app, dict(wanted))
    _LAST[:] = [(app, wanted, model)]
    return model


def _build_model(app: ir.App, settings: dict[str, Any]) -> AzureModel:
    settings["resource_group"] = settings.get("resource_group") or f"rg-{app.service}-{app.stage}"
    settings.setdefault("location", "eastus")
    names = physical_names(app, settings)
    queues = _queues(app)
    groups, function_group = _groups(app, names)
    functions: list[AzFunction] = []
    roles: list[RoleAssignment] = []
    subscriptions: list[tuple[str, str, str]] = []
    event_subscriptions: list[dict[str, Any]] = []
    taken: set[str] = set()

    def unique(name: str) -> str:
        candidate, n = name, 2
        while candidate in taken:
            candidate, n = f"{name}-{n}", n + 1
        taken.add(candidate)
        return candidate

    for fname, fn in app.functions.items():
        group = function_group[fname]
        conn_storage = f"SLSN_STORAGE_{group}"
        conn_sb = f"SLSN_SERVICEBUS_{group}"
        for index, trig in enumerate(fn.triggers):
            if isinstance(trig, ir.HttpTrigger):
                name = unique(f"{fname}-{trig.method.lower()}-{route_slug(trig.path)}")
                methods = None if trig.method == "ANY" else [trig.method]
                functions.append(AzFunction(name, py_ident(name), "http", fname,
                                            {"route": azure_route(trig.path), "methods": methods,
                                             "path": trig.path, "route_key": f"{trig.method} {trig.path}"},
                                            group))
            elif isinstance(trig, ir.QueueTrigger):
                q = queues[trig.queue]
                name = unique(fname if len(fn.triggers) == 1 else f"{fname}-queue-{trig.queue}")
                if q.service_bus:
                    functions.append(AzFunction(name, py_ident(name), "sb_queue", fname,
                                                {"queue_name": q.physical, "connection": conn_sb,
                                                 "is_sessions_enabled": q.fifo, "queue": trig.queue}, group))
                else:
                    functions.append(AzFunction(name, py_ident(name), "queue", fname,
                                                {"queue_name": q.physical, "connection": conn_storage,
                                                 "queue": trig.queue}, group))
            elif isinstance(trig, ir.TopicTrigger):
                name = unique(fname if len(fn.triggers) == 1 else f"{fname}-topic-{trig.topic}")
                subscription = fname
                subscriptions.append((trig.topic, subscription, ""))
                functions.append(AzFunction(name, py_ident(name), "sb_topic", fname,
                                            {"topic_name": trig.topic, "subscription_name": subscription,
                                             "connection": conn_sb}, group))
                roles.append(RoleAssignment(group, "Azure Service Bus Data Receiver", "sb_subscription",
                                            f"{trig.topic}/{subscription}"))
            elif isinstance(trig, ir.ScheduleTrigger):
                name = unique(fname if len(fn.triggers) == 1 else f"{fname}-schedule-{index}")
                expr, zone = schedule_expression(trig)
                functions.append(AzFunction(name, py_ident(name), "timer", fname,
                                            {"schedule": expr, "data": trig.data, "cron": trig.cron if zone else None,
                                             "timezone": zone}, group))
            elif isinstance(trig, ir.BucketTrigger):
                container = container_name(trig.bucket)
                for event in trig.events:
                    name = unique(fname if len(fn.triggers) == 1 and len(trig.events) == 1
                                  else f"{fname}-{event}-{trig.bucket}")
                    if event == "created":
                        functions.append(AzFunction(name, py_ident(name), "blob", fname, {
                            "path": f"{container}/{trig.prefix}{{name}}{trig.suffix}", "connection": conn_storage,
                            "bucket": trig.bucket}, group))
                        roles.append(RoleAssignment(group, "Storage Blob Data Reader", "container", container))
                        roles.append(RoleAssignment(group, "Storage Queue Data Message Sender", "queue",
                                                    "webjobs-blobtrigger-poison"))
                    else:
                        functions.append(AzFunction(name, py_ident(name), "eventgrid", fname,
                                                    {"bucket": trig.bucket}, group))
                    event_subscriptions.append({
                        "function": name, "kind": "blob" if event == "created" else "eventgrid",
                        "event_type": "Microsoft.Storage.BlobCreated" if event == "created"
                        else "Microsoft.Storage.BlobDeleted",
                        "subject_begins_with": f"/blobServices/default/containers/{container}/blobs/{trig.prefix}",
                        "subject_ends_with": trig.suffix})
        roles.extend(_grant_roles(app, fn, group, queues))

    for wname, wf in app.workflows.items():
        functions.append(AzFunction(wname, py_ident(f"wf_{wname}"), "orchestrator", wname, {}, ""))
        for index, trig in enumerate(wf.triggers):
            if isinstance(trig, ir.HttpTrigger):
                name = unique(f"{wname}-start-{trig.method.lower()}-{route_slug(trig.path)}")
                methods = None if trig.method == "ANY" else [trig.method]
                functions.append(AzFunction(name, py_ident(name), "http_starter", wname,
                                            {"route": azure_route(trig.path), "methods": methods}, ""))
            elif isinstance(trig, ir.ScheduleTrigger):
                name = unique(f"{wname}-start-schedule-{index}")
                expr, zone = schedule_expression(trig)
                functions.append(AzFunction(name, py_ident(name), "timer_starter", wname,
                                            {"schedule": expr, "data": trig.data, "cron": trig.cron if zone else None,
                                             "timezone": zone}, ""))
        name = unique(f"{wname}-start-queue")
        functions.append(AzFunction(name, py_ident(name), "queue_starter", wname,
                                    {"queue_name": START_QUEUE_PREFIX + wname, "connection": "AzureWebJobsStorage"},
                                    ""))
    if app.workflows:
        functions.append(AzFunction(STEP_ACTIVITY, "slsn_step", "activity", "", {}, ""))

    for tname, topic in app.topics.items():
        for qname in topic.queues:
            subscriptions.append((tname, f"to-{qname}", queues[qname].physical))

    uses_sb = any(q.service_bus for q in queues.values()) or bool(app.topics)
    uses_kv = bool(app.secrets)
    return AzureModel(app=app, settings=settings, plan=str(settings.get("plan") or "flex"), names=names,
                      queues=queues, functions=functions, groups=groups, function_group=function_group,
                      roles=_dedupe(roles), subscriptions=sorted(set(subscriptions)),
                      event_subscriptions=event_subscriptions, uses_service_bus=uses_sb, uses_keyvault=uses_kv,
                      uses_durable=bool(app.workflows))


def _queues(app: ir.App) -> dict[str, AzQueue]:
    """Storage Queues unless FIFO or fed by a topic (then Service Bus, which can order and forward)."""
    out: dict[str, AzQueue] = {}
    for name, q in app.queues.items():
        main = app.queues[q.dead_letter_for] if q.dead_letter_for else q
        service_bus = main.fifo or bool(main.subscribed_topics)
        if q.dead_letter_for:
            base = storage_queue_name(q.dead_letter_for) if not service_bus else q.dead_letter_for
            physical = f"{q.dead_letter_for}/$DeadLetterQueue" if service_bus else f"{base}-poison"
        else:
            physical = name if service_bus else storage_queue_name(name)
        out[name] = AzQueue(name, physical, service_bus, main.fifo, q.dead_letter_for, main.max_receives, q.source)
    return out


def _groups(app: ir.App, names: Mapping[str, str]) -> tuple[dict[str, Group], dict[str, str]]:
    """Functions with identical grants share one identity; the label comes from the first function's name."""
    by_grants: dict[tuple[str, ...], list[str]] = {}
    for fname, fn in sorted(app.functions.items()):
        key = tuple(sorted(g.scope for g in fn.grants))
        by_grants.setdefault(key, []).append(fname)
    groups: dict[str, Group] = {}
    function_group: dict[str, str] = {}
    for key, members in sorted(by_grants.items(), key=lambda kv: kv[1][0]):
        fn = app.functions[members[0]]
        label = env_label(members[0]) if fn.grants else "DEFAULT"
        if label == "DEFAULT" and fn.grants:
            label = "DEFAULT_"
        identity = resource_name("id", app.service, app.stage, label.lower().replace("_", "-"), rules=AZURE_IDENTITY)
        groups[label] = Group(label, identity, tuple(members), tuple(sorted(set(fn.grants))))
        for m in members:
            function_group[m] = label
    return groups, function_group


def _grant_roles(app: ir.App, fn: ir.Function, group: str, queues: Mapping[str, AzQueue]) -> list[RoleAssignment]:
    """Least-privilege data-plane roles for one function's grants, each scoped to one entity."""
    out: list[RoleAssignment] = []

    def names(kind: str, name: str, pool) -> list[str]:
        return sorted(pool) if name == "*" else [name]

    for g in fn.grants:
        if g.kind == "queue":
            for qname in names("queue", g.name, app.queues):
                q = queues[qname]
                actions = ("send", "consume") if g.action == "*" else (g.action,)
                for action in actions:
                    if q.service_bus:
                        entity = q.dead_letter_for or qname
                        role = "Azure Service Bus Data Sender" if action == "send" else "Azure Service Bus Data Receiver"
                        out.append(RoleAssignment(group, role, "sb_queue", entity))
                    elif action == "send":
                        out.append(RoleAssignment(group, "Storage Queue Data Message Sender", "queue", q.physical))
                    else:
                        out.append(RoleAssignment(group, "Storage Queue Data Reader", "queue", q.physical))
                        out.append(RoleAssignment(group, "Storage Queue Data Message Processor", "queue",
                                                  q.physical))
        elif g.kind == "bucket":
            for bname in names("bucket", g.name, app.buckets):
                container = container_name(bname)
                role = {"read": "Storage Blob Data Reader", "list": "Storage Blob Data Reader"}.get(
                    g.action, "Storage Blob Data Contributor")
                out.append(RoleAssignment(group, role, "container", container))
        elif g.kind == "topic":
            for tname in names("topic", g.name, app.topics):
                out.append(RoleAssignment(group, "Azure Service Bus Data Sender", "sb_topic", tname))
        elif g.kind == "secret":
            for sname in names("secret", g.name, app.secrets):
                out.append(RoleAssignment(group, "Key Vault Secrets User", "secret", secret_name(sname)))
        elif g.kind == "workflow":
            for wname in names("workflow", g.name, app.workflows):
                out.append(RoleAssignment(group, "Storage Queue Data Message Sender", "host_queue",
                                          START_QUEUE_PREFIX + wname))
    return out


def _dedupe(roles: list[RoleAssignment]) -> list[RoleAssignment]:
    """One assignment per (identity, role, scope); a Reader is dropped where a Contributor already covers it."""
    seen: dict[tuple, RoleAssignment] = {}
    for r in roles:
        seen.setdefault((r.group, r.role, r.scope_kind, r.scope_name), r)
    covered = {(g, k, n) for (g, role, k, n) in seen if role == "Storage Blob Data Contributor"}
    return [seen[k] for k in sorted(seen)
            if not (k[1] == "Storage Blob Data Reader" and (k[0], k[2], k[3]) in covered)]
