"""End to end against a moto server on 127.0.0.1: deploy, redeploy unchanged, change one handler, lock, remove.

moto models CloudFormation, Lambda (functions, event source mappings), IAM roles and inline policies, SQS
(redrive), SNS topics, S3 buckets, Step Functions and log groups, but its CloudFormation skips
AWS::ApiGatewayV2::Api and AWS::ApiGatewayV2::Stage (the HTTP API and its routes, which SAM inlines in the
API's OpenAPI body), AWS::SNS::Subscription, AWS::Scheduler::Schedule and AWS::CloudWatch::Alarm ("Tried to
parse ... not supported"), and creates S3 buckets without their NotificationConfiguration. Those are asserted
on the template CloudFormation holds instead (``assert_unmodelled_wiring``): every route, subscription,
schedule and bucket notification is wired to the right function, with its invoke permission (the observability
alarms: tests/unit/aws/test_aws_template.py and the cfn-lint test in test_aws_package.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from aws_helpers import asl_available

REPO = Path(__file__).resolve().parents[3]
STACK = "photo-app-dev"


def reference_service(tmp_path: Path) -> Path:
    """A copy of examples/reference; without the ASL compiler in the tree, its workflow is left out."""
    import shutil

    root = tmp_path / "reference"
    shutil.copytree(REPO / "examples" / "reference", root, ignore=shutil.ignore_patterns(".sls-neutral",
                                                                                        "__pycache__"))
    if not asl_available():
        text = (root / "sls-neutral.yaml").read_text()
        text = text.split("\nworkflows:", 1)[0] + "\n"
        text = text.replace("      - workflow:process-order:start\n", "")
        (root / "sls-neutral.yaml").write_text(text)
    return root


def run(cli, root: Path, *args: str, url: str):
    return cli(*args, "-p", "aws", "--endpoint-url", url, "--output", "json", cwd=root, timeout=240)


def deploy(cli, root: Path, url: str) -> dict:
    result = run(cli, root, "deploy", "--no-lint", url=url)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)["results"][0]


def clients(url: str):
    return lambda service: boto3.client(service, endpoint_url=url, region_name="us-east-1")


def role_policy(aws, role: str, name: str) -> dict:
    document = aws("iam").get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    if isinstance(document, str):  # moto hands back the document as text (a Python repr of the parsed JSON)
        import ast
        from urllib.parse import unquote

        text = unquote(document)
        try:
            document = json.loads(text)
        except ValueError:
            document = ast.literal_eval(text)
    return document


def physical_ids(client) -> dict[str, str]:
    summaries = client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    return {s["LogicalResourceId"]: s.get("PhysicalResourceId") for s in summaries}


def assert_unmodelled_wiring(resources: dict) -> None:
    """What moto's CloudFormation skips ("Tried to parse ... not supported": AWS::ApiGatewayV2::Api and ::Stage,
    AWS::SNS::Subscription, AWS::Scheduler::Schedule) or accepts without acting on (S3 bucket notifications),
    asserted on the template CloudFormation holds: each trigger of the manifest is wired to its function."""
    def of(type_: str) -> dict:
        return {k: v["Properties"] for k, v in resources.items() if v["Type"] == type_}

    [api] = of("AWS::ApiGatewayV2::Api").values()
    routes = {}
    for path, methods in api["Body"]["paths"].items():
        for method, spec in methods.items():
            integration = spec["x-amazon-apigateway-integration"]
            assert integration["type"] == "aws_proxy" and integration["payloadFormatVersion"] == "2.0"
            target = re.search(r"\$\{(\w+)\.Arn\}", integration["uri"]["Fn::Sub"]).group(1)
            routes[f"{method.upper()} {path}"] = target
    expected_routes = {"POST /photos": "ApiFunction", "GET /photos/{id}": "ApiFunction"}
    if asl_available():
        expected_routes["POST /orders"] = "StartProcessOrderFunction"
    assert routes == expected_routes
    assert [s["StageName"] for s in of("AWS::ApiGatewayV2::Stage").values()] == ["$default"]
    permissions = of("AWS::Lambda::Permission").values()
    for function in set(expected_routes.values()):
        assert any(p["FunctionName"] == {"Ref": function} and p["Principal"] == "apigateway.amazonaws.com"
                   for p in permissions)

    [subscription] = of("AWS::SNS::Subscription").values()
    assert subscription == {"Endpoint": {"Fn::GetAtt": ["AuditFunction", "Arn"]}, "Protocol": "lambda",
                            "TopicArn": {"Ref": "PhotoEventsTopic"}}
    assert any(p["FunctionName"] == {"Ref": "AuditFunction"} and p["SourceArn"] == {"Ref": "PhotoEventsTopic"}
               for p in permissions)

    [schedule] = of("AWS::Scheduler::Schedule").values()
    assert schedule["ScheduleExpression"] == "cron(0 3 * * ? *)" and schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": ["CleanupFunction", "Arn"]}
    assert json.loads(schedule["Target"]["Input"])["schedule"] == "cleanup:0"

    notification = resources["PhotosBucket"]["Properties"]["NotificationConfiguration"]
    [config] = notification["LambdaConfigurations"]
    assert config["Event"] == "s3:ObjectCreated:*" and config["Function"] == {"Fn::GetAtt": ["OnUploadFunction",
                                                                                             "Arn"]}
    rules = config["Filter"]["S3Key"]["Rules"]
    assert {r["Name"]: r["Value"] for r in rules} == {"prefix": "uploads/", "suffix": ".jpg"}
    assert any(p["FunctionName"] == {"Ref": "OnUploadFunction"} and p["Principal"] == "s3.amazonaws.com"
               for p in permissions)


def test_deploy_update_lock_and_remove(cli, tmp_path, moto_server):
    url = moto_server
    aws = clients(url)
    root = reference_service(tmp_path)

    first = deploy(cli, root, url)
    assert first["changed"] is True and first["status"] == "CREATE_COMPLETE"
    assert len(first["uploaded"]) >= 3
    stack = aws("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"

    names = {f["FunctionName"] for f in aws("lambda").list_functions()["Functions"]}
    assert {"photo-app-dev-api", "photo-app-dev-resize", "photo-app-dev-on-upload", "photo-app-dev-audit",
            "photo-app-dev-cleanup"} <= names
    config = aws("lambda").get_function_configuration(FunctionName="photo-app-dev-resize")
    assert config["Handler"] == "sls_neutral.runtime.adapters.aws.handler"
    assert config["Environment"]["Variables"]["SLSN_HANDLER"] == "src.resize:resize"
    resources = json.loads(config["Environment"]["Variables"]["SLSN_RESOURCES"])
    assert resources["queue:resize-jobs"].endswith("/photo-app-dev-resize-jobs")
    assert resources["bucket:photos"] == "photo-app-dev-photos-123456789012-us-east-1"

    ids = physical_ids(aws)
    policy = role_policy(aws, ids["ResizeRole"], "grants")
    statements = {tuple(s["Action"]): s["Resource"] for s in policy["Statement"]}
    assert statements[("s3:GetObject",)] == ["arn:aws:s3:::photo-app-dev-photos-123456789012-us-east-1/*"]
    assert statements[("s3:PutObject",)] == ["arn:aws:s3:::photo-app-dev-photos-123456789012-us-east-1/*"]
    consume = next(v for k, v in statements.items() if "sqs:ReceiveMessage" in k)
    assert consume == ["arn:aws:sqs:us-east-1:123456789012:photo-app-dev-resize-jobs"]
    api_policy = role_policy(aws, ids["ApiRole"], "grants")
    assert not any(r == "*" for s in api_policy["Statement"] for r in s["Resource"])
    # every role of the stack (functions, starter, state machine, schedules): each statement names resources of
    # this stage, never "*" (the manifest writes no wildcard)
    roles = [ids[k] for k in ids if k.endswith("Role")]
    assert len(roles) >= 8
    for role in roles:
        for name in aws("iam").list_role_policies(RoleName=role)["PolicyNames"]:
            for statement in role_policy(aws, role, name)["Statement"]:
                targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                assert targets and all(t != "*" and ("photo-app-dev-" in t or ":secret:photo-app/dev/" in t)
                                       for t in targets), (role, name, statement)

    queue_url = aws("sqs").get_queue_url(QueueName="photo-app-dev-resize-jobs")["QueueUrl"]
    attributes = aws("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == 5 and redrive["deadLetterTargetArn"].endswith("photo-app-dev-resize-jobs-dlq")
    assert attributes["VisibilityTimeout"] == "120"
    mappings = aws("lambda").list_event_source_mappings(FunctionName="photo-app-dev-resize")["EventSourceMappings"]
    assert mappings and mappings[0]["EventSourceArn"].endswith("photo-app-dev-resize-jobs")
    if asl_available():
        machines = aws("stepfunctions").list_state_machines()["stateMachines"]
        assert [m["name"] for m in machines] == ["photo-app-dev-process-order"]

    # what moto does not model: asserted on the deployed template
    body = aws("cloudformation").get_template(StackName=STACK)["TemplateBody"]
    template = body if isinstance(body, dict) else json.loads(body)
    assert_unmodelled_wiring(template["Resources"])

    # unchanged: nothing uploads, the stack is not touched
    events_before = len(aws("cloudformation").describe_stack_events(StackName=STACK)["StackEvents"])
    second = deploy(cli, root, url)
    assert second["changed"] is False and second["uploaded"] == []
    assert len(aws("cloudformation").describe_stack_events(StackName=STACK)["StackEvents"]) == events_before

    # one handler changes: only its zip uploads, the stack updates
    resize = root / "src" / "resize.py"
    resize.write_text(resize.read_text() + "\n# changed\n")
    planned = run(cli, root, "plan", url=url)
    assert planned.returncode == 0, planned.stderr[-2000:]
    plan = json.loads(planned.stdout)["plans"][0]
    ops = [(a["op"], a["resource_type"]) for a in plan["actions"]]
    assert ops.count(("upload", "AWS::S3::Object")) == 1
    assert any(op in ("update", "replace") for op, _ in ops if _ != "AWS::S3::Object"), ops
    third = deploy(cli, root, url)
    assert third["changed"] is True and third["status"] == "UPDATE_COMPLETE"
    assert len(third["uploaded"]) == 1 and third["uploaded"][0].startswith("photo-app/dev/code/")

    # a second concurrent deploy of the same stage is refused while the lock is held by a live process
    s3 = aws("s3")
    bucket = first["bucket"]
    s3.put_object(Bucket=bucket, Key="photo-app/dev/deploy.lock",
                  Body=json.dumps({"host": os.uname().nodename, "pid": os.getpid(), "since": time.time()}))
    resize.write_text(resize.read_text() + "\n# changed again\n")
    refused = run(cli, root, "deploy", "--no-lint", url=url)
    assert refused.returncode == 1 and "holds the lock" in refused.stderr
    assert "Traceback" not in refused.stderr
    s3.delete_object(Bucket=bucket, Key="photo-app/dev/deploy.lock")

    info = run(cli, root, "info", url=url)
    assert info.returncode == 0, info.stderr
    assert STACK in info.stdout and "UPDATE_COMPLETE" in info.stdout

    removed = run(cli, root, "remove", url=url)
    assert removed.returncode == 0, removed.stderr
    stacks = aws("cloudformation").list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks if s["StackName"] == STACK)
    assert not any(f["FunctionName"].startswith("photo-app-dev-") for f in aws("lambda").list_functions()["Functions"])
    assert s3.list_objects_v2(Bucket=bucket, Prefix="photo-app/dev/").get("KeyCount", 0) == 0
    assert not [u for u in aws("sqs").list_queues().get("QueueUrls", []) if "/photo-app-dev-" in u]
    assert not [t for t in aws("sns").list_topics()["Topics"] if ":photo-app-dev-" in t["TopicArn"]]
    assert not [m for m in aws("stepfunctions").list_state_machines()["stateMachines"]
                if m["name"].startswith("photo-app-dev-")]
    assert not [r for r in aws("iam").list_roles()["Roles"] if r["RoleName"] in set(ids.values())]


def _deploy_until(root: Path, url: str, marker: str) -> tuple[int, str]:
    """Start a deploy and SIGKILL it as soon as a progress line matching ``marker`` appears."""
    env = {**os.environ}
    env.pop("SLSN_DEBUG", None)
    proc = subprocess.Popen([sys.executable, "-m", "sls_neutral", "deploy", "--no-lint", "-p", "aws",
                             "--endpoint-url", url], cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if re.search(marker, line):
                proc.kill()
                break
    finally:
        proc.wait(timeout=120)
        proc.stdout.close()
    return proc.returncode, "".join(seen)


def test_killed_deploy_converges_on_rerun(cli, tmp_path, moto_server):
    url = moto_server
    aws = clients(url)
    root = reference_service(tmp_path)
    deploy(cli, root, url)
    resize = root / "src" / "resize.py"
    resize.write_text(resize.read_text() + "\n# version 2\n")
    code, output = _deploy_until(root, url, r"uploading s3://")
    assert code != 0, output  # killed mid-upload
    resize.write_text(resize.read_text() + "\n# version 3\n")
    code, output = _deploy_until(root, url, r"executing change set")
    assert code != 0, output  # killed after upload, during the update
    final = deploy(cli, root, url)  # the dead holder's lock is taken over; the change set is reused or recreated
    # the killed update may have finished on the server (nothing left to do) or not (this run completes it)
    assert final.get("status") == "UPDATE_COMPLETE" or final["changed"] is False
    body = aws("cloudformation").get_template(StackName=STACK)["TemplateBody"]
    template = body if isinstance(body, dict) else json.loads(body)
    built = json.loads((root / ".sls-neutral" / "build" / "dev" / "aws" / "template.cfn.json").read_text())
    assert template["Resources"]["ResizeFunction"]["Properties"]["Code"] == \
        built["Resources"]["ResizeFunction"]["Properties"]["Code"]
    again = deploy(cli, root, url)
    assert again["changed"] is False and again["uploaded"] == []
