"""The GCP adapter: functions-framework requests and CloudEvents <-> the neutral runtime, and a GCP Backend.

The generated ``main.py`` is the same file in every function and workflow starter of a service, so
functions whose code is the same ship byte-identical sources. At cold start it calls
:func:`configure_from_env`, which reads the function's trigger configuration (routes, the Pub/Sub
topics and buckets that feed it, step flags) from the environment variable ``SLSN_FUNCTION_CONFIG``
that the deploy sets per function (``deployment.json``: ``service.environment_variables``), as canonical
JSON; changing a route is then a configuration update, not new source. ``main.py`` exposes three
entry points, of which each deployed unit's ``entryPoint`` names one:

- ``http_entry`` (``@functions_framework.http``): a Flask request -> ``Request``, the handler's return ->
  a Flask response; a workflow step (JSON in, JSON out) when the function is a step, failures leave
  as HTTP 500 with the body ``{"error": NAME, "cause": TEXT}`` that the compiled Workflows YAML reads;
- ``event_entry`` (``@functions_framework.cloud_event``): Eventarc CloudEvents from Pub/Sub topics
  (message data base64-decoded), schedule topics and Cloud Storage (finalized/deleted; prefix/suffix
  filtered here because Eventarc cannot) -> ``Event``;
- ``queue_entry``: a queue's Pub/Sub push subscription (functions-framework turns the push body into a
  CloudEvent); returning acknowledges, raising nacks (redelivery with backoff, then the dead-letter topic).

Every ``ctx.log`` line of a request that carries a trace context (``traceparent``, else Cloud Run's
``X-Cloud-Trace-Context``; for CloudEvents their ``traceparent`` extension) also carries Cloud Logging's
``logging.googleapis.com/trace``, ``spanId`` and ``trace_sampled`` fields, so Cloud Logging files the line
under the request's trace in Cloud Trace.

Stdlib only at import time; google-cloud clients are imported when first used and reused across warm
invocations.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import threading
import time
import uuid
from typing import Any

CORRELATION_ATTRIBUTE = "slsn-correlation-id"
NOT_BEFORE_ATTRIBUTE = "slsn-not-before"
GROUP_ATTRIBUTE = "slsn-group"
STEP_ERROR_STATUS = 500
PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"
STORAGE_TYPES = {"google.cloud.storage.object.v1.finalized": "created",
                 "google.cloud.storage.object.v1.deleted": "deleted"}
CORS_HEADERS = {"access-control-allow-origin": "*",
                "access-control-allow-methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
                "access-control-allow-headers": "content-type,authorization,x-correlation-id"}

TRACE_FIELD = "logging.googleapis.com/trace"
SPAN_FIELD = "logging.googleapis.com/spanId"
SAMPLED_FIELD = "logging.googleapis.com/trace_sampled"
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$")
_CLOUD_TRACE = re.compile(r"^([0-9a-fA-F]{32})(?:/(\d+))?(?:;o=(\d))?")

_lock = threading.Lock()
_config: dict[str, Any] = {}
_traced_logger: Any = None


CONFIG_ENV = "SLSN_FUNCTION_CONFIG"


class NotYetDue(Exception):
    """A delayed queue message arrived early: nacked so Pub/Sub redelivers it after its backoff."""


class ConfigurationError(RuntimeError):
    """The function's configuration variable is missing or malformed: the function cannot start."""


# ---------------------------------------------------------------- configuration
def configure(config: dict[str, Any]) -> dict[str, Any]:
    """Install the function's trigger configuration (tests call it directly; main.py goes through the environment)."""
    global _config
    _config = dict(config)
    return _config


def configure_from_env(environ: Any = None) -> dict[str, Any]:
    """Called by main.py at cold start: the configuration in ``SLSN_FUNCTION_CONFIG`` (a JSON object).

    Raises :class:`ConfigurationError` naming the variable when it is missing or not a JSON object with
    a ``function`` name: the function then fails to load, and the error is the first line of its log.
    """
    env = os.environ if environ is None else environ
    raw = env.get(CONFIG_ENV)
    how = (f"deploy with 'sls-neutral deploy -p gcp', or set {CONFIG_ENV} (and the other SLSN_* variables) "
           "exactly as deployment.json lists them under functions.<unit>.service.environment_variables")
    if not raw:
        raise ConfigurationError(f"the environment variable {CONFIG_ENV} is not set: it holds this function's "
                                 f"routes and event sources; {how}")
    try:
        config = json.loads(raw)
    except ValueError as exc:
        raise ConfigurationError(f"the environment variable {CONFIG_ENV} is not valid JSON ({exc}); {how}") \
            from None
    if not isinstance(config, dict) or not isinstance(config.get("function"), str):
        raise ConfigurationError(f"the environment variable {CONFIG_ENV} must be a JSON object with a "
                                 f"'function' name, not {raw[:80]!r}; {how}")
    return configure(config)


