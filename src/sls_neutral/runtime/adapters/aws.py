"""The AWS adapter: Lambda events <-> the neutral runtime, and a boto3 Backend.

Lambda calls ``handler(event, context)`` for every function (Handler
``sls_neutral.runtime.adapters.aws.handler``); the user's handler is
``SLSN_HANDLER``. The event's shape says what happened:

- API Gateway HTTP API payload 2.0 -> ``Request``/``Response`` (base64 bodies, cookies, repeated query keys),
- SQS batches -> one ``Event`` per message, failures reported as ``batchItemFailures`` (partial batch response),
- S3 notifications (keys URL-decoded), SNS notifications, EventBridge Scheduler input (and classic scheduled
  events) -> ``Event``s,
- anything else is a Step Functions task: the state is the input, the return value the output, and a
  ``StepError`` is raised again as an exception *named* after it, so the state machine's Retry/Catch match it.

Stdlib only at import time; boto3 (present in every Lambda Python runtime) is imported when a client is first
needed, and clients are reused across warm invocations.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, unquote_plus

CORRELATION_ATTRIBUTE = "slsn-correlation-id"
ENCODING_ATTRIBUTE = "slsn-encoding"
GROUP_ATTRIBUTE = "slsn-group"
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "+json", "+xml")

_lock = threading.Lock()


# ---------------------------------------------------------------- entry points
def handler(event: Any, context: Any = None) -> Any:
    """The Lambda entry point of every sls-neutral function."""
    kind = event_kind(event)
    if kind == "http":
        return handle_http(event, context)
    if kind == "sqs":
        return handle_sqs(event, context)
    if kind in ("s3", "sns"):
        for record in event["Records"]:
            evt = bucket_event(record) if kind == "s3" else topic_event(record)
            correlation = _sns_correlation(record) if kind == "sns" else None
            _run_event(evt, context, correlation)
        return None
    if kind == "schedule":
        _run_event(schedule_event(event), context, None)
        return None
    return handle_step(event, context)


def event_kind(event: Any) -> str:
    """http | sqs | s3 | sns | schedule | step, from the event's shape."""
    if not isinstance(event, dict):
        return "step"
    if event.get("version") == "2.0" and isinstance(event.get("requestContext"), dict) and "http" in \
            event["requestContext"]:
        return "http"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        source = records[0].get("eventSource") or records[0].get("EventSource")
        if source == "aws:sqs":
            return "sqs"
        if source == "aws:s3":
            return "s3"
        if source == "aws:sns":
            return "sns"
    if event.get("slsn") == "schedule":
        return "schedule"
    if event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event":
        return "schedule"
    return "step"


# ---------------------------------------------------------------- context
def _deadline(context: Any) -> float | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        return time.time() + remaining() / 1000.0
    timeout_ms = os.environ.get("SLSN_TIMEOUT_MS")
    return time.time() + int(timeout_ms) / 1000.0 if timeout_ms else None


def _context(context: Any, correlation_id: str | None = None):
    from sls_neutral.runtime import dispatch

    request_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
    return dispatch.context_from_env(request_id, deadline=_deadline(context), correlation_id=correlation_id,
                                     backend=backend())


def _user_handler():
    from sls_neutral.runtime import dispatch

    return dispatch.load_handler(os.environ["SLSN_HANDLER"])


def _source(kind: str, name: str) -> str:
    return f"//sls-neutral/{os.environ.get('SLSN_SERVICE', '')}/{os.environ.get('SLSN_STAGE', '')}/{kind}/{name}"


def _triggers() -> dict[str, str]:
    """Physical name -> neutral name of the resources that trigger this function (SLSN_TRIGGERS)."""
    try:
        return json.loads(os.environ.get("SLSN_TRIGGERS") or "{}")
    except ValueError:
        return {}


def neutral_name(kind: str, physical: str) -> str:
    """The manifest's name of a queue/topic/bucket that sent an event (the physical name when unknown)."""
    for key, name in _triggers().items():
        k, _, value = key.partition(":")
        if k != kind:
            continue
        if physical == value or (kind == "bucket" and physical.startswith(value)):
            return name
    return physical


def _run_event(evt: Any, context: Any, correlation: str | None) -> None:
    from sls_neutral.runtime import dispatch

    dispatch.run_event(_user_handler(), evt, _context(context, correlation))


def _new_event(**kwargs: Any):
    from sls_neutral.runtime import Event

    return Event(specversion="1.0", **kwargs)


