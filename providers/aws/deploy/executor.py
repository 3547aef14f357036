"""Carry out a plan: lock, upload, change set, execute, wait with stack events; remove; info.

A failed update is rolled back by CloudFormation (the previous stack keeps
serving) and reported with the failing resources' reasons as a DeployError.
A deploy killed at any point converges when run again: uploads are
content-addressed, the change set is found by name, a stack still in progress
is waited for, and a lock whose holder died on this machine is taken over.
"""

from __future__ import annotations

import time
from typing import Any

from sls_neutral.core import ir
from sls_neutral.core.artifacts import ArtifactSet
from sls_neutral.core.errors import DeployError
from sls_neutral.core.plan import Plan
from sls_neutral.core.provider import DeployContext
from sls_neutral.providers.aws.deploy.cfn import TERMINAL_DEAD, TERMINAL_OK, Stack
from sls_neutral.providers.aws.deploy.lock import DeployLock, lock_key


def execute(app: ir.App, settings: dict[str, Any], plan: Plan, artifacts: ArtifactSet,
            ctx: DeployContext) -> dict[str, Any]:
    stack = Stack(app, settings, ctx)
    stack.ensure_bucket()
    with DeployLock(stack.clients("s3"), stack.bucket, lock_key(app.service, app.stage)):
        uploaded = stack.upload(stack.objects(artifacts))
        template = stack.template(artifacts)
        current = stack.wait_stable()
        if current and current["StackStatus"] in TERMINAL_DEAD:
            ctx.say(f"stack {stack.name} is {current['StackStatus']}: deleting it before creating it again")
            _delete_stack(stack)
            current = None
        result: dict[str, Any] = {"provider": "aws", "stack": stack.name, "bucket": stack.bucket,
                                  "uploaded": uploaded}
        unchanged = {**result, "changed": False, "message": f"aws: no changes (stack {stack.name} is up to date)"}
        if stack.up_to_date(current, template):
            ctx.say(f"no changes: stack {stack.name} is up to date")
            return {**unchanged, "outputs": stack.outputs(current)}
        change_set = stack.create_change_set(template, current)
        if stack.empty_change_set(change_set):
            ctx.say(f"no changes: stack {stack.name} is up to date")
            return {**unchanged, "outputs": stack.outputs(current)}
        if change_set["Status"] == "FAILED":
            raise DeployError(f"CloudFormation refused the change set: {change_set.get('StatusReason')}",
                              hint="fix the reported resource and deploy again")
        started = time.time()
        ctx.say(f"executing change set {change_set['ChangeSetName']} on stack {stack.name}")
        try:
            stack.clients("cloudformation").execute_change_set(StackName=stack.name,
                                                               ChangeSetName=change_set["ChangeSetName"])
        except Exception as exc:
            if getattr(exc, "response", None) is None:
                raise
            raise DeployError(f"CloudFormation could not execute change set {change_set['ChangeSetName']}: {exc}",
                              hint="the stack is unchanged; deploy again, or look at the stack events") from exc
        seen: set[str] = set()
        final = _wait(stack, seen, started)
        stack.stream_events(seen, since=started)
        status = final["StackStatus"] if final else "DELETED"
        if status not in TERMINAL_OK:
            reasons = stack.failure_reasons(started)
            detail = "\n".join(f"  - {r}" for r in reasons) or "  (no resource reported a reason)"
            raise DeployError(f"deploy of stack {stack.name} failed ({status}):\n{detail}",
                              hint="CloudFormation rolled back: the previous version keeps serving")
        ctx.say(f"stack {stack.name}: {status}")
        outputs = stack.outputs(final)
        lines = [f"aws: stack {stack.name} {status} ({len(uploaded)} objects uploaded)"]
        lines += [f"  {k}: {v}" for k, v in outputs.items()]
        return {**result, "changed": True, "status": status, "outputs": outputs, "message": "\n".join(lines)}


def _wait(stack: Stack, seen: set[str], started: float) -> dict[str, Any] | None:
    time.sleep(0.2)
    while True:
        current = stack.describe()
        stack.stream_events(seen, since=started)
        if current is None or not current["StackStatus"].endswith("_IN_PROGRESS"):
            return current
        time.sleep(2)


def _delete_stack(stack: Stack) -> None:
    stack.clients("cloudformation").delete_stack(StackName=stack.name)
    deadline = time.time() + 3600
    while time.time() < deadline:
        current = stack.describe()
        if current is None or current["StackStatus"] == "DELETE_COMPLETE":
            return
        if current["StackStatus"] == "DELETE_FAILED":
            reasons = stack.failure_reasons(0)
            raise DeployError(f"could not delete stack {stack.name}: " + "; ".join(reasons[-3:]),
                              hint="empty non-empty buckets by hand, then run remove again")
        time.sleep(2)
    raise DeployError(f"stack {stack.name} was not deleted in time", hint="run remove again")


def remove(app: ir.App, settings: dict[str, Any], ctx: DeployContext) -> dict[str, Any]:
    stack = Stack(app, settings, ctx)
    current = stack.describe()
    result: dict[str, Any] = {"provider": "aws", "stack": stack.name, "removed": False, "objects_deleted": 0}
    if current is not None and current["StackStatus"] != "DELETE_COMPLETE":
        stack.wait_stable()
        ctx.say(f"deleting stack {stack.name}")
        _delete_stack(stack)
        result["removed"] = True
    if stack.bucket_exists():
        s3 = stack.clients("s3")
        keys = [obj["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=stack.bucket, Prefix=stack.prefix) for obj in page.get("Contents", [])]
        for start in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=stack.bucket, Delete={"Objects": [{"Key": k} for k in keys[start:start + 1000]],
                                                           "Quiet": True})
        result["objects_deleted"] = len(keys)
        ctx.say(f"deleted {len(keys)} deployment objects under s3://{stack.bucket}/{stack.prefix}")
    result["message"] = (f"aws: removed stack {stack.name} and {result['objects_deleted']} deployment objects"
                         if result["removed"] else f"aws: stack {stack.name} was not deployed")
    return result


def info(app: ir.App, settings: dict[str, Any], ctx: DeployContext) -> dict[str, Any]:
    stack = Stack(app, settings, ctx)
    current = stack.describe()
    if current is None or current["StackStatus"] == "DELETE_COMPLETE":
        return {"stack": stack.name, "region": stack.clients.region, "status": "NOT_DEPLOYED", "outputs": {}}
    return {"stack": stack.name, "region": stack.clients.region, "status": current["StackStatus"],
            "outputs": stack.outputs(current)}
