"""A data-only plan from get/list calls: what to create, update (with field masks), replace or delete.

The planner reads deployed state with the same clients the executor uses (list functions, topics,
subscriptions, jobs and workflows of the region/project; get buckets and service accounts; get IAM
policies) and compares it with ``deployment.json``. Resources labelled with this service and stage
(Scheduler jobs: described) that are no longer declared are deleted; buckets and service accounts are
retained (data and identities outlive a deploy). Nothing here mutates anything.
"""

from __future__ import annotations

import json
from typing import Any

from sls_neutral.core.plan import Action, Plan
from sls_neutral.providers.gcp.deploy import resources as res
from sls_neutral.providers.gcp.deploy.clients import Clients
from sls_neutral.providers.gcp.emit import DEPLOYMENT
from sls_neutral.providers.gcp.names import SERVICE_LABEL, STAGE_LABEL, label_value

MANAGED_ROLES_PREFIXES = ("roles/storage.object", "roles/pubsub.", "roles/secretmanager.", "roles/workflows.",
                          "roles/run.invoker", "roles/eventarc.eventReceiver")


def load_deployment(artifacts) -> dict[str, Any]:
    artifact = artifacts.get(DEPLOYMENT)
    return json.loads(artifact.data)


def ours(labels: dict[str, str] | None, deployment: dict[str, Any]) -> bool:
    labels = labels or {}
    return labels.get(SERVICE_LABEL) == label_value(deployment["service"]) and \
        labels.get(STAGE_LABEL) == label_value(deployment["stage"])


def job_marker(deployment: dict[str, Any]) -> str:
    return f"sls-neutral {deployment['service']}/{deployment['stage']}:"


def read_state(deployment: dict[str, Any], clients: Clients) -> dict[str, Any]:
    """Deployed state (as plain dicts) of everything this deployment may touch."""
    from google.api_core import exceptions

    location = f"projects/{deployment['project']}/locations/{deployment['region']}"
    project = f"projects/{deployment['project']}"
    state: dict[str, Any] = {}
    state["functions"] = {f.name: res.as_dict(f) for f in clients.functions.list_functions(parent=location)}
    state["topics"] = {t.name: res.as_dict(t) for t in clients.publisher.list_topics(project=project)}
    state["subscriptions"] = {s.name: res.as_dict(s) for s in clients.subscriber.list_subscriptions(project=project)}
    state["jobs"] = {j.name: res.as_dict(j) for j in clients.scheduler.list_jobs(parent=location)}
    state["workflows"] = {w.name: res.as_dict(w) for w in clients.workflows.list_workflows(parent=location)}
    buckets = {}
    for name in deployment["buckets"]:
        try:
            bucket = clients.storage.get_bucket(name)
            buckets[name] = {"labels": dict(bucket.labels or {}), "versioning": bool(bucket.versioning_enabled)}
        except exceptions.NotFound:
            pass
    state["buckets"] = buckets
    state["accounts"] = {email: True for email in (a["email"] for a in deployment["service_accounts"].values())
                         if clients.get_service_account(email) is not None}
    return state


def _desired_bindings(deployment: dict[str, Any]) -> dict[tuple[str, str], dict[str, set[str]]]:
    grouped: dict[tuple[str, str], dict[str, set[str]]] = {}
    for row in deployment["iam_bindings"] + deployment["platform_bindings"]:
        grouped.setdefault((row["resource_type"], row["resource"]), {}).setdefault(row["role"], set()).add(
            row["member"])
    return grouped


def _our_members(deployment: dict[str, Any]) -> set[str]:
    members = {f"serviceAccount:{a['email']}" for a in deployment["service_accounts"].values()}
    return members


def plan_iam(deployment: dict[str, Any], clients: Clients, created: set[tuple[str, str]]) -> list[Action]:
    """Per resource: the policy with our bindings added and our stale ones removed (others' left alone)."""
    actions = []
    mine = _our_members(deployment)
    for (rtype, resource), roles in sorted(_desired_bindings(deployment).items()):
        if (rtype, resource) in created:
            current: dict[str, Any] = {"bindings": []}
        else:
            current = clients.get_policy(rtype, resource)
        bindings = {b["role"]: set(b.get("members") or []) for b in current.get("bindings") or []}
        new = {role: set(members) for role, members in bindings.items()}
        for role, members in roles.items():
            new.setdefault(role, set()).update(members)
        for role in list(new):
            if role.startswith(MANAGED_ROLES_PREFIXES):
                stale = {m for m in new[role] if (m in mine or m == "allUsers") and m not in roles.get(role, set())}
                if rtype == "project":
                    stale = {m for m in stale if m in mine}
                new[role] -= stale
            if not new[role]:
                del new[role]
        if new != bindings:
            added = sorted(f"{r} {m}" for r, ms in new.items() for m in ms - bindings.get(r, set()))
            removed = sorted(f"{r} {m}" for r, ms in bindings.items() for m in ms - new.get(r, set()))
            policy = {k: v for k, v in current.items() if k not in ("bindings",)}
            policy["bindings"] = [{"role": r, "members": sorted(ms)} for r, ms in sorted(new.items())]
            detail = "; ".join(([f"+{a}" for a in added] + [f"-{r}" for r in removed])[:4])
            actions.append(Action("update", f"iam.{rtype}", resource, detail,
                                  params={"resource_type": rtype, "policy": policy}))
        else:
            actions.append(Action("noop", f"iam.{rtype}", resource))
    return actions


