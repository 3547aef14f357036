"""Talk to a deployed AWS stage: invoke a function, read its logs, start and read workflow executions.

Physical names are the ones the template gives (providers/aws/names.py: ``FunctionName`` and the state
machine's ``Name`` are set from them, so no stack lookup is needed); ARNs are built from the caller's
account and partition (STS). Every client honours ``--endpoint-url`` (a moto server in tests).

- ``invoke``: ``lambda.invoke`` (RequestResponse, no retry) with the event the function's first trigger would
  send, in AWS's shape -- an API Gateway HTTP API 2.0 request, an SQS/SNS/S3 record, the EventBridge Scheduler
  input the template writes, or the bare input of a workflow step. ``--data`` that already is an AWS event
  (``event_kind`` of the AWS adapter is not "step") is sent unchanged. A ``FunctionError`` becomes
  ``{"error": errorType, "cause": errorMessage}``; so does a failed SQS message (``batchItemFailures``).
- ``logs``: CloudWatch Logs ``filter_log_events`` on ``/aws/lambda/<name>`` over the last hour; ``--tail``
  polls from the last event's time until Ctrl-C.
- workflows: Step Functions ``start_execution`` (the input gets the ``_slsn`` correlation envelope, as the HTTP
  starter sends it), ``describe_execution`` (``--wait`` polls it) and ``get_execution_history`` mapped to the
  local engine's event names and the manifest's step names (``asl_step_names``; the state's own name stays in
  ``detail.state`` where it differs).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import quote_plus

from sls_neutral.core import ir, remote
from sls_neutral.core.errors import DeployError, SlsnError, did_you_mean
from sls_neutral.core.provider import DeployContext
from sls_neutral.providers.aws.names import Names

SFN_STATUS = {"RUNNING": "RUNNING", "SUCCEEDED": "SUCCEEDED", "FAILED": "FAILED", "TIMED_OUT": "TIMED_OUT",
              "ABORTED": "ABORTED", "PENDING_REDRIVE": "FAILED"}
# Step Functions history event type -> the local engine's name (others keep their AWS name).
HISTORY_TYPES = {
    "ExecutionStarted": "ExecutionStarted", "ExecutionSucceeded": "ExecutionSucceeded",
    "ExecutionFailed": "ExecutionFailed", "ExecutionTimedOut": "ExecutionTimedOut",
    "ExecutionAborted": "ExecutionAborted", "ExecutionRedriven": "ExecutionResumed",
    "LambdaFunctionScheduled": "CallScheduled", "LambdaFunctionStarted": "CallStarted",
    "LambdaFunctionSucceeded": "CallSucceeded", "LambdaFunctionFailed": "StepFailed",
    "LambdaFunctionTimedOut": "StepFailed", "LambdaFunctionScheduleFailed": "StepFailed",
    "LambdaFunctionStartFailed": "StepFailed", "TaskFailed": "StepFailed", "TaskTimedOut": "StepFailed",
    "TaskSucceeded": "CallSucceeded", "WaitStateEntered": "TimerStarted", "WaitStateExited": "TimerFired",
}


class _Aws:
    """One command's view of the stage: names, clients, account."""

    def __init__(self, app: ir.App, settings: dict[str, Any], ctx: DeployContext):
        from sls_neutral.providers.aws.deploy.clients import Clients

        self.app = app
        self.settings = settings
        self.ctx = ctx
        self.clients = Clients(settings, ctx)
        self.names = Names(app.service, app.stage)
        self.region = self.clients.region
        self._identity: tuple[str, str] | None = None

    def identity(self) -> tuple[str, str]:
        """(partition, account) of the caller."""
        if self._identity is None:
            try:
                arn = self.clients("sts").get_caller_identity()["Arn"]
            except Exception as exc:  # noqa: BLE001 - botocore's many credential and connection errors
                raise DeployError(f"cannot reach AWS with the current credentials: {exc}",
                                  hint="configure credentials (aws configure, AWS_PROFILE or environment "
                                       "variables); --endpoint-url points at a local emulator") from None
            parts = arn.split(":")
            self._identity = (parts[1] or "aws", parts[4])
        return self._identity

    def arn(self, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
        partition, acct = self.identity()
        return f"arn:{partition}:{service}:{self.region if regional else ''}:{acct if account else ''}:{resource}"

    def client(self, service: str, *, read_timeout: float | None = None, retries: int | None = None) -> Any:
        if read_timeout is None and retries is None:
            return self.clients(service)
        from botocore.config import Config

        config = Config(read_timeout=read_timeout or 60, connect_timeout=10,
                        retries={"max_attempts": retries if retries is not None else 8, "mode": "standard"})
        return self.clients.session.client(service, endpoint_url=self.ctx.endpoint_url, config=config)


def _aws_error(exc: Exception, what: str, hint: str) -> DeployError:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "") if hasattr(exc, "response") else ""
    return DeployError(f"{what}: {code + ': ' if code else ''}{exc}", hint=hint)