def config() -> dict[str, Any]:
    return _config


def _source(kind: str, name: str) -> str:
    return f"//sls-neutral/{os.environ.get('SLSN_SERVICE', '')}/{os.environ.get('SLSN_STAGE', '')}/{kind}/{name}"


def trace_fields(traceparent: str | None, cloud_trace: str | None = None,
                 project: str | None = None) -> dict[str, Any]:
    """Cloud Logging's trace fields for a W3C ``traceparent`` (preferred) or an ``X-Cloud-Trace-Context``
    (``TRACE_ID/SPAN_ID;o=1``, the span id in decimal); empty when neither is valid or no project is known."""
    project = project or os.environ.get("SLSN_GCP_PROJECT") or os.environ.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        return {}
    match = _TRACEPARENT.match((traceparent or "").strip().lower())
    if match and match.group(1) != "ff" and match.group(2).strip("0") and match.group(3).strip("0"):
        return {TRACE_FIELD: f"projects/{project}/traces/{match.group(2)}", SPAN_FIELD: match.group(3),
                SAMPLED_FIELD: bool(int(match.group(4), 16) & 1)}
    match = _CLOUD_TRACE.match((cloud_trace or "").strip())
    if match and match.group(1).strip("0"):
        fields: dict[str, Any] = {TRACE_FIELD: f"projects/{project}/traces/{match.group(1).lower()}"}
        if match.group(2) and 0 < int(match.group(2)) < 2 ** 64:
            fields[SPAN_FIELD] = f"{int(match.group(2)):016x}"
        if match.group(3) is not None:
            fields[SAMPLED_FIELD] = match.group(3) == "1"
        return fields
    return {}


def request_trace(headers: Any) -> dict[str, Any]:
    """The trace fields of an HTTP request's headers (a Flask/werkzeug ``Headers`` or a dict)."""
    if headers is None:
        return {}
    get = headers.get
    return trace_fields(get("traceparent") or get("Traceparent"),
                        get("x-cloud-trace-context") or get("X-Cloud-Trace-Context"))


def event_trace(cloud_event: Any) -> dict[str, Any]:
    """A CloudEvent's ``traceparent`` extension, else the headers of the request that delivered it (the Flask
    request functions-framework is serving, when Flask is already loaded: nothing is imported for this)."""
    fields = trace_fields(str(_attr(cloud_event, "traceparent", "") or ""))
    if fields:
        return fields
    flask = sys.modules.get("flask")
    if flask is not None and flask.has_request_context():
        return request_trace(flask.request.headers)
    return {}


def _with_trace(logger: Any, fields: dict[str, Any]) -> Any:
    """``ctx.log`` whose every line also carries ``fields`` (the Logger class is built on first use)."""
    global _traced_logger
    if _traced_logger is None:
        from sls_neutral.runtime.context import Logger

        class TracedLogger(Logger):
            __slots__ = ("trace",)

            def _emit(self, level: str, message: Any, fields: dict[str, Any]) -> None:
                # Cloud Logging reads a JSON line's level from "severity"; without it every line is DEFAULT.
                super()._emit(level, message, {**fields, **self.trace, "severity": level.upper()})

        _traced_logger = TracedLogger
    traced = _traced_logger(logger.function, logger.request_id, logger.correlation_id, logger.stream)
    traced.trace = dict(fields)
    return traced


def _context(request_id: str | None, correlation_id: str | None = None):
    from sls_neutral.runtime import dispatch

    return dispatch.context_from_env(request_id or uuid.uuid4().hex, correlation_id=correlation_id)


def _traced(ctx: Any, trace: dict[str, Any]) -> Any:
    """The context, its ``ctx.log`` writing Cloud Logging's severity and the request's trace fields."""
    if ctx is not None:
        ctx.log = _with_trace(ctx.log, trace)
    return ctx


