"""The AWS adapter with real Lambda event samples (../shared/fixtures/aws-events) and the reference handlers.

The backend runs on boto3 against moto (in-process), so ``ctx.bucket/queue/topic/secret/workflow`` do real
S3/SQS/SNS/Secrets Manager/Step Functions calls.
"""

from __future__ import annotations

import base64
import os
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared"
REFERENCE_SRC = REPO / "examples" / "reference"

pytest.importorskip("sls_neutral.runtime.dispatch")
aws = pytest.importorskip("sls_neutral.runtime.adapters.aws")


def sample(name: str) -> dict:
    path = SHARED / "fixtures" / "aws-events" / name
    if not path.exists():
        pytest.skip(f"../shared/fixtures/aws-events/{name} is not present beside the project")
    return json.loads(path.read_text())


class LambdaContext:
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 5000


@pytest.fixture
def cloud(monkeypatch):
    """moto in-process with the reference service's resources, and the SLSN_* environment of a function."""
    moto = pytest.importorskip("moto")
    import boto3

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with moto.mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="photo-app-dev-photos")
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName="photo-app-dev-resize-jobs")["QueueUrl"]
        topic_arn = boto3.client("sns").create_topic(Name="photo-app-dev-photo-events")["TopicArn"]
        boto3.client("secretsmanager").create_secret(Name="photo-app/dev/stripe-key", SecretString="sk_test")
        resources = {"bucket:photos": "photo-app-dev-photos", "queue:resize-jobs": queue_url,
                     "topic:photo-events": topic_arn, "secret:stripe-key": "photo-app/dev/stripe-key"}
        monkeypatch.syspath_prepend(str(REFERENCE_SRC))

        def function(name: str, handler: str, grants: str) -> None:
            env = {"SLSN_PROVIDER": "aws", "SLSN_SERVICE": "photo-app", "SLSN_STAGE": "dev", "SLSN_FUNCTION": name,
                   "SLSN_HANDLER": handler, "SLSN_GRANTS": grants, "SLSN_RESOURCES": json.dumps(resources),
                   "SLSN_SECRET_ENV": "{}", "SLSN_TIMEOUT_MS": "10000",
                   "SLSN_TRIGGERS": json.dumps({"queue:photo-app-dev-resize-jobs": "resize-jobs",
                                                "topic:photo-app-dev-photo-events": "photo-events",
                                                "bucket:photo-app-dev-photos": "photos"})}
            for key, value in env.items():
                monkeypatch.setenv(key, value)
            aws.reset_backend(None)

        yield {"s3": s3, "sqs": sqs, "queue_url": queue_url, "topic_arn": topic_arn, "function": function}
        aws.reset_backend(None)


# ---------------------------------------------------------------- shapes
@pytest.mark.parametrize("name,kind", [("apigateway_http-api-proxy.json", "http"), ("sqs_receive-message.json", "sqs"),
                                       ("s3_put.json", "s3"), ("sns_notification.json", "sns"),
                                       ("cloudwatch_scheduled-event.json", "schedule"),
                                       ("stepfunctions_error.json", "step")])
def test_event_kinds_of_real_samples(name, kind):
    assert aws.event_kind(sample(name)) == kind


def test_http_sample_becomes_a_request():
    event = sample("apigateway_http-api-proxy.json")
    request = aws.to_request(event)
    assert request.method == event["requestContext"]["http"]["method"]
    assert request.path == event["rawPath"]
    assert request.query["parameter1"] == ["value1", "value2"]  # repeated keys kept apart
    assert request.headers.get("cookie") == "cookie1; cookie2"
    assert request.headers.get("HEADER2") == "value1,value2"
    assert request.body == base64.b64decode(event["body"])