# ---------------------------------------------------------------- invoke
def synthesize_event(aws: _Aws, function: str, data: Any) -> tuple[str, Any]:
    """(kind, Lambda event) for ``function`` as its first trigger would call it on AWS."""
    from sls_neutral.providers.local.synth import synthesize

    from sls_neutral.runtime.adapters.aws import event_kind

    fn = aws.app.functions[function]
    if data is not None and event_kind(data) != "step":
        return event_kind(data), data  # already an AWS event: sent as given
    _kind, payload = synthesize(aws.app, function, data)  # validates path parameters and bucket keys
    trigger = fn.triggers[0] if fn.triggers else None
    now = time.time()
    if isinstance(trigger, ir.HttpTrigger):
        body = base64.b64decode(payload["body_b64"])
        headers = {**payload["headers"], "x-correlation-id": payload["correlation_id"]}
        route_key = f"{trigger.method} {trigger.path}"
        return "http", {
            "version": "2.0", "routeKey": route_key, "rawPath": payload["path"], "rawQueryString": "",
            "headers": headers, "pathParameters": payload["path_params"] or None,
            "requestContext": {"accountId": "anonymous", "apiId": "sls-neutral-invoke", "domainName": "invoke",
                               "http": {"method": payload["method"], "path": payload["path"], "protocol": "HTTP/1.1",
                                        "sourceIp": "127.0.0.1", "userAgent": "sls-neutral-invoke"},
                               "requestId": uuid.uuid4().hex, "routeKey": route_key, "stage": "$default",
                               "timeEpoch": int(now * 1000)},
            "body": body.decode("utf-8") if body else None, "isBase64Encoded": False}
    if isinstance(trigger, ir.QueueTrigger):
        queue = aws.app.queues.get(trigger.queue)
        physical = aws.names.queue(trigger.queue, bool(queue and queue.fifo))
        message_id = str(uuid.uuid4())
        correlation = payload.get("correlation_id") or uuid.uuid4().hex
        return "sqs", {"Records": [{
            "messageId": message_id, "receiptHandle": f"sls-neutral-invoke-{message_id}",
            "body": _text(data), "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(now * 1000)),
                                                "SenderId": "sls-neutral-invoke",
                                                "ApproximateFirstReceiveTimestamp": str(int(now * 1000))},
            "messageAttributes": {"slsn-correlation-id": {"stringValue": correlation, "dataType": "String"}},
            "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": aws.arn("sqs", physical),
            "awsRegion": aws.region}]}
    if isinstance(trigger, ir.TopicTrigger):
        topic_arn = aws.arn("sns", aws.names.topic(trigger.topic))
        return "sns", {"Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": f"{topic_arn}:sls-neutral-invoke",
            "Sns": {"Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": topic_arn, "Subject": None,
                    "Message": _text(data), "Timestamp": remote.iso(now), "MessageAttributes": {
                        "slsn-correlation-id": {"Type": "String", "Value": payload.get("correlation_id") or ""}}}}]}
    if isinstance(trigger, ir.BucketTrigger):
        info = payload["event"]["data"]
        created = payload["event"]["type"].endswith("created")
        partition, account = aws.identity()
        bucket = aws.names.bucket_sub(trigger.bucket).replace("${AWS::AccountId}", account).replace(
            "${AWS::Region}", aws.region)
        return "s3", {"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": aws.region, "eventTime": remote.iso(now),
            "eventName": "ObjectCreated:Put" if created else "ObjectRemoved:Delete",
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "sls-neutral-invoke",
                   "bucket": {"name": bucket, "arn": f"arn:{partition}:s3:::{bucket}"},
                   "object": {"key": quote_plus(info["key"], safe="/"), "size": info.get("size") or 0,
                              "eTag": info.get("etag") or "", "sequencer": f"{int(now * 1e6):X}"}}}]}
    if isinstance(trigger, ir.ScheduleTrigger):
        return "schedule", {"slsn": "schedule", "schedule": f"{fn.name}:0", "time": remote.iso(now),
                            "id": str(uuid.uuid4()), "data": trigger.data if data is None else data}
    return "step", data