def _user_handler():
    from sls_neutral.runtime import dispatch

    dispatch.fill_secret_env()
    return dispatch.load_handler(os.environ["SLSN_HANDLER"])


def decode_data(body: bytes | str) -> Any:
    """The contract's message data: JSON-decoded when it is JSON, else text (bytes when not UTF-8)."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
    try:
        return json.loads(body)
    except ValueError:
        return body


# ---------------------------------------------------------------- HTTP
def match_route(routes: list[dict[str, Any]], method: str, path: str) -> tuple[dict[str, Any] | None, dict[str, str],
                                                                               bool]:
    """(route, path params, path matched by some route): literal segments beat parameters, greedy last."""
    best: tuple[tuple[int, ...], dict[str, Any], dict[str, str]] | None = None
    path_seen = False
    for route in routes:
        params = _match(route["path"], path)
        if params is None:
            continue
        path_seen = True
        if route["method"] not in ("ANY", method) and not (method == "HEAD" and route["method"] == "GET"):
            continue
        score = tuple(0 if not seg.startswith("{") else (2 if seg.endswith("+}") else 1)
                      for seg in route["path"].strip("/").split("/"))
        if best is None or score < best[0]:
            best = (score, route, params)
    if best is None:
        return None, {}, path_seen
    return best[1], best[2], True


def _match(pattern: str, path: str) -> dict[str, str] | None:
    want = [s for s in pattern.strip("/").split("/") if s]
    have = [s for s in path.strip("/").split("/") if s]
    params: dict[str, str] = {}
    for index, seg in enumerate(want):
        if seg.startswith("{") and seg.endswith("+}"):
            if index >= len(have):
                return None
            params[seg[1:-2]] = "/".join(have[index:])
            return params
        if index >= len(have):
            return None
        if seg.startswith("{") and seg.endswith("}"):
            params[seg[1:-1]] = have[index]
        elif seg != have[index]:
            return None
    return params if len(want) == len(have) else None


def to_request(flask_request: Any, route: str = "", path_params: dict[str, str] | None = None):
    from sls_neutral.runtime import Request

    query: dict[str, list[str]] = {}
    for key, value in flask_request.args.items(multi=True):
        query.setdefault(key, []).append(value)
    return Request(method=flask_request.method, path=flask_request.path or "/", path_params=path_params or {},
                   query=query, headers={k.lower(): v for k, v in flask_request.headers.items()},
                   body=flask_request.get_data() or b"", route=route)


def _json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> tuple[bytes, int, list]:
    body = json.dumps(payload, sort_keys=True).encode("utf-8")
    return body, status, [("content-type", "application/json"), *sorted((headers or {}).items())]


def to_http_response(response: Any, cors: bool = False) -> tuple[bytes, int, list]:
    headers = [(k, v) for k, v in response.headers.items()]
    if cors:
        headers += [(k, v) for k, v in CORS_HEADERS.items() if k not in {h[0].lower() for h in headers}]
    return response.body_bytes(), response.status, headers


def handle_http(flask_request: Any, cfg: dict[str, Any] | None = None) -> tuple[bytes, int, list]:
    """The HTTPS entry point: an HTTP route, a workflow step, or a workflow starter."""
    cfg = config() if cfg is None else cfg
    path = flask_request.path or "/"
    if cfg.get("starts"):
        return start_workflow(flask_request, cfg)
    if cfg.get("step_only") or (cfg.get("step") and path.rstrip("/").endswith(cfg.get("step_path", "\0"))):
        return handle_step(flask_request)
    routes = cfg.get("routes") or []
    cors = any(r.get("cors") for r in routes)
    if flask_request.method == "OPTIONS" and cors:
        return b"", 204, list(CORS_HEADERS.items())
    route, params, path_seen = match_route(routes, flask_request.method, path)
    if route is None:
        return _json_reply(405 if path_seen else 404, {"error": "MethodNotAllowed" if path_seen else "NotFound",
                                                       "cause": f"{flask_request.method} {path}"})
    from sls_neutral.runtime import dispatch

    request = to_request(flask_request, f"{route['method']} {route['path']}", params)
    correlation = request.headers.get("x-correlation-id") or None
    ctx = _traced(_context(flask_request.headers.get("function-execution-id"), correlation),
                  request_trace(flask_request.headers))
    response = dispatch.run_http(_user_handler(), request, ctx)
    return to_http_response(response, bool(route.get("cors")))


def handle_step(flask_request: Any) -> tuple[bytes, int, list]:
    """A workflow step: the JSON body is the input, the JSON result the output; failures are error bodies."""
    from sls_neutral.runtime import dispatch

    raw = flask_request.get_data() or b""
    try:
        payload = json.loads(raw) if raw.strip() else None
    except ValueError:
        return _json_reply(400, {"error": "BadRequest", "cause": "a workflow step takes a JSON body"})
    correlation = None
    if isinstance(payload, dict) and isinstance(payload.get("_slsn"), dict):
        correlation = payload["_slsn"].get("correlation_id")
    ctx = _traced(_context(flask_request.headers.get("function-execution-id"), correlation),
                  request_trace(flask_request.headers))
    try:
        result = dispatch.run_step(_user_handler(), payload, ctx)
    except Exception as exc:  # every failure leaves with the name the workflow matches on
        error = dispatch.error_payload(exc)
        return _json_reply(STEP_ERROR_STATUS, error, {"x-slsn-error": error["error"]})
    return _json_reply(200, result)


def start_workflow(flask_request: Any, cfg: dict[str, Any] | None = None) -> tuple[bytes, int, list]:
    """The starter behind a workflow's http trigger: create an execution, answer 202 {"execution_id"}."""
    cfg = config() if cfg is None else cfg
    route, _, path_seen = match_route(cfg.get("routes") or [], flask_request.method, flask_request.path or "/")
    if route is None:
        return _json_reply(405 if path_seen else 404, {"error": "NotFound", "cause": flask_request.path})
    raw = flask_request.get_data() or b""
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return _json_reply(400, {"error": "BadRequest", "cause": "the body must be JSON"})
    correlation = flask_request.headers.get("x-correlation-id") or str(uuid.uuid4())
    from sls_neutral.runtime.dispatch import workflow_input

    execution = backend().workflow_start(cfg["starts"], workflow_input(data, correlation))
    return _json_reply(202, {"execution_id": execution})


