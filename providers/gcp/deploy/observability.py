"""Plan and apply the observability plugin's GCP resources: alert policies, the log bucket and its sink.

All three are REST-only here (no Monitoring or Logging client library is a dependency): the calls go through
``Clients`` (google-auth's AuthorizedSession, or anonymous to ``--endpoint-url``).

- Alert policies have ids that Cloud Monitoring assigns: the planner lists the project's policies, keeps
  those labelled with this service and stage, and matches them to the declared ones by display name. The
  ``slsn-spec`` label (a digest of the body) decides between ``noop`` and a ``patch`` with an update mask
  of the fields sls-neutral manages (notification channels added by hand are kept); undeclared ones (a
  removed function or alarm kind, the plugin disabled) and duplicates are deleted.
- The log bucket is created, patched (``retentionDays``, ``description``) or undeleted, never deleted: like
  storage buckets it holds data, and a deleted bucket's id stays reserved for 7 days.
- The sink is created, patched (``destination``, ``filter``, ``description``) or, when no longer declared,
  deleted if its description carries this service's marker.

When a service declares none of them, their state is read anyway (to clean up after the plugin is disabled)
but a 403 (the API not enabled, or no permission) is only a plan note.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from sls_neutral.core.plan import Action
from sls_neutral.providers.gcp.names import SERVICE_LABEL, STAGE_LABEL, Names, label_value
from sls_neutral.providers.gcp.observability import SPEC_LABEL, marker

POLICY = "monitoring.alertPolicy"
LOG_BUCKET = "logging.bucket"
LOG_SINK = "logging.sink"
POLICY_FIELDS = ("display_name", "documentation", "user_labels", "conditions", "combiner", "enabled", "severity")
BUCKET_FIELDS = {"retention_days": "retentionDays", "description": "description"}
SINK_FIELDS = {"destination": "destination", "filter": "filter", "description": "description"}


def _ours(labels: dict[str, str] | None, deployment: dict[str, Any]) -> bool:
    labels = labels or {}
    return labels.get(SERVICE_LABEL) == label_value(deployment["service"]) and \
        labels.get(STAGE_LABEL) == label_value(deployment["stage"])


def sink_path(deployment: dict[str, Any]) -> str:
    names = Names(deployment["service"], deployment["stage"], deployment["project"], deployment["region"])
    return names.log_sink_path(names.log_sink())


def bucket_body(spec: dict[str, Any]) -> dict[str, Any]:
    return {"retentionDays": spec["retention_days"], "description": spec["description"]}


def sink_body(spec: dict[str, Any]) -> dict[str, Any]:
    return {"name": spec["name"], "destination": spec["destination"], "filter": spec["filter"],
            "description": spec["description"]}


def plan(deployment: dict[str, Any], artifacts, clients, add: Callable[[Action], None], notes: list[str]) -> None:
    entry = deployment.get("observability") or {}

    bucket = entry.get("log_bucket")
    if bucket:
        have = clients.get_log_bucket(bucket["path"])
        if have is None:
            add(Action("create", LOG_BUCKET, bucket["id"], f"{bucket['retention_days']} days"))
        else:
            paths = [k for k, api in BUCKET_FIELDS.items() if have.get(api) != bucket_body(bucket)[api]]
            if have.get("lifecycleState") == "DELETE_REQUESTED":
                add(Action("update", LOG_BUCKET, bucket["id"], "undelete" + "".join(f", {p}" for p in paths),
                           params={"paths": paths, "undelete": True}))
            else:
                add(Action("update" if paths else "noop", LOG_BUCKET, bucket["id"], ",".join(paths),
                           params={"paths": paths}))

    sink = entry.get("log_sink")
    path = sink["path"] if sink else sink_path(deployment)
    have = clients.get_sink(path, tolerate_forbidden=not sink)
    if sink:
        if have is None:
            add(Action("create", LOG_SINK, sink["name"], f"to {bucket['id'] if bucket else sink['destination']}"))
        else:
            paths = [k for k, api in SINK_FIELDS.items() if (have.get(api) or "") != sink_body(sink)[api]]
            add(Action("update" if paths else "noop", LOG_SINK, sink["name"], ",".join(paths),
                       params={"paths": paths}))
    elif have is not None and (have.get("description") or "").startswith(marker(deployment["service"],
                                                                               deployment["stage"])):
        add(Action("delete", LOG_SINK, path.rsplit("/", 1)[-1], params={"path": path}))

    declared = entry.get("alert_policies") or {}
    listed = clients.list_alert_policies(tolerate_forbidden=not declared)
    if listed is None:
        notes.append("observability: the project's alert policies could not be read (403: the Monitoring API is "
                     "not enabled or not readable); stale sls-neutral policies, if any, were not looked for")
        listed = []
    found: dict[str, list[dict[str, Any]]] = {}
    for policy in sorted(listed, key=lambda p: p.get("name") or ""):
        if _ours(policy.get("userLabels"), deployment):
            found.setdefault(policy.get("displayName") or "", []).append(policy)
    for display, spec in declared.items():
        existing = found.pop(display, [])
        if not existing:
            add(Action("create", POLICY, display, spec["alarm"], params={"display": display}))
        else:
            current = existing[0]
            if (current.get("userLabels") or {}).get(SPEC_LABEL) == spec["spec"]:
                add(Action("noop", POLICY, display))
            else:
                add(Action("update", POLICY, display, "conditions/documentation/labels",
                           params={"display": display, "policy": current["name"]}))
            for duplicate in existing[1:]:
                add(Action("delete", POLICY, display, "duplicate", params={"policy": duplicate["name"]}))
    for display, policies in sorted(found.items()):
        for policy in policies:
            add(Action("delete", POLICY, display, params={"policy": policy["name"]}))


def _policy_body(deployment: dict[str, Any], artifacts, display: str) -> dict[str, Any]:
    spec = deployment["observability"]["alert_policies"][display]
    return json.loads(artifacts.get(spec["source"]).data)


def apply(deployment: dict[str, Any], artifacts, clients, action: Action) -> None:
    """One create/update of a log bucket, sink or alert policy (deletions: :func:`delete`)."""
    entry = deployment.get("observability") or {}
    if action.resource_type == LOG_BUCKET:
        spec = entry["log_bucket"]
        if action.op == "create":
            clients.create_log_bucket(spec["path"], bucket_body(spec))
            return
        if action.params.get("undelete"):
            clients.undelete_log_bucket(spec["path"])
        if action.params.get("paths"):
            clients.update_log_bucket(spec["path"], bucket_body(spec), list(action.params["paths"]))
    elif action.resource_type == LOG_SINK:
        spec = entry["log_sink"]
        if action.op == "create":
            clients.create_sink(spec["path"], sink_body(spec))
        else:
            clients.update_sink(spec["path"], sink_body(spec), list(action.params["paths"]))
    elif action.resource_type == POLICY:
        body = _policy_body(deployment, artifacts, action.params["display"])
        if action.op == "create":
            clients.create_alert_policy(body)
        else:
            clients.update_alert_policy(action.params["policy"], {**body, "name": action.params["policy"]},
                                        list(POLICY_FIELDS))


def delete(clients, action: Action) -> None:
    if action.resource_type == POLICY:
        clients.delete_alert_policy(action.params["policy"])
    elif action.resource_type == LOG_SINK:
        clients.delete_sink(action.params["path"])