def test_route_is_the_manifest_trigger_as_method_and_path():
    """request.route is "METHOD /path/{param}" on every provider (local: providers/local/synth.py and server.py)."""
    event = sample("apigateway_http-api-proxy.json")
    event["routeKey"] = "GET /items/{id}"
    event["rawPath"], event["pathParameters"] = "/items/42", {"id": "42"}
    event["requestContext"]["http"]["method"] = "GET"
    request = aws.to_request(event)
    assert request.route == "GET /items/{id}" and request.path == "/items/42" and request.path_params == {"id": "42"}
    event["routeKey"] = "ANY /files/{path+}"
    assert aws.to_request(event).route == "ANY /files/{path+}"
    # the sample as generated: the catch-all $default route has no template, so the request's own method and path
    default = sample("apigateway_http-api-proxy.json")
    assert default["routeKey"] == "$default"
    assert aws.to_request(default).route == f"{default['requestContext']['http']['method']} {default['rawPath']}"


def test_response_bodies_and_cookies():
    from sls_neutral.runtime import Response

    text = aws.to_http_response(Response(200, {"a": 1}, {"Set-Cookie": "s=1"}))
    assert text["isBase64Encoded"] is False and json.loads(text["body"]) == {"a": 1}
    assert text["cookies"] == ["s=1"] and "Set-Cookie" not in text["headers"]
    binary = aws.to_http_response(Response.from_return(b"\x00\xff"))
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == b"\x00\xff"


def test_s3_keys_are_url_decoded():
    record = sample("s3_put.json")["Records"][0]
    record["s3"]["object"]["key"] = "uploads/my+photo%282%29.jpg"
    event = aws.bucket_event(record)
    assert event.data["key"] == "uploads/my photo(2).jpg"
    assert event.type == "sls.bucket.object.created"


def test_named_errors_carry_the_step_error_name():
    error = aws.named_error("PaymentDeclined", "card refused")
    assert type(error).__name__ == "PaymentDeclined" and str(error) == "card refused"
    assert aws.named_error("PaymentDeclined", "x").__class__ is type(error)  # one class per name


# ---------------------------------------------------------------- the reference handlers, unchanged
def test_api_post_writes_to_the_bucket(cloud):
    cloud["function"]("api", "src.api:handle", "bucket:photos:write,queue:resize-jobs:send")
    event = sample("apigateway_http-api-proxy.json")
    event["requestContext"]["http"]["method"] = "POST"
    result = aws.handler(event, LambdaContext())
    assert result["statusCode"] == 201
    key = json.loads(result["body"])["key"]
    stored = cloud["s3"].get_object(Bucket="photo-app-dev-photos", Key=key)["Body"].read()
    assert stored == base64.b64decode(event["body"])


def test_api_get_reads_path_parameters(cloud):
    cloud["function"]("api", "src.api:handle", "bucket:photos:write")
    event = sample("apigateway_http-api-proxy.json")
    event["requestContext"]["http"]["method"] = "GET"
    event["pathParameters"] = {"id": "42"}
    result = aws.handler(event, LambdaContext())
    assert result["statusCode"] == 200 and json.loads(result["body"]) == {"id": "42"}


def test_bucket_event_sends_to_queue_and_topic(cloud):
    cloud["function"]("on-upload", "src.meta:on_upload", "queue:resize-jobs:send,topic:photo-events:publish")
    event = sample("s3_put.json")
    event["Records"][0]["s3"]["bucket"]["name"] = "photo-app-dev-photos"
    event["Records"][0]["s3"]["object"]["key"] = "uploads/a+b.jpg"
    assert aws.handler(event, LambdaContext()) is None
    messages = cloud["sqs"].receive_message(QueueUrl=cloud["queue_url"], MessageAttributeNames=["All"])["Messages"]
    assert json.loads(messages[0]["Body"]) == {"bucket": "photos", "key": "uploads/a b.jpg"}