# ---------------------------------------------------------------- events
def _attr(event: Any, name: str, default: Any = None) -> Any:
    try:
        value = event[name]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


def _event_data(cloud_event: Any) -> Any:
    data = cloud_event.data if hasattr(cloud_event, "data") else cloud_event.get_data()
    if isinstance(data, (bytes, str)):
        data = decode_data(data)
    return data


def _new_event(**kwargs: Any):
    from sls_neutral.runtime import Event

    return Event(specversion="1.0", **kwargs)


def pubsub_message(cloud_event: Any) -> tuple[dict[str, Any], str]:
    """(message, topic path) of a messagePublished CloudEvent (Eventarc, or a push converted by the framework)."""
    data = _event_data(cloud_event) or {}
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict):
        raise ValueError("not a Pub/Sub message event")
    source = str(_attr(cloud_event, "source", ""))
    topic = source.split("pubsub.googleapis.com/", 1)[-1] if "pubsub.googleapis.com/" in source else ""
    return message, topic


def message_body(message: dict[str, Any]) -> bytes:
    data = message.get("data") or ""
    return base64.b64decode(data) if isinstance(data, str) else bytes(data)


def _message_event(message: dict[str, Any], kind: str, name: str, data: Any):
    types = {"topic": "sls.topic.message", "queue": "sls.queue.message", "schedule": "sls.schedule.tick"}
    return _new_event(id=str(message.get("messageId") or message.get("message_id") or uuid.uuid4()),
                      source=_source(kind, name), type=types[kind], subject=name,
                      time=message.get("publishTime") or message.get("publish_time"),
                      datacontenttype="application/json", data=data)


def _source_for(cfg: dict[str, Any], topic: str, kinds: tuple[str, ...]) -> dict[str, Any] | None:
    sources = cfg.get("sources") or {}
    if topic in sources and sources[topic]["kind"] in kinds:
        return sources[topic]
    candidates = [s for s in sources.values() if s["kind"] in kinds]
    return candidates[0] if len(candidates) == 1 or (candidates and not topic) else None


