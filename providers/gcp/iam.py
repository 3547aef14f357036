"""Grants -> resource-level IAM bindings (least privilege).

One grant gives one role on one resource: the topic a function publishes to, the bucket it reads,
the secret it reads, the workflow it starts. A name written as ``*`` is the only way to a
project-level binding; an action written as ``*`` gives the union of that kind's roles.
"""

from __future__ import annotations

from typing import Any

from sls_neutral.core import ir
from sls_neutral.providers.gcp.names import Names

BUCKET_ROLES = {
    "read": "roles/storage.objectViewer",
    "list": "roles/storage.objectViewer",
    "write": "roles/storage.objectCreator",
    "delete": "roles/storage.objectUser",
}
QUEUE_ROLES = {"send": "roles/pubsub.publisher"}  # consume: delivery is pushed, the consumer needs no role
TOPIC_ROLES = {"publish": "roles/pubsub.publisher"}
SECRET_ROLES = {"read": "roles/secretmanager.secretAccessor"}
WORKFLOW_ROLES = {"start": "roles/workflows.invoker"}
FUNCTION_ROLES = {"invoke": "roles/run.invoker"}
ROLES = {"bucket": BUCKET_ROLES, "queue": QUEUE_ROLES, "topic": TOPIC_ROLES, "secret": SECRET_ROLES,
         "workflow": WORKFLOW_ROLES, "function": FUNCTION_ROLES}


def roles_for(grant: ir.Grant) -> list[str]:
    table = ROLES.get(grant.kind, {})
    if grant.action == "*":
        return sorted(set(table.values()))
    role = table.get(grant.action)
    return [role] if role else []


def resource_of(kind: str, name: str, names: Names, function_units: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(resource type, full resource name) for a neutral resource; a project when the name is ``*``."""
    if name == "*":
        return [("project", f"projects/{names.project}")]
    if kind == "bucket":
        return [("bucket", names.bucket(name))]
    if kind == "queue":
        return [("topic", names.topic_path(names.queue_topic(name)))]
    if kind == "topic":
        return [("topic", names.topic_path(names.topic(name)))]
    if kind == "secret":
        return [("secret", names.secret_path(names.secret(name)))]
    if kind == "workflow":
        return [("workflow", names.workflow_path(names.workflow(name)))]
    if kind == "function":
        return [("function", names.function_path(unit)) for unit in function_units.get(name, [])]
    return []


def grant_bindings(grants: tuple[ir.Grant, ...], member: str, names: Names,
                   function_units: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The bindings one identity's grants imply, sorted and without duplicates."""
    out: set[tuple[str, str, str, str]] = set()
    for grant in grants:
        for role in roles_for(grant):
            for rtype, resource in resource_of(grant.kind, grant.name, names, function_units):
                out.add((rtype, resource, role, member))
    return [{"resource_type": t, "resource": r, "role": role, "member": m} for t, r, role, m in sorted(out)]