def decode_data(body: bytes | str) -> Any:
    """Message bodies: JSON-decoded when they are JSON, else text (bytes that are not UTF-8 stay bytes)."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
    try:
        return json.loads(body)
    except ValueError:
        return body


# ---------------------------------------------------------------- http
def to_request(event: dict[str, Any]):
    """An HTTP API (payload 2.0) event -> Request."""
    from sls_neutral.runtime import Request

    http = event["requestContext"]["http"]
    raw_body = event.get("body") or ""
    body = base64.b64decode(raw_body) if event.get("isBase64Encoded") else raw_body.encode("utf-8")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    # rawQueryString keeps repeated keys apart (queryStringParameters comma-joins them).
    query = parse_qs(event.get("rawQueryString") or "", keep_blank_values=True)
    # The matched manifest trigger as "METHOD /path/{param}", as on every provider: HTTP API route keys
    # are exactly that ("ANY /x" for method ANY); the catch-all "$default" route has no template.
    route_key = event.get("routeKey") or "$default"
    route = route_key if " " in route_key else f"{http['method'].upper()} {event.get('rawPath') or '/'}"
    return Request(method=http["method"].upper(), path=event.get("rawPath") or http.get("path") or "/",
                   path_params=dict(event.get("pathParameters") or {}), query=query, headers=headers, body=body,
                   route=route)


def to_http_response(response: Any) -> dict[str, Any]:
    """Response -> the HTTP API (payload 2.0) result; Set-Cookie headers become ``cookies``."""
    body = response.body_bytes()
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in dict(response.headers).items():
        if key.lower() == "set-cookie":
            cookies.extend(value if isinstance(value, list) else [value])
        else:
            headers[key] = value
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    result: dict[str, Any] = {"statusCode": int(response.status), "headers": headers}
    if any(t in content_type for t in TEXT_TYPES):
        try:
            result.update(body=body.decode("utf-8"), isBase64Encoded=False)
        except UnicodeDecodeError:
            result.update(body=base64.b64encode(body).decode("ascii"), isBase64Encoded=True)
    else:
        result.update(body=base64.b64encode(body).decode("ascii"), isBase64Encoded=True)
    if cookies:
        result["cookies"] = cookies
    return result


def handle_http(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from sls_neutral.runtime import dispatch

    request = to_request(event)
    correlation = request.headers.get("x-correlation-id")
    response = dispatch.run_http(_user_handler(), request, _context(context, correlation))
    return to_http_response(response)


# ---------------------------------------------------------------- queues, topics, buckets, schedules
def _sqs_attributes(record: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in (record.get("messageAttributes") or {}).items():
        text = value.get("stringValue") if isinstance(value, dict) else None
        if text is not None:
            out[key] = text
    return out


def queue_event(record: dict[str, Any]):
    attributes = _sqs_attributes(record)
    body: bytes | str = record.get("body") or ""
    if attributes.get(ENCODING_ATTRIBUTE) == "base64":
        body = base64.b64decode(body)
    queue_physical = (record.get("eventSourceARN") or "").rsplit(":", 1)[-1]
    name = neutral_name("queue", queue_physical)
    sent = (record.get("attributes") or {}).get("SentTimestamp")
    when = _iso_millis(sent) if sent else None
    return _new_event(id=record["messageId"], source=_source("queue", name), type="sls.queue.message",
                      subject=name, time=when, datacontenttype="application/json", data=decode_data(body))


def handle_sqs(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run the handler once per message; failed messages go back to the queue (partial batch response)."""
    from sls_neutral.runtime import dispatch

    failures = []
    fn = _user_handler()
    for record in event["Records"]:
        try:
            evt = queue_event(record)
            ctx = _context(context, _sqs_attributes(record).get(CORRELATION_ATTRIBUTE))
            dispatch.run_event(fn, evt, ctx)
        except Exception as exc:  # one message's failure must not fail its batch-mates
            _log_failure("queue message failed", record.get("messageId"), exc)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _log_failure(message: str, item: Any, exc: BaseException) -> None:
    line = {"level": "error", "message": message, "item": item, "error": type(exc).__name__, "cause": str(exc),
            "function": os.environ.get("SLSN_FUNCTION")}
    print(json.dumps(line, sort_keys=True, default=str), file=__import__("sys").stderr)


def _sns_correlation(record: dict[str, Any]) -> str | None:
    attrs = (record.get("Sns") or {}).get("MessageAttributes") or {}
    value = attrs.get(CORRELATION_ATTRIBUTE)
    return value.get("Value") if isinstance(value, dict) else None


