"""invoke, logs and workflow start/status/history -p aws against a moto server on 127.0.0.1.

One small stage is deployed once with ``sls-neutral deploy -p aws`` (so names come from the real deploy). moto is
configured through ``/moto-api/config``: Step Functions executes state machines, and Lambda uses its simple
backend (no Docker): an invocation answers with the event it was sent, unless the test queued another answer.
So the tests see exactly the event invoke synthesized, feed it to the AWS adapter in this process to check the
adapter accepts it, and make FunctionErrors on purpose. CloudWatch Logs are written with put_log_events.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import boto3
import pytest
import requests
from aws_helpers import asl_available
from sls_neutral.core.provider import DeployContext

SERVICE = """\
service: ops
runtime: python3.12
provider: aws
stage: dev
providers:
  aws: {region: us-east-1}
buckets:
  files: {}
queues:
  jobs: {}
topics:
  news: {}
functions:
  api:
    handler: src/app.py:api
    triggers:
      - http: {method: GET, path: "/items/{id}"}
  worker:
    handler: src/app.py:worker
    triggers:
      - queue: {name: jobs}
  listener:
    handler: src/app.py:worker
    triggers:
      - topic: {name: news}
  on-file:
    handler: src/app.py:worker
    triggers:
      - bucket: {name: files, events: [created]}
  tick:
    handler: src/app.py:worker
    triggers:
      - schedule: {rate: 1h, data: {kind: hourly}}
  step:
    handler: src/app.py:step
workflows:
  flow:
    timeout: 5m
    steps:
      - one: {call: step, result: $.out}
      - charge-card: {call: step, result: $.paid}
      - tidy-up: {set: {$.a: 1, $.b: 2}}
"""

HANDLERS = """\
def api(request, ctx):
    return {"id": request.path_params["id"], "route": request.route}


def worker(event, ctx):
    ctx.log.info("got", data=event.data)


def step(input, ctx):
    return {"ok": True}