def test_sqs_batch_reports_only_the_failed_message(cloud):
    cloud["function"]("resize", "src.resize:resize", "bucket:photos:read,bucket:photos:write,queue:resize-jobs:consume")
    cloud["s3"].put_object(Bucket="photo-app-dev-photos", Key="uploads/x.jpg", Body=b"pixels")
    event = sample("sqs_receive-message.json")
    good = dict(event["Records"][0], messageId="good", body=json.dumps({"key": "uploads/x.jpg"}),
                eventSourceARN="arn:aws:sqs:us-east-1:123456789012:photo-app-dev-resize-jobs")
    bad = dict(good, messageId="bad", body=json.dumps({"key": "uploads/missing.jpg"}))
    result = aws.handler({"Records": [good, bad]}, LambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert cloud["s3"].get_object(Bucket="photo-app-dev-photos", Key="thumbs/x.jpg")["Body"].read() == b"pixels"


def test_queue_event_names_the_neutral_queue(cloud):
    cloud["function"]("resize", "src.resize:resize", "queue:resize-jobs:consume")
    record = dict(sample("sqs_receive-message.json")["Records"][0],
                  eventSourceARN="arn:aws:sqs:us-east-1:123456789012:photo-app-dev-resize-jobs")
    event = aws.queue_event(record)
    assert event.type == "sls.queue.message" and event.subject == "resize-jobs"
    assert event.data == record["body"]  # not JSON: stays text


def test_sns_and_schedules_run_the_handlers(cloud, capsys):
    cloud["function"]("audit", "src.audit:record", "")
    assert aws.handler(sample("sns_notification.json"), LambdaContext()) is None
    cloud["function"]("cleanup", "src.jobs:cleanup", "")
    assert aws.handler(sample("cloudwatch_scheduled-event.json"), LambdaContext()) is None
    envelope = {"slsn": "schedule", "schedule": "cleanup:0", "time": "2026-01-01T03:00:00Z", "id": "x", "data": None}
    assert aws.event_kind(envelope) == "schedule"
    assert aws.schedule_event(envelope).time == "2026-01-01T03:00:00Z"
    assert aws.handler(envelope, LambdaContext()) is None
    logs = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert any(line.get("message") == "cleanup tick" for line in logs)


def test_step_results_and_named_errors(cloud):
    cloud["function"]("charge-card", "src.pay:charge", "")
    assert aws.handler({"id": "o1", "amount": 10}, LambdaContext()) == {"charged": 10, "id": "o1"}
    with pytest.raises(Exception) as declined:
        aws.handler({"id": "o1", "amount": 9000}, LambdaContext())
    assert type(declined.value).__name__ == "PaymentDeclined"
    cloud["function"]("validate-order", "src.orders:validate", "")
    with pytest.raises(Exception) as failed:
        aws.handler({"order": 5}, LambdaContext())  # TypeError inside the handler
    assert type(failed.value).__name__ == "TaskFailed"


def test_backend_reads_secrets_and_refuses_unknown_resources(cloud):
    cloud["function"]("api", "src.api:handle", "secret:stripe-key:read")
    backend = aws.backend()
    assert backend.secret_read("stripe-key") == "sk_test"
    assert backend is aws.backend()  # reused across warm invocations
    from sls_neutral.runtime import PermissionDenied

    with pytest.raises(PermissionDenied):
        backend.physical("bucket", "other")


def test_secret_env_is_filled_at_cold_start_from_secrets_manager(cloud, tmp_path, monkeypatch):
    from sls_neutral.runtime import dispatch
    from sls_neutral.runtime.adapters import reset_backends

    (tmp_path / "secretfn.py").write_text("import os\n\ndef handle(request, ctx):\n"
                                          "    return {'key': os.environ['STRIPE_KEY']}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    cloud["function"]("pay-api", "secretfn:handle", "secret:stripe-key:read")
    monkeypatch.setenv("SLSN_SECRET_ENV", json.dumps({"STRIPE_KEY": "stripe-key"}))
    monkeypatch.delenv("STRIPE_KEY", raising=False)
    dispatch.clear_handlers()
    reset_backends()
    try:
        result = aws.handler(sample("apigateway_http-api-proxy.json"), LambdaContext())
    finally:
        dispatch.clear_handlers()
        reset_backends()
        os.environ.pop("STRIPE_KEY", None)
    assert json.loads(result["body"]) == {"key": "sk_test"}


# ---------------------------------------------------------------- every path, through the entry point
PROBE = """\
import json

SEEN = []


def handle(obj, ctx):
    SEEN.append({"kind": type(obj).__name__, "correlation": ctx.correlation_id,
                 "type": getattr(obj, "type", None), "subject": getattr(obj, "subject", None),
                 "time": getattr(obj, "time", None), "data": getattr(obj, "data", obj),
                 "route": getattr(obj, "route", None)})
    if isinstance(obj, dict) and obj.get("fail"):
        raise RuntimeError("asked to fail")
    if type(obj).__name__ == "Request":
        from sls_neutral.runtime import Response
        return Response(200, {"ok": True}, {"Set-Cookie": "a=1", "X-Id": "7"})
    return obj if isinstance(obj, dict) else None
"""


@pytest.fixture
def probe(cloud, tmp_path, monkeypatch):
    """A handler that records what the adapter handed it (and the correlation id its ctx carries)."""
    import importlib
    import sys

    from sls_neutral.runtime import dispatch

    (tmp_path / "slsn_probe.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("slsn_probe", None)
    dispatch.clear_handlers()
    cloud["function"]("probe", "slsn_probe:handle", "queue:resize-jobs:send,topic:photo-events:publish")
    yield importlib.import_module("slsn_probe").SEEN
    dispatch.clear_handlers()
    sys.modules.pop("slsn_probe", None)


def test_sqs_round_trip_keeps_binary_bodies_and_the_correlation_id(cloud, probe):
    """ctx.queue().send of non-UTF-8 bytes -> SQS (moto) -> the Lambda record shape -> the same bytes."""
    backend = aws.backend()
    backend.queue_send("resize-jobs", b"\xff\x00raw", 0, {"slsn-correlation-id": "corr-q"})
    backend.queue_send("resize-jobs", b'{"n": 2}', 0, {})
    received = cloud["sqs"].receive_message(QueueUrl=cloud["queue_url"], MaxNumberOfMessages=10,
                                            MessageAttributeNames=["All"], AttributeNames=["All"])["Messages"]
    template = sample("sqs_receive-message.json")["Records"][0]
    records = []
    for message in received:
        attributes = {k: {"stringValue": v["StringValue"], "dataType": v["DataType"]}
                      for k, v in (message.get("MessageAttributes") or {}).items()}  # Lambda's casing
        records.append(dict(template, messageId=message["MessageId"], body=message["Body"],
                            messageAttributes=attributes, attributes=message["Attributes"],
                            eventSourceARN="arn:aws:sqs:us-east-1:123456789012:photo-app-dev-resize-jobs"))
    assert aws.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    [binary] = [s for s in probe if isinstance(s["data"], bytes)]
    assert binary["data"] == b"\xff\x00raw" and binary["correlation"] == "corr-q"
    assert binary["type"] == "sls.queue.message" and binary["subject"] == "resize-jobs"
    assert binary["time"].endswith("Z")
    [parsed] = [s for s in probe if not isinstance(s["data"], bytes)]
    assert parsed["data"] == {"n": 2} and parsed["correlation"] == "req-1"  # none sent: the request id


def test_sns_sample_with_attributes_and_base64_body(probe):
    event = sample("sns_notification.json")
    assert aws.handler(event, LambdaContext()) is None
    plain = probe[-1]
    assert (plain["type"], plain["data"], plain["subject"]) == ("sls.topic.message", "example message",
                                                                "example subject")
    assert plain["time"] == event["Records"][0]["Sns"]["Timestamp"] and plain["correlation"] == "req-1"
    sns = event["Records"][0]["Sns"]
    sns["TopicArn"] = "arn:aws:sns:us-east-1:123456789012:photo-app-dev-photo-events"
    sns.pop("Subject")
    sns["Message"] = base64.b64encode(b"\x00\xfe").decode()
    sns["MessageAttributes"].update({"slsn-encoding": {"Type": "String", "Value": "base64"},
                                     "slsn-correlation-id": {"Type": "String", "Value": "corr-t"}})
    aws.handler(event, LambdaContext())
    assert probe[-1]["data"] == b"\x00\xfe" and probe[-1]["correlation"] == "corr-t"
    assert probe[-1]["subject"] == "photo-events"  # the neutral topic name when SNS gives no subject


def test_s3_sample_created_and_removed(probe):
    event = sample("s3_put.json")
    aws.handler(event, LambdaContext())
    record = event["Records"][0]
    assert probe[-1]["type"] == "sls.bucket.object.created" and probe[-1]["subject"] == "test/key"
    assert probe[-1]["data"] == {"bucket": "example-bucket", "key": "test/key", "size": 1024,
                                 "etag": record["s3"]["object"]["eTag"]}
    record["eventName"] = "ObjectRemoved:Delete"
    record["s3"]["bucket"]["name"] = "photo-app-dev-photos"
    aws.handler(event, LambdaContext())
    assert probe[-1]["type"] == "sls.bucket.object.deleted" and probe[-1]["data"]["bucket"] == "photos"


def test_scheduled_samples_become_ticks(probe):
    event = sample("cloudwatch_scheduled-event.json")
    aws.handler(event, LambdaContext())
    assert probe[-1]["type"] == "sls.schedule.tick" and probe[-1]["subject"] == "ExampleRule"
    assert probe[-1]["time"] == event["time"]


def test_http_sample_through_the_entry_point_with_cookies_and_correlation(probe):
    event = sample("apigateway_http-api-proxy.json")
    event["headers"]["x-correlation-id"] = "corr-h"
    result = aws.handler(event, LambdaContext())
    assert result["statusCode"] == 200 and json.loads(result["body"]) == {"ok": True}
    assert result["cookies"] == ["a=1"] and result["headers"]["X-Id"] == "7"
    assert probe[-1]["kind"] == "Request" and probe[-1]["correlation"] == "corr-h"


def test_step_functions_error_sample_is_a_step_input(probe):
    """The Catch output shape ({"Error", "Cause"}) reaching a step as its input, and a failing step."""
    event = sample("stepfunctions_error.json")
    assert aws.handler(dict(event), LambdaContext()) == event
    assert probe[-1]["kind"] == "dict" and probe[-1]["data"] == event
    with pytest.raises(Exception) as failed:
        aws.handler({"fail": True, "_slsn": {"correlation_id": "corr-s"}}, LambdaContext())
    assert type(failed.value).__name__ == "TaskFailed" and "asked to fail" in str(failed.value)
    assert probe[-1]["correlation"] == "corr-s"


def test_workflow_starter_answers_202_with_a_real_execution(cloud, monkeypatch):
    """The starter Lambda behind a workflow's http trigger, with the real HTTP API sample, on moto."""
    import boto3

    sfn = boto3.client("stepfunctions")
    role = "arn:aws:iam::123456789012:role/sfn"
    machine = sfn.create_state_machine(name="photo-app-dev-process-order", roleArn=role, definition=json.dumps(
        {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    cloud["function"]("start-process-order", "", "workflow:process-order:start")
    resources = json.loads(os.environ["SLSN_RESOURCES"])
    monkeypatch.setenv("SLSN_RESOURCES", json.dumps({**resources, "workflow:process-order": machine}))
    monkeypatch.setenv("SLSN_STARTS", "process-order")
    aws.reset_backend(None)
    event = sample("apigateway_http-api-proxy.json")
    event["isBase64Encoded"], event["body"] = False, json.dumps({"order": {"id": "o1", "amount": 5}})
    event["headers"]["x-correlation-id"] = "corr-w"
    reply = aws.start_workflow(event, LambdaContext())
    assert reply["statusCode"] == 202
    execution = json.loads(reply["body"])["execution_id"]
    started = json.loads(sfn.describe_execution(executionArn=execution)["input"])
    assert started == {"order": {"id": "o1", "amount": 5}, "_slsn": {"correlation_id": "corr-w"}}
    event["body"] = "not json"
    assert aws.start_workflow(event, LambdaContext())["statusCode"] == 400


def test_clients_are_created_lazily_and_reused(cloud):
    cloud["function"]("api", "src.api:handle", "bucket:photos:write")
    backend = aws.backend()
    assert backend._clients == {}  # nothing until a handler touches a resource
    backend.bucket_put("photos", "k", b"v", None)
    s3 = backend._clients["s3"]
    backend.bucket_get("photos", "k")
    assert backend.client("s3") is s3 and list(backend._clients) == ["s3"]