def bucket_event(cloud_event: Any, cfg: dict[str, Any] | None = None):
    """A Cloud Storage CloudEvent -> the neutral event, or None when the trigger's filters drop it."""
    cfg = config() if cfg is None else cfg
    kind = STORAGE_TYPES[str(_attr(cloud_event, "type"))]
    data = _event_data(cloud_event) or {}
    physical = data.get("bucket") or ""
    key = data.get("name") or str(_attr(cloud_event, "subject", "")).removeprefix("objects/")
    for trigger in cfg.get("buckets") or []:
        if trigger["bucket"] != physical or kind not in trigger["events"]:
            continue
        if not key.startswith(trigger.get("prefix") or "") or not key.endswith(trigger.get("suffix") or ""):
            continue
        size = data.get("size")
        return _new_event(id=str(_attr(cloud_event, "id") or uuid.uuid4()), source=_source("bucket", trigger["name"]),
                          type=f"sls.bucket.object.{kind}", subject=key,
                          time=_attr(cloud_event, "time") or data.get("updated"), datacontenttype="application/json",
                          data={"bucket": trigger["name"], "key": key,
                                "size": int(size) if size not in (None, "") else None, "etag": data.get("etag")})
    return None


def handle_event(cloud_event: Any, cfg: dict[str, Any] | None = None) -> None:
    """Eventarc: a topic message, a schedule tick or a bucket object event."""
    cfg = config() if cfg is None else cfg
    from sls_neutral.runtime import dispatch

    ce_type = str(_attr(cloud_event, "type", ""))
    if ce_type in STORAGE_TYPES:
        evt = bucket_event(cloud_event, cfg)
        if evt is None:
            return  # filtered out: Eventarc cannot filter by prefix/suffix
        dispatch.run_event(_user_handler(), evt, _traced(_context(evt.id), event_trace(cloud_event)))
        return
    message, topic = pubsub_message(cloud_event)
    source = _source_for(cfg, topic, ("topic", "schedule"))
    if source is None:
        raise ValueError(f"no trigger of this function listens to '{topic}'")
    attributes = message.get("attributes") or {}
    body = message_body(message)
    if source["kind"] == "schedule":
        data = decode_data(body) if body else source.get("data")
        evt = _message_event(message, "schedule", source["name"], data)
    else:
        evt = _message_event(message, "topic", source["name"], decode_data(body))
    dispatch.run_event(_user_handler(), evt, _traced(_context(evt.id, attributes.get(CORRELATION_ATTRIBUTE)),
                                                              event_trace(cloud_event)))


def handle_queue(cloud_event: Any, cfg: dict[str, Any] | None = None) -> None:
    """A queue's push subscription: returning acks; raising (or an early delayed message) nacks."""
    cfg = config() if cfg is None else cfg
    from sls_neutral.runtime import dispatch

    message, topic = pubsub_message(cloud_event)
    attributes = message.get("attributes") or {}
    not_before = attributes.get(NOT_BEFORE_ATTRIBUTE)
    if not_before and float(not_before) > time.time():
        raise NotYetDue(f"message {message.get('messageId')} is delayed until {not_before}")
    source = _source_for(cfg, topic, ("queue",))
    if source is None:
        raise ValueError("this function consumes no queue")
    evt = _message_event(message, "queue", source["name"], decode_data(message_body(message)))
    dispatch.run_event(_user_handler(), evt, _traced(_context(evt.id, attributes.get(CORRELATION_ATTRIBUTE)),
                                                              event_trace(cloud_event)))


# ---------------------------------------------------------------- the Backend
def _backend_base():
    try:
        from sls_neutral.runtime.adapters import Backend
    except ImportError:  # pragma: no cover - the runtime always ships the base
        return object
    return Backend