def topic_event(record: dict[str, Any]):
    sns = record["Sns"]
    topic_physical = (sns.get("TopicArn") or "").rsplit(":", 1)[-1]
    name = neutral_name("topic", topic_physical)
    body: bytes | str = sns.get("Message") or ""
    attrs = sns.get("MessageAttributes") or {}
    if (attrs.get(ENCODING_ATTRIBUTE) or {}).get("Value") == "base64":
        body = base64.b64decode(body)
    return _new_event(id=sns["MessageId"], source=_source("topic", name), type="sls.topic.message",
                      subject=sns.get("Subject") or name, time=sns.get("Timestamp"),
                      datacontenttype="application/json", data=decode_data(body))


def bucket_event(record: dict[str, Any]):
    s3 = record["s3"]
    physical = s3["bucket"]["name"]
    name = neutral_name("bucket", physical)
    key = unquote_plus(s3["object"]["key"])  # S3 URL-encodes keys in notifications ("a+b" is "a b")
    created = record.get("eventName", "").startswith("ObjectCreated")
    data = {"bucket": name, "key": key, "size": s3["object"].get("size"), "etag": s3["object"].get("eTag")}
    return _new_event(id=s3["object"].get("sequencer") or record.get("responseElements", {}).get(
        "x-amz-request-id") or str(uuid.uuid4()), source=_source("bucket", name),
        type="sls.bucket.object.created" if created else "sls.bucket.object.deleted", subject=key,
        time=record.get("eventTime"), datacontenttype="application/json", data=data)


def schedule_event(event: dict[str, Any]):
    if event.get("slsn") == "schedule":  # EventBridge Scheduler input written by the provider
        name = str(event.get("schedule") or "")
        return _new_event(id=str(event.get("id") or uuid.uuid4()), source=_source("schedule", name),
                          type="sls.schedule.tick", subject=name, time=event.get("time"),
                          datacontenttype="application/json", data=event.get("data"))
    rule = (event.get("resources") or [""])[0].rsplit("/", 1)[-1]
    return _new_event(id=event.get("id") or str(uuid.uuid4()), source=_source("schedule", rule),
                      type="sls.schedule.tick", subject=rule, time=event.get("time"),
                      datacontenttype="application/json", data=event.get("detail") or None)


def _iso_millis(millis: str) -> str:
    import datetime as dt

    when = dt.datetime.fromtimestamp(int(millis) / 1000.0, tz=dt.timezone.utc)
    return when.isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------- workflows
_error_types: dict[str, type] = {}


def named_error(name: str, message: str) -> Exception:
    """An exception whose class is called ``name``: Lambda reports it as errorType, which ASL matches."""
    cls = _error_types.get(name)
    if cls is None:
        cls = type(name, (Exception,), {"__module__": "sls_neutral.errors"})
        _error_types[name] = cls
    return cls(message)


def handle_step(payload: Any, context: Any) -> Any:
    """A Step Functions task: input in, result out; failures leave as named errors."""
    from sls_neutral.runtime import dispatch

    correlation = None
    if isinstance(payload, dict) and isinstance(payload.get("_slsn"), dict):
        correlation = payload["_slsn"].get("correlation_id")
    ctx = _context(context, correlation)
    try:
        return dispatch.run_step(_user_handler(), payload, ctx)
    except Exception as exc:  # every failure leaves with the name the workflow matches on
        error = dispatch.error_payload(exc)
        raise named_error(error["error"], error.get("cause") or "") from exc