def _text(data: Any) -> str:
    return data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))


def _tail_error(log_result: str | None) -> tuple[str, str] | None:
    """The adapter's ``{"level": "error", "error", "cause"}`` line from the invocation's log tail."""
    if not log_result:
        return None
    try:
        text = base64.b64decode(log_result).decode("utf-8", "replace")
    except ValueError:
        return None
    for line in reversed(text.splitlines()):
        start = line.find("{")
        if start < 0:
            continue
        try:
            record = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("level") == "error" and record.get("error"):
            return str(record["error"]), str(record.get("cause") or "")
    return None


def invoke(app: ir.App, settings: dict[str, Any], function: str, data: Any, ctx: DeployContext) -> dict[str, Any]:
    aws = _Aws(app, settings, ctx)
    kind, event = synthesize_event(aws, function, data)
    physical = aws.names.function(function)
    fn = app.functions[function]
    client = aws.client("lambda", read_timeout=float(fn.timeout) + 60, retries=0)  # never run it twice
    try:
        reply = client.invoke(FunctionName=physical, InvocationType="RequestResponse", LogType="Tail",
                              Payload=json.dumps(event).encode("utf-8"))
    except Exception as exc:
        if type(exc).__name__ == "ResourceNotFoundException":
            raise DeployError(f"function '{function}' ({physical}) is not deployed in {aws.region}",
                              hint="run 'sls-neutral deploy -p aws' first") from None
        if getattr(exc, "response", None) is None and not type(exc).__module__.startswith("botocore"):
            raise
        raise _aws_error(exc, f"invoking {physical} failed", "check the stage, the region and your credentials")
    raw = reply["Payload"].read()
    value = remote.json_or_text(raw)
    if reply.get("FunctionError"):
        error = value if isinstance(value, dict) else {}
        return {"error": str(error.get("errorType") or "FunctionError"),
                "cause": str(error.get("errorMessage") or (raw.decode("utf-8", "replace") if raw else
                                                           reply["FunctionError"])),
                "function": physical}
    if kind == "http" and isinstance(value, dict) and "statusCode" in value:
        body = value.get("body") or ""
        data_bytes = base64.b64decode(body) if value.get("isBase64Encoded") else str(body).encode("utf-8")
        headers = dict(value.get("headers") or {})
        if value.get("cookies"):
            headers["set-cookie"] = list(value["cookies"])
        return remote.http_result(int(value["statusCode"]), headers, data_bytes)
    if kind == "sqs":
        failures = (value or {}).get("batchItemFailures") if isinstance(value, dict) else None
        if failures:
            name, cause = _tail_error(reply.get("LogResult")) or (
                "TaskFailed", f"the handler failed on message {failures[0].get('itemIdentifier')}")
            return {"error": name, "cause": cause, "function": physical}
        return {"ok": True}
    if kind in ("sns", "s3", "schedule"):
        return {"ok": True}
    return {"result": value}  # a step's output (or an HTTP function's answer that is no HTTP API result)


# ---------------------------------------------------------------- logs
def log_group(names: Names, function: str) -> str:
    return f"/aws/lambda/{names.function(function)}"


def _events(client: Any, group: str, start_ms: int, limit: int = remote.MAX_LOG_LINES) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms, "interleaved": True}
    while True:
        try:
            page = client.filter_log_events(**kwargs)
        except Exception as exc:  # noqa: BLE001 - botocore errors are told apart by name
            if type(exc).__name__ == "ResourceNotFoundException":
                return out  # no invocation has written a log yet
            raise _aws_error(exc, f"reading log group {group} failed", "check the stage, region and credentials")
        out.extend(page.get("events", []))
        token = page.get("nextToken")
        if not token or len(out) >= limit or token == kwargs.get("nextToken"):
            return out[:limit]
        kwargs["nextToken"] = token


