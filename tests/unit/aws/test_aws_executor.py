"""The executor's decisions against a scripted CloudFormation/S3 (no I/O): failure reasons, rollback, no-op, lock."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sls_neutral.core import ir
from sls_neutral.core.artifacts import ArtifactSet
from sls_neutral.core.errors import DeployError
from sls_neutral.core.plan import Plan
from sls_neutral.core.provider import DeployContext
from sls_neutral.providers.aws.deploy import executor
from sls_neutral.providers.aws.deploy.clients import Clients

SETTINGS = {"region": "us-east-1", "architecture": "x86_64", "deployment_bucket": "deploy-bucket"}


class ClientError(Exception):
    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.response = {"Error": {"Code": code, "Message": message}}


class Exceptions:
    ClientError = ClientError
    NoSuchKey = ClientError


class FakeS3:
    exceptions = Exceptions

    def __init__(self):
        self.objects: dict[str, bytes] = {}

    def head_bucket(self, Bucket):
        return {}

    def head_object(self, Bucket, Key):
        if Key not in self.objects:
            raise ClientError("404")
        return {}

    def put_object(self, Bucket, Key, Body, IfNoneMatch=None):
        if IfNoneMatch == "*" and Key in self.objects:
            raise ClientError("PreconditionFailed")
        self.objects[Key] = Body

    def get_object(self, Bucket, Key):
        import io

        return {"Body": io.BytesIO(self.objects[Key])}

    def delete_object(self, Bucket, Key):
        self.objects.pop(Key, None)


class FakeCfn:
    """A stack whose update fails and rolls back, or an unchanged stack."""

    exceptions = Exceptions

    def __init__(self, template=None, fail=False):
        self.template = template
        self.fail = fail
        self.status = "UPDATE_COMPLETE" if template else None
        self.change_sets: dict[str, dict] = {}
        self.executed = []

    def describe_stacks(self, StackName):
        if self.status is None:
            raise ClientError("ValidationError", f"Stack with id {StackName} does not exist")
        return {"Stacks": [{"StackStatus": self.status, "Outputs": [],
                            "Parameters": [{"ParameterKey": "DeploymentBucket", "ParameterValue": "deploy-bucket"}]}]}

    def get_template(self, StackName, TemplateStage):
        return {"TemplateBody": json.dumps(self.template)}

    def describe_change_set(self, StackName, ChangeSetName):
        if ChangeSetName not in self.change_sets:
            raise ClientError("ChangeSetNotFound")
        return self.change_sets[ChangeSetName]

    def create_change_set(self, StackName, ChangeSetName, **kwargs):
        self.change_sets[ChangeSetName] = {"ChangeSetName": ChangeSetName, "Status": "CREATE_COMPLETE",
                                           "ExecutionStatus": "AVAILABLE", "Changes": []}

    def execute_change_set(self, StackName, ChangeSetName):
        self.executed.append(ChangeSetName)
        self.status = "UPDATE_ROLLBACK_COMPLETE" if self.fail else "UPDATE_COMPLETE"

    def describe_stack_events(self, StackName):
        if not self.fail:
            return {"StackEvents": []}
        # Stamped when asked, not at import: under xdist a module can be imported long before its test runs.
        now = dt.datetime.now(dt.timezone.utc)
        return {"StackEvents": [
            {"EventId": "2", "LogicalResourceId": "ApiFunction", "ResourceType": "AWS::Lambda::Function",
             "ResourceStatus": "UPDATE_FAILED", "ResourceStatusReason": "Memory size 99999 is invalid",
             "Timestamp": now + dt.timedelta(seconds=1)},
            {"EventId": "1", "LogicalResourceId": "old", "ResourceType": "AWS::SQS::Queue",
             "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": "from an earlier deploy",
             "Timestamp": now - dt.timedelta(days=1)}]}


def artifacts(template: dict) -> ArtifactSet:
    out = ArtifactSet("aws")
    out.add_json("template.cfn.json", template)
    out.add_zip("functions/api.zip", {"src/api.py": b"def h(e, c): pass\n"})
    return out


@pytest.fixture
def fakes(monkeypatch, tmp_path):
    made = {"s3": FakeS3()}

    def call(self, service):
        return made[service]

    monkeypatch.setattr(Clients, "__call__", call)
    monkeypatch.setattr(executor.time, "sleep", lambda s: None)
    app = ir.App(service="svc", stage="dev", runtime="python3.12", default_provider="aws", functions={}, queues={},
                 topics={}, buckets={}, secrets={}, workflows={})
    ctx = DeployContext(root=tmp_path, state_dir=tmp_path, build_dir=tmp_path, progress=None)
    return made, app, ctx


def test_failed_update_reports_reasons_and_rollback(fakes):
    made, app, ctx = fakes
    made["cloudformation"] = FakeCfn(template={"Resources": {"Old": {}}}, fail=True)
    template = {"Resources": {"ApiFunction": {"Type": "AWS::Lambda::Function"}}}
    with pytest.raises(DeployError) as failed:
        executor.execute(app, SETTINGS, Plan("aws", "svc", "dev"), artifacts(template), ctx)
    assert "UPDATE_ROLLBACK_COMPLETE" in failed.value.message
    assert "ApiFunction (AWS::Lambda::Function): Memory size 99999 is invalid" in failed.value.message
    assert "earlier deploy" not in failed.value.message  # only this deploy's events
    assert "previous version keeps serving" in failed.value.hint
    assert "svc/dev/deploy.lock" not in made["s3"].objects  # the lock is released on failure


def test_unchanged_stack_creates_no_change_set(fakes):
    made, app, ctx = fakes
    template = {"Resources": {"ApiFunction": {"Type": "AWS::Lambda::Function"}}}
    made["cloudformation"] = cfn = FakeCfn(template=template)
    arts = artifacts(template)
    first = executor.execute(app, SETTINGS, Plan("aws", "svc", "dev"), arts, ctx)
    assert first["changed"] is False and len(first["uploaded"]) == 1
    second = executor.execute(app, SETTINGS, Plan("aws", "svc", "dev"), arts, ctx)
    assert second["uploaded"] == [] and cfn.change_sets == {} and cfn.executed == []


def test_a_live_lock_refuses_the_deploy(fakes):
    import os
    import socket
    import time

    made, app, ctx = fakes
    made["cloudformation"] = FakeCfn(template={"Resources": {}})
    made["s3"].objects["svc/dev/deploy.lock"] = json.dumps(
        {"host": socket.gethostname(), "pid": os.getpid(), "since": time.time()}).encode()
    with pytest.raises(DeployError, match="holds the lock"):
        executor.execute(app, SETTINGS, Plan("aws", "svc", "dev"), artifacts({"Resources": {"A": {}}}), ctx)


def test_a_dead_holders_lock_is_taken_over(fakes):
    import socket
    import time

    made, app, ctx = fakes
    template = {"Resources": {"A": {}}}
    made["cloudformation"] = FakeCfn(template=template)
    made["s3"].objects["svc/dev/deploy.lock"] = json.dumps(
        {"host": socket.gethostname(), "pid": 2 ** 22 + 12345, "since": time.time()}).encode()
    result = executor.execute(app, SETTINGS, Plan("aws", "svc", "dev"), artifacts(template), ctx)
    assert result["changed"] is False and "svc/dev/deploy.lock" not in made["s3"].objects