def start_workflow(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The starter behind a workflow's http trigger: StartExecution, then 202 {"execution_id"}."""
    workflow = os.environ["SLSN_STARTS"]
    request = to_request(event)
    try:
        data = json.loads(request.body) if request.body.strip() else {}
    except ValueError:
        return {"statusCode": 400, "headers": {"content-type": "application/json"}, "isBase64Encoded": False,
                "body": json.dumps({"error": "BadRequest", "cause": "the body must be JSON"})}
    correlation = request.headers.get("x-correlation-id") or str(uuid.uuid4())
    from sls_neutral.runtime.dispatch import workflow_input

    execution_id = backend().workflow_start(workflow, workflow_input(data, correlation))
    return {"statusCode": 202, "headers": {"content-type": "application/json"}, "isBase64Encoded": False,
            "body": json.dumps({"execution_id": execution_id})}


# ---------------------------------------------------------------- the Backend
def _backend_base():
    try:
        from sls_neutral.runtime.adapters import Backend
    except ImportError:  # pragma: no cover - the runtime always ships the base
        return object
    return Backend


class AwsBackend(_backend_base()):  # type: ignore[misc]
    """Resource operations on boto3; physical ids come from SLSN_RESOURCES (neutral ``kind:name`` keys)."""

    def __init__(self, env: dict[str, str] | None = None, session: Any = None):
        self.env = env if env is not None else os.environ
        self._session = session
        self._clients: dict[str, Any] = {}
        self._resources: dict[str, str] | None = None

    # ------------------------------------------------------------ plumbing
    def client(self, service: str) -> Any:
        """One client per service for the life of the execution environment (warm invocations reuse it)."""
        client = self._clients.get(service)
        if client is None:
            with _lock:
                client = self._clients.get(service)
                if client is None:
                    if self._session is None:
                        import boto3

                        self._session = boto3.session.Session()
                    client = self._session.client(service)
                    self._clients[service] = client
        return client

    def physical(self, kind: str, name: str) -> str:
        if self._resources is None:
            self._resources = json.loads(self.env.get("SLSN_RESOURCES") or "{}")
        try:
            return self._resources[f"{kind}:{name}"]
        except KeyError:
            from sls_neutral.runtime import PermissionDenied

            raise PermissionDenied(f"{kind} '{name}' is not among this function's resources") from None

    # ------------------------------------------------------------ buckets
    def bucket_put(self, bucket: str, key: str, data: bytes, content_type: str | None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self.client("s3").put_object(Bucket=self.physical("bucket", bucket), Key=key, Body=data, **extra)

    def bucket_get(self, bucket: str, key: str) -> bytes:
        s3 = self.client("s3")
        try:
            return s3.get_object(Bucket=self.physical("bucket", bucket), Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            from sls_neutral.runtime import NotFound

            raise NotFound(f"object '{key}' not found in bucket '{bucket}'") from None

    def bucket_delete(self, bucket: str, key: str) -> None:
        self.client("s3").delete_object(Bucket=self.physical("bucket", bucket), Key=key)

    def bucket_list(self, bucket: str, prefix: str) -> list[str]:
        pages = self.client("s3").get_paginator("list_objects_v2").paginate(
            Bucket=self.physical("bucket", bucket), Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    # ------------------------------------------------------------ messages
    @staticmethod
    def _text(body: bytes, attributes: dict[str, str]) -> tuple[str, dict[str, str]]:
        """SQS and SNS carry text: bytes that are not UTF-8 travel base64 with an encoding attribute."""
        try:
            return body.decode("utf-8"), dict(attributes)
        except UnicodeDecodeError:
            return base64.b64encode(body).decode("ascii"), {**attributes, ENCODING_ATTRIBUTE: "base64"}

    def queue_send(self, queue: str, body: bytes, delay: float, attributes: dict[str, str]) -> str:
        url = self.physical("queue", queue)
        text, attrs = self._text(body, attributes)
        kwargs: dict[str, Any] = {"QueueUrl": url, "MessageBody": text}
        group = attrs.pop(GROUP_ATTRIBUTE, None)
        if attrs:
            kwargs["MessageAttributes"] = {k: {"DataType": "String", "StringValue": v} for k, v in attrs.items()}
        if url.endswith(".fifo"):
            kwargs["MessageGroupId"] = group or "default"  # FIFO queues take no per-message delay
        elif delay:
            kwargs["DelaySeconds"] = min(900, int(round(delay)))
        return self.client("sqs").send_message(**kwargs)["MessageId"]

    def topic_publish(self, topic: str, body: bytes, attributes: dict[str, str]) -> str:
        text, attrs = self._text(body, attributes)
        kwargs: dict[str, Any] = {"TopicArn": self.physical("topic", topic), "Message": text}
        if attrs:
            kwargs["MessageAttributes"] = {k: {"DataType": "String", "StringValue": v} for k, v in attrs.items()}
        return self.client("sns").publish(**kwargs)["MessageId"]

    # ------------------------------------------------------------ secrets, workflows
    def secret_read(self, name: str) -> str:
        value = self.client("secretsmanager").get_secret_value(SecretId=self.physical("secret", name))
        if "SecretString" in value:
            return value["SecretString"]
        return base64.b64decode(value["SecretBinary"]).decode("utf-8") if isinstance(
            value["SecretBinary"], str) else value["SecretBinary"].decode("utf-8")

    def workflow_start(self, workflow: str, input: dict) -> str:
        result = self.client("stepfunctions").start_execution(
            stateMachineArn=self.physical("workflow", workflow), input=json.dumps(input, sort_keys=True))
        return result["executionArn"]


_backend: AwsBackend | None = None


def backend() -> AwsBackend:
    """The process's backend, created on first use and kept for warm invocations."""
    global _backend
    if _backend is None:
        with _lock:
            if _backend is None:
                _backend = AwsBackend()
    return _backend


def reset_backend(value: AwsBackend | None = None) -> None:
    """Tests install a backend built on another session or environment."""
    global _backend
    _backend = value
