"""The plan: which objects upload, and the change set CloudFormation computes (created, not executed).

An unchanged stage answers from two cheap reads -- HEAD per object and the
deployed template compared with ours -- and creates no change set at all.
"""

from __future__ import annotations

from typing import Any

from sls_neutral.core import ir
from sls_neutral.core.artifacts import ArtifactSet
from sls_neutral.core.errors import DeployError
from sls_neutral.core.plan import Action, Plan
from sls_neutral.core.provider import DeployContext
from sls_neutral.providers.aws.deploy.cfn import TERMINAL_DEAD, Stack


def upload_actions(stack: Stack, objects: dict[str, bytes]) -> list[Action]:
    exists = stack.bucket_exists()
    actions = []
    for key, data in objects.items():
        if exists and stack.object_exists(key):
            actions.append(Action("skip", "AWS::S3::Object", key, detail="already uploaded"))
        else:
            actions.append(Action("upload", "AWS::S3::Object", key, detail=f"{len(data)} bytes"))
    return actions


def make_plan(app: ir.App, settings: dict[str, Any], artifacts: ArtifactSet, ctx: DeployContext) -> Plan:
    stack = Stack(app, settings, ctx)
    template = stack.template(artifacts)
    plan = Plan("aws", app.service, app.stage)
    plan.actions.extend(upload_actions(stack, stack.objects(artifacts)))
    current = stack.describe()
    plan.data.update(stack=stack.name, bucket=stack.bucket, status=current["StackStatus"] if current else None)
    if current and current["StackStatus"].endswith("_IN_PROGRESS") and current["StackStatus"] != "REVIEW_IN_PROGRESS":
        plan.actions.append(Action("update", "AWS::CloudFormation::Stack", stack.name,
                                   detail=f"{current['StackStatus']}: deploy waits for it, then re-plans"))
        return plan
    if current and current["StackStatus"] in TERMINAL_DEAD:
        plan.actions.append(Action("replace", "AWS::CloudFormation::Stack", stack.name,
                                   detail=f"{current['StackStatus']}: deleted and created again"))
        return plan
    if stack.up_to_date(current, template):
        plan.notes.append(f"stack {stack.name} is up to date")
        return plan
    change_set = stack.create_change_set(template, current)
    if stack.empty_change_set(change_set):
        plan.notes.append(f"stack {stack.name} is up to date")
        return plan
    if change_set["Status"] == "FAILED":
        raise DeployError(f"CloudFormation refused the change set: {change_set.get('StatusReason')}",
                          hint="fix the reported resource; 'sls-neutral package -p aws' writes the template")
    plan.actions.extend(stack.change_actions(change_set))
    if not stack.change_actions(change_set):
        plan.actions.append(Action("create" if current is None else "update", "AWS::CloudFormation::Stack",
                                   stack.name))
    plan.data["change_set"] = change_set.get("ChangeSetName")
    plan.notes.append(f"change set {change_set.get('ChangeSetName')} on stack {stack.name} (not executed)")
    return plan