class GcpBackend(_backend_base()):  # type: ignore[misc]
    """Resource operations on the google-cloud clients; physical ids come from SLSN_RESOURCES."""

    provider = "gcp"

    def __init__(self, env: Any = None, clients: dict[str, Any] | None = None):
        self.env = env if env is not None else os.environ
        self._clients: dict[str, Any] = dict(clients or {})
        self._resources: dict[str, str] | None = None

    def client(self, kind: str) -> Any:
        """One client per API for the life of the instance (warm invocations reuse it)."""
        client = self._clients.get(kind)
        if client is None:
            with _lock:
                client = self._clients.get(kind)
                if client is None:
                    client = self._clients[kind] = self._create(kind)
        return client

    def _create(self, kind: str) -> Any:
        """Default credentials on GCP; SLSN_GCP_ENDPOINT_URL (an emulator, a test double) switches to REST."""
        endpoint = self.env.get("SLSN_GCP_ENDPOINT_URL")
        kwargs: dict[str, Any] = {}
        if endpoint:
            from google.auth.credentials import AnonymousCredentials

            kwargs = {"credentials": AnonymousCredentials(), "client_options": {"api_endpoint": endpoint}}
        if kind == "storage":
            from google.cloud import storage

            return storage.Client(project=self.env.get("SLSN_GCP_PROJECT") or None, **kwargs)
        if endpoint:
            kwargs["transport"] = "rest"
        if kind == "publisher":
            from google.cloud import pubsub_v1

            return pubsub_v1.PublisherClient(
                publisher_options=pubsub_v1.types.PublisherOptions(enable_message_ordering=True), **kwargs)
        if kind == "secrets":
            from google.cloud import secretmanager

            return secretmanager.SecretManagerServiceClient(**kwargs)
        if kind == "executions":
            from google.cloud.workflows import executions_v1

            return executions_v1.ExecutionsClient(**{k: v for k, v in kwargs.items() if k != "transport"})
        raise ValueError(kind)

    def physical(self, kind: str, name: str) -> str:
        if self._resources is None:
            self._resources = json.loads(self.env.get("SLSN_RESOURCES") or "{}")
        try:
            return self._resources[f"{kind}:{name}"]
        except KeyError:
            from sls_neutral.runtime import PermissionDenied

            raise PermissionDenied(f"{kind} '{name}' is not among this function's resources") from None

    # ------------------------------------------------------------ buckets
    def _blob(self, bucket: str, key: str) -> Any:
        return self.client("storage").bucket(self.physical("bucket", bucket)).blob(key)

    def bucket_put(self, bucket: str, key: str, data: bytes, content_type: str | None) -> None:
        self._blob(bucket, key).upload_from_string(data, content_type=content_type or "application/octet-stream")

    def bucket_get(self, bucket: str, key: str) -> bytes:
        from google.api_core import exceptions

        try:
            return self._blob(bucket, key).download_as_bytes()
        except exceptions.NotFound:
            from sls_neutral.runtime import NotFound

            raise NotFound(f"object '{key}' not found in bucket '{bucket}'") from None

    def bucket_delete(self, bucket: str, key: str) -> None:
        from google.api_core import exceptions

        try:
            self._blob(bucket, key).delete()
        except exceptions.NotFound:
            return  # deleting a missing object is not an error on any provider

    def bucket_list(self, bucket: str, prefix: str) -> list[str]:
        blobs = self.client("storage").list_blobs(self.physical("bucket", bucket), prefix=prefix or None)
        return sorted(blob.name for blob in blobs)

    # ------------------------------------------------------------ messages
    def _publish(self, topic_path: str, body: bytes, attributes: dict[str, str], ordering_key: str = "") -> str:
        future = self.client("publisher").publish(topic_path, body, ordering_key=ordering_key,
                                                  **{k: str(v) for k, v in attributes.items()})
        return str(future.result())

    def queue_send(self, queue: str, body: bytes, delay: float, attributes: dict[str, str]) -> str:
        attrs = dict(attributes)
        group = attrs.pop(GROUP_ATTRIBUTE, None)
        fifo = queue in (config().get("fifo_queues") or [])
        if delay and delay > 0:
            attrs[NOT_BEFORE_ATTRIBUTE] = f"{time.time() + float(delay):.3f}"
        return self._publish(self.physical("queue", queue), body, attrs, (group or "default") if fifo else "")

    def topic_publish(self, topic: str, body: bytes, attributes: dict[str, str]) -> str:
        return self._publish(self.physical("topic", topic), body, attributes)

    # ------------------------------------------------------------ secrets, workflows
    def secret_read(self, name: str) -> str:
        path = self.physical("secret", name)
        version = path if "/versions/" in path else f"{path}/versions/latest"
        response = self.client("secrets").access_secret_version(request={"name": version})
        return response.payload.data.decode("utf-8")

    def workflow_start(self, workflow: str, input: dict) -> str:
        execution = self.client("executions").create_execution(request={
            "parent": self.physical("workflow", workflow),
            "execution": {"argument": json.dumps(input, sort_keys=True)}})
        return execution.name


_backend: GcpBackend | None = None


def backend() -> GcpBackend:
    """The process's backend, created on first use and kept for warm invocations."""
    global _backend
    if _backend is None:
        with _lock:
            if _backend is None:
                _backend = GcpBackend()
    return _backend


def reset_backend(value: GcpBackend | None = None) -> None:
    """Tests install a backend built on other clients or another environment."""
    global _backend
    _backend = value