"""


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    """The moto server (module-wide: one deploy serves every test) and the deployed service folder."""
    pytest.importorskip("moto")
    if not asl_available():
        pytest.skip("the ASL compiler is not installed")
    import os

    from aws_helpers import free_port
    from moto.server import ThreadedMotoServer

    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                                            "AWS_DEFAULT_REGION", "AWS_PROFILE", "MOTO_PORT")}
    port = free_port()
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                       "MOTO_PORT": str(port)})  # where moto's Step Functions calls Lambda (this server)
    os.environ.pop("AWS_PROFILE", None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    # moto's backends and configuration are global to this process (every moto server in it shares them):
    # start from empty backends, and leave them empty with the configuration as it was
    previous = requests.get(f"{url}/moto-api/config", timeout=10).json()
    requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
    requests.post(f"{url}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True},
                                                  "lambda": {"use_docker": False}}, timeout=10).raise_for_status()
    root = tmp_path_factory.mktemp("aws-ops") / "ops"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(HANDLERS)
    (root / "sls-neutral.yaml").write_text(SERVICE)
    from sls_neutral.core.cli.main import run

    code = run(["deploy", "--no-lint", "-p", "aws", "--endpoint-url", url, "-c", str(root / "sls-neutral.yaml")])
    assert code == 0
    reregister_state_machines(url, root)
    yield url, root
    requests.post(f"{url}/moto-api/reset", timeout=10)
    requests.post(f"{url}/moto-api/config", json={key: previous.get(key, {}) for key in ("stepfunctions", "lambda")},
                  timeout=10)
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module", autouse=True)
def lambda_like_aws():
    """moto's simple Lambda backend answers for any name and never fails: make it 404 an unknown function and
    flag an ``errorType`` answer with X-Amz-Function-Error, as Lambda does (the server runs in this process)."""
    pytest.importorskip("moto")
    from moto.awslambda_simple.models import LambdaSimpleBackend

    original = LambdaSimpleBackend.invoke

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        self.get_function(function_name, qualifier)  # raises UnknownFunctionException -> 404
        result = original(self, function_name, qualifier, body, headers, response_headers)
        if b'"errorType"' in result:
            response_headers["x-amz-function-error"] = "Unhandled"
        return result

    LambdaSimpleBackend.invoke = invoke
    yield
    LambdaSimpleBackend.invoke = original


def reregister_state_machines(url: str, root: Path) -> None:
    """moto's CloudFormation creates state machines in its plain Step Functions backend, while the executing one
    (``execute_state_machine``) keeps its own, and it does not apply ``DefinitionSubstitutions``: register each
    deployed machine again, as CloudFormation would have created it, where executions run."""
    from moto.stepfunctions.models import stepfunctions_backends

    template = json.loads((root / ".sls-neutral" / "build" / "dev" / "aws" / "template.cfn.json").read_text())
    subs = {"${AWS::Partition}": "aws", "${AWS::Region}": "us-east-1", "${AWS::AccountId}": "123456789012"}
    sfn = boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1")
    deployed = {r["Properties"]["StateMachineName"]: r["Properties"] for r in template["Resources"].values()
                if r["Type"] == "AWS::StepFunctions::StateMachine"}
    for machine in stepfunctions_backends["123456789012"]["us-east-1"].state_machines:
        props = deployed.get(machine.name)
        if props is None:
            continue
        definition = machine.definition
        for key, value in props.get("DefinitionSubstitutions", {}).items():
            text = value["Fn::Sub"] if isinstance(value, dict) else value
            for placeholder, real in subs.items():
                text = text.replace(placeholder, real)
            definition = definition.replace("${" + key + "}", text)
        sfn.create_state_machine(name=machine.name, definition=definition, roleArn=machine.roleArn)


def provider_and_app(root: Path, stage: str | None = None):
    from sls_neutral.core.pipeline import Project

    project = Project(config=root / "sls-neutral.yaml", stage=stage, options={})
    provider = project.provider("aws")
    return provider, project.app_for("aws")


def context(root: Path, url: str) -> DeployContext:
    return DeployContext(root=root, state_dir=root / ".state", build_dir=root / ".build", endpoint_url=url)


def queue_lambda_answer(url: str, answer) -> None:
    """The next simple-backend invocation answers ``answer`` (a function error when it has errorType)."""
    requests.post(f"{url}/moto-api/static/lambda-simple/response",
                  json={"results": [json.dumps(answer)], "region": "us-east-1"}, timeout=10).raise_for_status()


def test_invoke_sends_each_trigger_its_aws_event_and_the_adapter_accepts_it(stage):
    from sls_neutral.runtime.adapters import aws as adapter

    url, root = stage
    provider, app = provider_and_app(root)
    ctx = context(root, url)

    # HTTP: an HTTP API payload 2.0 on the route, path parameters filled from --data
    queue_lambda_answer(url, {"statusCode": 201, "headers": {"content-type": "application/json"},
                              "body": json.dumps({"id": "7"}), "isBase64Encoded": False})
    http = provider.invoke(app, "api", {"id": 7}, ctx)
    assert http == {"status": 201, "headers": {"content-type": "application/json"}, "body": {"id": "7"}}
    # without a queued answer the simple backend echoes the event: the adapter must take it for what it is
    echoed = provider.invoke(app, "api", {"id": "a b"}, ctx)["result"]
    assert adapter.event_kind(echoed) == "http"
    request = adapter.to_request(echoed)
    assert (request.method, request.path, request.path_params, request.route) == \
        ("GET", "/items/a%20b", {"id": "a b"}, "GET /items/{id}")

    kinds = {}
    for function, data in (("worker", {"n": 1}), ("listener", {"n": 2}), ("on-file", {"key": "in/a b.txt"}),
                           ("tick", None), ("step", {"x": 1})):
        result = provider.invoke(app, function, data, ctx)
        kinds[function] = result
    # events come back as {"ok": true}; only the step shows what the function returned (here: its input)
    assert kinds["worker"] == kinds["listener"] == kinds["on-file"] == kinds["tick"] == {"ok": True}
    assert kinds["step"] == {"result": {"x": 1}}

    from sls_neutral.providers.aws.operations import _Aws, synthesize_event

    aws = _Aws(app, {"region": "us-east-1"}, ctx)
    env = {"SLSN_TRIGGERS": json.dumps({"queue:ops-dev-jobs": "jobs", "topic:ops-dev-news": "news",
                                        "bucket:ops-dev-files": "files"})}
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, env):
        _, event = synthesize_event(aws, "worker", {"n": 1})
        assert adapter.event_kind(event) == "sqs"
        evt = adapter.queue_event(event["Records"][0])
        assert (evt.type, evt.subject, evt.data) == ("sls.queue.message", "jobs", {"n": 1})
        _, event = synthesize_event(aws, "listener", {"n": 2})
        evt = adapter.topic_event(event["Records"][0])
        assert (adapter.event_kind(event), evt.type, evt.source.endswith("/topic/news"), evt.data) == \
            ("sns", "sls.topic.message", True, {"n": 2})
        _, event = synthesize_event(aws, "on-file", {"key": "in/a b.txt", "size": 3})
        evt = adapter.bucket_event(event["Records"][0])
        assert (adapter.event_kind(event), evt.type, evt.subject, evt.data["bucket"], evt.data["size"]) == \
            ("s3", "sls.bucket.object.created", "in/a b.txt", "files", 3)
        assert event["Records"][0]["s3"]["bucket"]["name"] == "ops-dev-files-123456789012-us-east-1"
        _, event = synthesize_event(aws, "tick", None)
        evt = adapter.schedule_event(event)
        assert (adapter.event_kind(event), evt.type, evt.data) == ("schedule", "sls.schedule.tick", {"kind": "hourly"})
        assert synthesize_event(aws, "step", {"x": 1}) == ("step", {"x": 1})
        raw = {"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": "{}"}]}
        assert synthesize_event(aws, "api", raw) == ("sqs", raw)  # an AWS event in --data is sent as given


def test_invoke_reports_function_errors_and_the_cli_exits_1(stage, cli):
    url, root = stage
    provider, app = provider_and_app(root)
    queue_lambda_answer(url, {"errorType": "PaymentDeclined", "errorMessage": "card 4242 declined", "stackTrace": []})
    failed = provider.invoke(app, "step", {"x": 1}, context(root, url))
    assert failed == {"error": "PaymentDeclined", "cause": "card 4242 declined", "function": "ops-dev-step"}
    queue_lambda_answer(url, {"errorType": "TaskFailed", "errorMessage": "ValueError: boom"})
    run = cli("invoke", "step", "--data", "{}", "-p", "aws", "--endpoint-url", url, cwd=root)
    assert run.returncode == 1, run.stderr
    assert "error: function 'step' failed: TaskFailed: ValueError: boom" in run.stderr
    assert json.loads(run.stdout)["error"] == "TaskFailed" and "Traceback" not in run.stderr
    # a queue consumer that fails its message answers batchItemFailures: a failure too
    queue_lambda_answer(url, {"batchItemFailures": [{"itemIdentifier": "m-1"}]})
    failed = provider.invoke(app, "worker", {"n": 1}, context(root, url))
    assert failed["error"] == "TaskFailed" and "m-1" in failed["cause"]


def test_invoke_of_a_function_that_is_not_deployed_is_a_clear_error(stage):
    from sls_neutral.core.errors import DeployError

    url, root = stage
    provider, app = provider_and_app(root, "prod")  # a stage never deployed
    with pytest.raises(DeployError, match=r"'tick' \(ops-prod-tick\) is not deployed"):
        provider.invoke(app, "tick", None, context(root, url))
    with pytest.raises(DeployError, match="is not deployed"):
        provider.workflow_start(app, "flow", {}, context(root, url))


def _put_log(url: str, group: str, message: str, stream: str = "2026/01/01/[$LATEST]abcdef0123",
             ago_s: float = 0) -> None:
    logs = boto3.client("logs", endpoint_url=url, region_name="us-east-1")
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": int((time.time() - ago_s) * 1000), "message": message}])


def test_logs_reads_the_functions_log_group_and_tail_follows_it(stage, monkeypatch):
    from sls_neutral.core import remote

    url, root = stage
    provider, app = provider_and_app(root)
    ctx = context(root, url)
    assert provider.logs(app, "listener", ctx) == []  # no log group yet: nothing, not an error
    _put_log(url, "/aws/lambda/ops-dev-worker", '{"level": "info", "message": "got"}')
    _put_log(url, "/aws/lambda/ops-dev-api", "not this function")
    lines = [json.loads(line) for line in provider.logs(app, "worker", ctx)]  # one JSON object a line, as local
    assert len(lines) == 1 and lines[0]["message"] == "got" and lines[0]["level"] == "info"
    assert lines[0]["function"] == "worker" and lines[0]["time"].startswith("20") and lines[0]["log_stream"]

    printed = io.StringIO()
    polls = []

    def sleep(seconds):  # each poll: first a new line arrives, then Ctrl-C
        polls.append(seconds)
        if len(polls) == 1:
            _put_log(url, "/aws/lambda/ops-dev-worker", "second line")
        else:
            raise KeyboardInterrupt

    original = remote.follow
    monkeypatch.setattr(remote, "follow", lambda fetch, interval: original(fetch, interval, out=printed, sleep=sleep))
    assert provider.logs(app, "worker", ctx, tail=True) is None
    out = [json.loads(line) for line in printed.getvalue().splitlines()]
    assert [line["message"] for line in out] == ["got", "second line"]  # each line printed once
    assert polls == [0.2, 0.2]


def test_logs_since_moves_the_start_of_the_window(stage):
    from dataclasses import replace

    from sls_neutral.core import remote

    url, root = stage
    provider, app = provider_and_app(root)
    group = "/aws/lambda/ops-dev-tick"
    _put_log(url, group, "three hours ago", ago_s=3 * 3600)
    _put_log(url, group, "two minutes ago", ago_s=120)

    def messages(since=None):
        ctx = context(root, url)
        if since is not None:
            ctx = replace(ctx, options={remote.LOGS_SINCE: time.time() - since})
        return [json.loads(line)["message"] for line in provider.logs(app, "tick", ctx)]

    assert messages() == ["two minutes ago"]  # without --since: the last hour
    assert messages(since=4 * 3600) == ["three hours ago", "two minutes ago"]  # further back than the hour
    assert messages(since=60) == []  # newer than both


def test_workflow_start_wait_status_history_on_step_functions(stage, cli):
    url, root = stage
    provider, app = provider_and_app(root)
    ctx = context(root, url)
    started = provider.workflow_start(app, "flow", {"order": 1}, ctx)
    arn = started["execution_id"]
    assert arn.startswith("arn:aws:states:us-east-1:123456789012:execution:ops-dev-flow:")
    sfn = boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1")
    sent = json.loads(sfn.describe_execution(executionArn=arn)["input"])
    assert sent["order"] == 1 and sent["_slsn"]["correlation_id"]  # the starter's envelope

    done = provider.workflow_start(app, "flow", {"order": 2}, ctx, wait=True)
    assert done["status"] == "SUCCEEDED", done
    assert done["workflow"] == "flow" and done["input"] == {"order": 2} and done["stopped"]
    # the step (the simple backend) echoes its input into $.out; the envelope is not shown at the top level
    assert done["output"]["order"] == 2 and done["output"]["out"]["order"] == 2 and "_slsn" not in done["output"]

    status = provider.workflow_status(app, done["execution_id"], ctx)
    assert status["status"] == "SUCCEEDED" and status["execution_id"] == done["execution_id"]
    short = provider.workflow_status(app, done["execution_id"].rsplit(":", 1)[-1], ctx)  # the name alone works
    assert short["execution_id"] == done["execution_id"]

    history = provider.workflow_history(app, done["execution_id"], ctx)
    types = [e["type"] for e in history]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert "StepStarted" in types and "CallSucceeded" in types
    assert [e["seq"] for e in history] == sorted(e["seq"] for e in history)
    assert {e["step"] for e in history if e["type"] == "CallSucceeded"} <= {e["step"] for e in history
                                                                           if e["type"] == "StepStarted"}
    assert history[0]["detail"]["input"] == {"order": 2}
    # the manifest's step names, not the compiled states' (tidy-up's second assignment is the state tidy-up.2)
    assert [(e["type"], e["step"], e["detail"].get("state")) for e in history if e["type"].startswith("Step")] == [
        ("StepStarted", "one", None), ("StepSucceeded", "one", None),
        ("StepStarted", "charge-card", None), ("StepSucceeded", "charge-card", None),
        ("StepStarted", "tidy-up", None), ("StepSucceeded", "tidy-up", None),
        ("StepStarted", "tidy-up", "tidy-up.2"), ("StepSucceeded", "tidy-up", "tidy-up.2")]
    assert [e["step"] for e in history if e["type"] == "CallSucceeded"] == ["one", "charge-card"]

    text = cli("workflow", "history", done["execution_id"], "-p", "aws", "--endpoint-url", url, cwd=root)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["SEQ", "TIME", "TYPE", "STEP", "DETAIL"] and len(lines) == len(history) + 1
    assert "ExecutionStarted" in lines[1] and '{"input": {"order": 2}}' in lines[1] and "{'" not in text.stdout

    from sls_neutral.core.errors import SlsnError

    with pytest.raises(SlsnError, match="not found"):
        provider.workflow_status(app, "no-such-execution", ctx)


def test_a_failed_step_fails_the_execution_with_its_error_name(stage, cli):
    url, root = stage
    provider, app = provider_and_app(root)
    queue_lambda_answer(url, {"errorType": "PaymentDeclined", "errorMessage": "card declined"})
    failed = provider.workflow_start(app, "flow", {"order": 3}, context(root, url), wait=True)
    assert (failed["status"], failed["error"]) == ("FAILED", "PaymentDeclined") and failed["cause"] == "card declined"
    history = provider.workflow_history(app, failed["execution_id"], context(root, url))
    step_failed = next(e for e in history if e["type"] == "StepFailed")
    assert step_failed["step"] == "one" and step_failed["detail"]["error"] == "PaymentDeclined"
    assert history[-1]["type"] == "ExecutionFailed"
    queue_lambda_answer(url, {"errorType": "PaymentDeclined", "errorMessage": "card declined"})
    run = cli("workflow", "start", "flow", "--wait", "-p", "aws", "--endpoint-url", url, "--output", "json", cwd=root)
    assert run.returncode == 1 and json.loads(run.stdout)["error"] == "PaymentDeclined", run.stderr