def build_plan(deployment: dict[str, Any], artifacts, clients: Clients) -> Plan:
    state = read_state(deployment, clients)
    plan = Plan("gcp", deployment["service"], deployment["stage"], notes=list(deployment.get("notes") or []))
    created: set[tuple[str, str]] = set()
    add = plan.actions.append

    for key, account in deployment["service_accounts"].items():
        if account["email"] in state["accounts"]:
            add(Action("noop", "iam.serviceAccount", account["email"]))
        else:
            add(Action("create", "iam.serviceAccount", account["email"], params={"key": key}))
    for name, bucket in deployment["buckets"].items():
        have = state["buckets"].get(name)
        if have is None:
            created.add(("bucket", name))
            add(Action("create", "storage.bucket", name, params={"name": name}))
        elif have["labels"] != bucket["labels"] or have["versioning"] != bucket["versioning"]:
            add(Action("update", "storage.bucket", name, "labels/versioning", params={"name": name}))
        else:
            add(Action("noop", "storage.bucket", name))
    for name, topic in deployment["topics"].items():
        have = state["topics"].get(topic["path"])
        if have is None:
            created.add(("topic", topic["path"]))
            add(Action("create", "pubsub.topic", name, params={"name": name}))
        else:
            paths = res.diff_topic(topic, have)
            add(Action("update" if paths else "noop", "pubsub.topic", name, ",".join(paths or []),
                       params={"name": name, "paths": paths}))
    for name, sub in deployment["subscriptions"].items():
        have = state["subscriptions"].get(sub["path"])
        paths = None if have is None else res.diff_subscription(sub, have)
        if have is None:
            add(Action("create", "pubsub.subscription", name, params={"name": name}))
        elif paths is None:
            add(Action("replace", "pubsub.subscription", name, "topic or ordering changed", params={"name": name}))
        else:
            add(Action("update" if paths else "noop", "pubsub.subscription", name, ",".join(paths),
                       params={"name": name, "paths": paths}))
    for name, spec in deployment["functions"].items():
        have = state["functions"].get(spec["path"])
        if have is None:
            created.add(("function", spec["path"]))
            add(Action("create", "functions.function", name, spec["kind"], params={"name": name}))
            continue
        paths = res.diff_function(spec, have)
        if paths is None:
            add(Action("replace", "functions.function", name, "trigger changed", params={"name": name}))
        elif paths:
            detail = "code" if "build_config.source" in paths else ",".join(paths[:4])
            add(Action("update", "functions.function", name, detail, params={"name": name, "paths": paths}))
        else:
            add(Action("noop", "functions.function", name))
    for name, spec in deployment["workflows"].items():
        source = artifacts.get(spec["source"]).data.decode("utf-8")
        have = state["workflows"].get(spec["path"])
        if have is None:
            created.add(("workflow", spec["path"]))
            add(Action("create", "workflows.workflow", name, params={"name": name}))
            continue
        paths = res.diff_workflow(spec, source, deployment["project"], have)
        add(Action("update" if paths else "noop", "workflows.workflow", name, ",".join(paths),
                   params={"name": name, "paths": paths}))
    for name, job in deployment["scheduler_jobs"].items():
        have = state["jobs"].get(job["path"])
        if have is None:
            add(Action("create", "scheduler.job", name, job["schedule"], params={"name": name}))
            continue
        paths = res.diff_job(job, have)
        add(Action("update" if paths else "noop", "scheduler.job", name, ",".join(paths),
                   params={"name": name, "paths": paths}))
    from sls_neutral.providers.gcp.deploy import observability

    observability.plan(deployment, artifacts, clients, add, plan.notes)
    for action in plan_iam(deployment, clients, created):
        add(action)

    # ------------------------------------------------------------ no longer declared
    declared_jobs = {j["path"] for j in deployment["scheduler_jobs"].values()}
    for path, job in sorted(state["jobs"].items()):
        if (job.get("description") or "").startswith(job_marker(deployment)) and path not in declared_jobs:
            add(Action("delete", "scheduler.job", path.rsplit("/", 1)[-1], params={"path": path}))
    declared = {s["path"] for s in deployment["subscriptions"].values()}
    for path, sub in sorted(state["subscriptions"].items()):
        if ours(sub.get("labels"), deployment) and path not in declared:
            add(Action("delete", "pubsub.subscription", path.rsplit("/", 1)[-1], params={"path": path}))
    declared = {f["path"] for f in deployment["functions"].values()}
    for path, fn in sorted(state["functions"].items()):
        if ours(fn.get("labels"), deployment) and path not in declared:
            add(Action("delete", "functions.function", path.rsplit("/", 1)[-1], params={"path": path}))
    declared = {w["path"] for w in deployment["workflows"].values()}
    for path, wf in sorted(state["workflows"].items()):
        if ours(wf.get("labels"), deployment) and path not in declared:
            add(Action("delete", "workflows.workflow", path.rsplit("/", 1)[-1], params={"path": path}))
    declared = {t["path"] for t in deployment["topics"].values()}
    for path, topic in sorted(state["topics"].items()):
        if ours(topic.get("labels"), deployment) and path not in declared:
            add(Action("delete", "pubsub.topic", path.rsplit("/", 1)[-1], params={"path": path}))
    return plan


def make_plan(app, artifacts, ctx) -> Plan:
    from sls_neutral.core.errors import DeployError

    if not app.settings("gcp").get("project"):
        raise DeployError("providers.gcp.project is not set", hint="set providers.gcp.project to the project id")
    deployment = load_deployment(artifacts)
    clients = Clients(deployment["project"], deployment["region"], ctx.endpoint_url)
    ctx.say(f"reading deployed state of {deployment['service']} ({deployment['stage']}) in "
            f"{deployment['project']}/{deployment['region']}")
    plan = build_plan(deployment, artifacts, clients)
    plan.data["deployment"] = deployment
    return plan