def logs(app: ir.App, settings: dict[str, Any], function: str, ctx: DeployContext, *,
         tail: bool = False) -> list[str] | None:
    aws = _Aws(app, settings, ctx)
    group = log_group(aws.names, function)
    client = aws.clients("logs")
    since = int(remote.logs_since(ctx) * 1000)  # --since, or the last hour
    seen = remote.Seen()

    def fetch() -> list[str]:
        nonlocal since
        lines = []
        for event in sorted(_events(client, group, since), key=lambda e: (e["timestamp"], e.get("eventId", ""))):
            if not seen.add(event.get("eventId") or f"{event['timestamp']}:{event['message']}"):
                continue
            since = max(since, int(event["timestamp"]))
            lines.append(remote.log_line(event["timestamp"] / 1000.0, event["message"], function,
                                         log_stream=event.get("logStreamName")))
        return lines

    if not tail:
        return fetch()
    remote.follow(fetch, remote.poll_interval(ctx.endpoint_url))
    return None


# ---------------------------------------------------------------- workflows
def _machine_arn(aws: _Aws, workflow: str) -> str:
    return aws.arn("states", f"stateMachine:{aws.names.state_machine(workflow)}")


def _workflow_of(aws: _Aws, execution_arn: str) -> str | None:
    parts = execution_arn.split(":")
    machine = parts[6] if len(parts) > 6 else ""
    for name in aws.app.workflows:
        if aws.names.state_machine(name) == machine:
            return name
    return None


def _describe(aws: _Aws, execution_id: str) -> dict[str, Any]:
    sfn = aws.clients("stepfunctions")
    candidates = [execution_id] if execution_id.startswith("arn:") else [
        aws.arn("states", f"execution:{aws.names.state_machine(w)}:{execution_id}") for w in sorted(aws.app.workflows)]
    last: Exception | None = None
    for arn in candidates:
        try:
            return sfn.describe_execution(executionArn=arn)
        except Exception as exc:  # noqa: BLE001 - botocore errors are told apart by name
            if type(exc).__name__ not in ("ExecutionDoesNotExist", "InvalidArn"):
                raise _aws_error(exc, f"reading execution {execution_id} failed",
                                 "check the id, the stage and your credentials")
            last = exc
    raise SlsnError(f"execution '{execution_id}' not found in {aws.region}",
                    hint="give the execution ARN that 'workflow start' printed" + (f" ({last})" if last else ""))


def _status(aws: _Aws, described: dict[str, Any]) -> dict[str, Any]:
    status = SFN_STATUS.get(described["status"], described["status"])
    out: dict[str, Any] = {"execution_id": described["executionArn"],
                           "workflow": _workflow_of(aws, described["executionArn"]) or
                           described.get("stateMachineArn", "").rsplit(":", 1)[-1],
                           "status": status, "input": remote.without_envelope(remote.json_or_text(
                               described.get("input"))),
                           "started": remote.iso(described.get("startDate")),
                           "stopped": remote.iso(described.get("stopDate")) or None}
    if status == "SUCCEEDED":
        out["output"] = remote.without_envelope(remote.json_or_text(described.get("output")))
    elif status in ("FAILED", "TIMED_OUT", "ABORTED") and (described.get("error") or status != "ABORTED"):
        out["error"] = described.get("error") or ("Timeout" if status == "TIMED_OUT" else "Failed")
        out["cause"] = _cause(described.get("cause"))
    return out


def _cause(text: Any) -> str:
    """Step Functions passes a Lambda error on as its JSON (errorMessage, errorType, stackTrace): the message."""
    value = remote.json_or_text(text)
    if isinstance(value, dict) and "errorMessage" in value:
        return str(value["errorMessage"])
    return "" if text is None else str(text)


