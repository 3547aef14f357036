"""Grants -> IAM policy statements with resource ARNs (least privilege).

Each neutral action maps to the smallest set of IAM actions that the AWS
backend needs, on the exact resource. A wildcard name (``bucket:*:read``,
written in the manifest) expands to every declared resource of that kind, and
a wildcard action to every action of that kind -- never to ``Resource: "*"``.
"""

from __future__ import annotations

from typing import Any, Callable

from sls_neutral.core import ir

# kind -> action -> (IAM actions, which ARN: "objects" | "bucket" | "resource")
ACTIONS: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "bucket": {
        "read": (("s3:GetObject",), "objects"),
        "write": (("s3:PutObject",), "objects"),
        "delete": (("s3:DeleteObject",), "objects"),
        "list": (("s3:ListBucket",), "bucket"),
    },
    "queue": {
        "send": (("sqs:SendMessage",), "resource"),
        "consume": (("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                     "sqs:ChangeMessageVisibility"), "resource"),
    },
    "topic": {"publish": (("sns:Publish",), "resource")},
    "secret": {"read": (("secretsmanager:GetSecretValue",), "resource")},
    "workflow": {"start": (("states:StartExecution",), "resource")},
    "function": {"invoke": (("lambda:InvokeFunction",), "resource")},
}

PERMISSION_TABLE = [(kind, action, actions, target) for kind, table in ACTIONS.items()
                    for action, (actions, target) in table.items()]


def expand(app: ir.App, grant: ir.Grant) -> list[tuple[str, str]]:
    """(resource name, action) pairs one grant stands for."""
    pools = {"bucket": app.buckets, "queue": app.queues, "topic": app.topics, "secret": app.secrets,
             "workflow": app.workflows, "function": app.functions}
    names = sorted(pools.get(grant.kind, {})) if grant.name == "*" else [grant.name]
    actions = sorted(ACTIONS.get(grant.kind, {})) if grant.action == "*" else [grant.action]
    return [(n, a) for n in names for a in actions if a in ACTIONS.get(grant.kind, {})]


def statements(app: ir.App, grants: tuple[ir.Grant, ...],
               arn: Callable[[str, str, str], Any]) -> list[dict[str, Any]]:
    """Policy statements for ``grants``; ``arn(kind, name, target)`` gives the resource ARN expression.

    Statements are merged per (IAM actions) so the policy stays small and deterministic.
    """
    merged: dict[tuple[str, ...], list[Any]] = {}
    for grant in sorted(grants):
        for name, action in expand(app, grant):
            iam_actions, target = ACTIONS[grant.kind][action]
            resources = merged.setdefault(iam_actions, [])
            resource = arn(grant.kind, name, target)
            if resource not in resources:
                resources.append(resource)
    out = []
    for iam_actions in sorted(merged):
        out.append({"Effect": "Allow", "Action": list(iam_actions), "Resource": merged[iam_actions]})
    return out