def workflow_start(app: ir.App, settings: dict[str, Any], workflow: str, data: Any, ctx: DeployContext, *,
                   wait: bool = False) -> dict[str, Any]:
    from sls_neutral.runtime.dispatch import workflow_input

    if workflow not in app.workflows:
        raise SlsnError(f"workflow '{workflow}' is not declared",
                        hint=did_you_mean(workflow, app.workflows) or "see 'sls-neutral info -p aws'")
    aws = _Aws(app, settings, ctx)
    arn = _machine_arn(aws, workflow)
    document = workflow_input(data if data is not None else {}, uuid.uuid4().hex)
    try:
        started = aws.clients("stepfunctions").start_execution(stateMachineArn=arn, name=str(uuid.uuid4()),
                                                               input=json.dumps(document, sort_keys=True))
    except Exception as exc:  # noqa: BLE001 - botocore errors are told apart by name
        if type(exc).__name__ == "StateMachineDoesNotExist":
            raise DeployError(f"workflow '{workflow}' ({arn.rsplit(':', 1)[-1]}) is not deployed in {aws.region}",
                              hint="run 'sls-neutral deploy -p aws' first") from None
        raise _aws_error(exc, f"starting workflow '{workflow}' failed", "check the stage and your credentials")
    execution = started["executionArn"]
    if not wait:
        return {"execution_id": execution}
    interval = remote.poll_interval(ctx.endpoint_url)
    deadline = time.monotonic() + float(app.workflows[workflow].timeout) + 60
    while True:
        result = _status(aws, _describe(aws, execution))
        if result["status"] != "RUNNING" or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def workflow_status(app: ir.App, settings: dict[str, Any], execution_id: str, ctx: DeployContext) -> dict[str, Any]:
    aws = _Aws(app, settings, ctx)
    return _status(aws, _describe(aws, execution_id))


def _details(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def history_event(event: dict[str, Any], step: str | None, state: str | None = None) -> dict[str, Any]:
    """One Step Functions history event in the neutral shape: ``step`` is the manifest step, ``state`` the
    compiled state's name, kept in ``detail["state"]`` where it differs (``tidy.2``, the terminal ``Done``)."""
    aws_type = event["type"]
    details = _details(event)
    if aws_type.endswith("StateEntered") and aws_type != "WaitStateEntered":
        neutral = "StepStarted"
    elif aws_type.endswith("StateExited") and aws_type != "WaitStateExited":
        neutral = "StepSucceeded"  # a state that fails is not exited: its error event says so
    else:
        neutral = HISTORY_TYPES.get(aws_type, aws_type)
    detail: dict[str, Any] = {}
    for key in ("input", "output"):
        if key in details and aws_type in ("ExecutionStarted", "ExecutionSucceeded"):
            detail[key] = remote.without_envelope(remote.json_or_text(details[key]))
    if details.get("error"):
        detail["error"] = details["error"]
    if details.get("cause"):
        detail["cause"] = _cause(details["cause"])
    if aws_type.endswith("TimedOut") and "error" not in detail:
        detail["error"] = "Timeout"
    if aws_type != neutral:
        detail["aws"] = aws_type
    if state is not None and state != step:
        detail["state"] = state
    return {"seq": event["id"], "time": remote.iso(event.get("timestamp")), "type": neutral, "step": step,
            "detail": detail}


def workflow_history(app: ir.App, settings: dict[str, Any], execution_id: str,
                     ctx: DeployContext) -> list[dict[str, Any]]:
    aws = _Aws(app, settings, ctx)
    arn = _describe(aws, execution_id)["executionArn"]
    sfn = aws.clients("stepfunctions")
    raw: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        raw.extend(page.get("events", []))
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    origins = _step_origins(aws, arn)
    states: dict[int, str | None] = {}
    out = []
    for event in sorted(raw, key=lambda e: e["id"]):
        name = _details(event).get("name") if event["type"].endswith(("StateEntered", "StateExited")) else None
        state = None if event["type"].startswith("Execution") else name or states.get(
            event.get("previousEventId") or 0)
        states[event["id"]] = state
        # a state the current manifest does not compile to (an older deployment) keeps its own name
        step = origins.get(state, state) if state is not None else None
        out.append(history_event(event, step, state))
    return out


def _step_origins(aws: _Aws, execution_arn: str) -> dict[str, str | None]:
    """The workflow's state names -> manifest step names (core/workflows/asl.py compiles the same names)."""
    from sls_neutral.core.workflows.asl import asl_step_names

    workflow = _workflow_of(aws, execution_arn)
    return asl_step_names(aws.app.workflows[workflow]) if workflow else {}
