"""Azure Functions adapter: bindings <-> the neutral Request/Response/Event, and the Azure Backend.

``function_app.py`` (generated, Python v2 model) calls one function here per
trigger kind. One function app hosts every function of a stage, so what differs
per function (handler, grants, resources, timeout, identity) comes from the
packaged ``slsn_functions.json``, not from app settings. A raised exception is
left to propagate: the Functions host then retries the message and finally moves
it to the poison queue (Storage) or the dead-letter sub-queue (Service Bus) -
our DLQ.

Stdlib only at import time; ``azure.functions``, ``azure.identity``,
``azure.storage.*``, ``azure.servicebus`` and ``azure.keyvault.secrets`` are
imported where used, so the runtime stays importable without them.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

CONFIG_FILE = "slsn_functions.json"
ENVELOPE_KEY = "_slsn_envelope"  # Storage Queues have no message attributes: ours travel in a small JSON wrapper
CORRELATION_ATTRIBUTE = "slsn-correlation-id"

_lock = threading.RLock()  # re-entered: secrets are read through a backend created under it
_config: dict[str, Any] | None = None


# ---------------------------------------------------------------- configuration
def _app_root() -> Path:
    root = os.environ.get("AzureWebJobsScriptRoot")
    return Path(root) if root else Path(__file__).resolve().parents[3]


def config() -> dict[str, Any]:
    """The packaged per-function configuration (loaded once per process)."""
    global _config
    if _config is None:
        with _lock:
            if _config is None:
                path = Path(os.environ.get("SLSN_AZURE_CONFIG") or _app_root() / CONFIG_FILE)
                _config = json.loads(path.read_text(encoding="utf-8"))
    return _config


def reset_config(data: dict[str, Any] | None = None) -> None:
    """Tests load another app's configuration."""
    global _config
    _config = data


def function_env(function: str) -> dict[str, str]:
    """The contract's per-function environment (SLSN_*), built from the package configuration."""
    cfg = config()
    spec = cfg["functions"][function]
    return {
        "SLSN_PROVIDER": "azure",
        "SLSN_SERVICE": cfg["service"],
        "SLSN_STAGE": cfg["stage"],
        "SLSN_FUNCTION": function,
        "SLSN_HANDLER": spec["handler"],
        "SLSN_GRANTS": ",".join(spec["grants"]),
        "SLSN_RESOURCES": json.dumps(spec["resources"], sort_keys=True),
        "SLSN_SECRET_ENV": json.dumps(spec["secret_env"], sort_keys=True),
        "SLSN_TIMEOUT_MS": str(spec["timeout_ms"]),
    }


def _context(function: str, request_id: str, correlation_id: str | None = None):
    from sls_neutral.runtime import dispatch

    spec = config()["functions"][function]
    deadline = time.time() + spec["timeout_ms"] / 1000.0
    return dispatch.context_from_env(request_id, deadline=deadline, correlation_id=correlation_id,
                                     env={**os.environ, **function_env(function)},
                                     backend=backend_for(function))


_secrets_done: set[str] = set()


def _handler(function: str):
    """The function's handler; at its first use, its secret environment variables are read from Key Vault."""
    from sls_neutral.runtime import dispatch

    spec = config()["functions"][function]
    if function not in _secrets_done:
        with _lock:
            if function not in _secrets_done:
                for var, secret in sorted(spec.get("secret_env", {}).items()):
                    if var not in os.environ:
                        os.environ[var] = backend_for(function).secret_read(secret)
                _secrets_done.add(function)
    return dispatch.load_handler(spec["handler"])


# ---------------------------------------------------------------- message bodies
def wrap_body(body: bytes, attributes: dict[str, str]) -> str:
    """A Storage Queue message text carrying attributes; plain text when there are none."""
    try:
        text = body.decode("utf-8")
        payload: dict[str, Any] = {"text": text}
    except UnicodeDecodeError:
        payload = {"b64": base64.b64encode(body).decode("ascii")}
    if not attributes:
        return payload.get("text") if "text" in payload else json.dumps({ENVELOPE_KEY: 1, **payload})
    return json.dumps({ENVELOPE_KEY: 1, "attributes": dict(sorted(attributes.items())), **payload}, sort_keys=True)


def unwrap_body(raw: bytes) -> tuple[bytes, dict[str, str]]:
    """(body, attributes) of a Storage Queue message, whether or not we wrapped it."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw, {}
    if isinstance(data, dict) and data.get(ENVELOPE_KEY) == 1:
        body = base64.b64decode(data["b64"]) if "b64" in data else str(data.get("text", "")).encode("utf-8")
        return body, {str(k): str(v) for k, v in (data.get("attributes") or {}).items()}
    return raw, {}


def decode_data(body: bytes) -> Any:
    """JSON when it is JSON, else text (the contract's queue/topic data)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _iso(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if value:
        return str(value)
    return _dt.datetime.now(_dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _event(**kwargs: Any):
    from sls_neutral.runtime import Event

    return Event(specversion="1.0", **kwargs)


def _source(kind: str, name: str) -> str:
    cfg = config()
    return f"//sls-neutral/{cfg['service']}/{cfg['stage']}/{kind}/{name}"


# ---------------------------------------------------------------- http
def to_request(req: Any, route: str):
    """func.HttpRequest -> Request (query keeps repeated values; the route is the manifest trigger's
    "METHOD /path/{param}", as on every provider)."""
    from sls_neutral.runtime import Request

    url = urlparse(req.url)
    query = parse_qs(url.query, keep_blank_values=True)
    return Request(method=req.method.upper(), path=url.path or "/", path_params=dict(req.route_params or {}),
                   query=query, headers=dict(req.headers.items()), body=req.get_body() or b"", route=route)


def to_http_response(response: Any):
    import azure.functions as func

    return func.HttpResponse(body=response.body_bytes(), status_code=response.status,
                             headers=dict(response.headers))


def http(req: Any, function: str, route: str = ""):
    from sls_neutral.runtime import dispatch

    request = to_request(req, route)
    correlation = request.headers.get("x-correlation-id") or request.headers.get(CORRELATION_ATTRIBUTE)
    ctx = _context(function, request.headers.get("x-ms-request-id") or str(uuid.uuid4()), correlation)
    return to_http_response(dispatch.run_http(_handler(function), request, ctx))


# ---------------------------------------------------------------- events
def _run_event(function: str, event: Any, correlation: str | None) -> None:
    from sls_neutral.runtime import dispatch

    ctx = _context(function, event.id, correlation)
    dispatch.run_event(_handler(function), event, ctx)  # raising fails the message: the host retries / poisons


def queue_event(msg: Any, queue: str):
    body, attributes = unwrap_body(msg.get_body() or b"")
    count = getattr(msg, "dequeue_count", None)
    event = _event(id=msg.id or str(uuid.uuid4()), source=_source("queue", queue), type="sls.queue.message",
                   subject=queue, time=_iso(getattr(msg, "insertion_time", None)), data=decode_data(body),
                   extensions={"receivecount": int(count)} if count else None)
    return event, attributes.get(CORRELATION_ATTRIBUTE)


def queue_message(msg: Any, function: str, queue: str) -> None:
    event, correlation = queue_event(msg, queue)
    _run_event(function, event, correlation)


def service_bus_event(msg: Any, kind: str, name: str):
    props = {str(k): str(v) for k, v in (getattr(msg, "application_properties", None) or {}).items()}
    etype = "sls.topic.message" if kind == "topic" else "sls.queue.message"
    count = getattr(msg, "delivery_count", None)
    event = _event(id=getattr(msg, "message_id", None) or str(uuid.uuid4()), source=_source(kind, name),
                   type=etype, subject=name, time=_iso(getattr(msg, "enqueued_time_utc", None)),
                   data=decode_data(msg.get_body() or b""),
                   extensions={"receivecount": int(count)} if count else None)
    return event, props.get(CORRELATION_ATTRIBUTE) or getattr(msg, "correlation_id", None)


def service_bus_message(msg: Any, function: str, kind: str, name: str) -> None:
    event, correlation = service_bus_event(msg, kind, name)
    _run_event(function, event, correlation)


_NAMES = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
          "nov": 11, "dec": 12, "sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


def _field_values(field: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in field.lower().split(","):
        body, _, step = part.partition("/")
        if body in ("*", ""):
            start, end = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            start, end = int(_NAMES.get(a, a)), int(_NAMES.get(b, b))
        else:
            start = end = int(_NAMES.get(body, body))
            if step:
                end = high
        values.update(range(start, end + 1, int(step) if step else 1))
    return values


def cron_matches(cron: str, when: _dt.datetime) -> bool:
    """Does a 5-field cron match ``when`` (a local time)? Day-of-month and day-of-week OR when both are set."""
    minute, hour, dom, month, dow = cron.split()
    if when.minute not in _field_values(minute, 0, 59) or when.hour not in _field_values(hour, 0, 23):
        return False
    if when.month not in _field_values(month, 1, 12):
        return False
    weekday = (when.weekday() + 1) % 7  # cron: Sunday is 0 (and 7)
    dows = {d % 7 for d in _field_values(dow, 0, 7)}
    dom_ok, dow_ok = when.day in _field_values(dom, 1, 31), weekday in dows
    if dom != "*" and dow != "*":
        return dom_ok or dow_ok
    return dom_ok and dow_ok


def due_in_zone(cron: str | None, timezone: str | None, now: _dt.datetime) -> bool:
    """Timers of zoned crons fire on UTC minutes; only the ticks that match the zone's local time run."""
    if not cron or not timezone:
        return True
    from zoneinfo import ZoneInfo

    return cron_matches(cron, now.astimezone(ZoneInfo(timezone)))


def timer(timer_request: Any, function: str, schedule: str, data: Any = None, cron: str | None = None,
          timezone: str | None = None) -> None:
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    if not due_in_zone(cron, timezone, now):
        return
    event = _event(id=f"{function}-{now.strftime('%Y%m%dT%H%M%SZ')}", source=_source("schedule", function),
                   type="sls.schedule.tick", subject=schedule, time=_iso(now), data=data)
    _run_event(function, event, None)


def blob_event_from_stream(blob: Any, bucket: str):
    """func.InputStream (name is "container/key") -> a bucket created event."""
    name = blob.name or ""
    key = name.split("/", 1)[1] if "/" in name else name
    props = getattr(blob, "blob_properties", None) or {}
    etag = str(props.get("ETag") or props.get("etag") or "").strip('"')
    event = _event(id=f"{bucket}/{key}/{etag}" if etag else str(uuid.uuid4()), source=_source("bucket", bucket),
                   type="sls.bucket.object.created", subject=key, time=_iso(props.get("LastModified")),
                   datacontenttype="application/json",
                   data={"bucket": bucket, "key": key, "size": blob.length or 0, "etag": etag})
    return event


def blob(blob_stream: Any, function: str, bucket: str) -> None:
    _run_event(function, blob_event_from_stream(blob_stream, bucket), None)


def blob_event_from_event_grid(event: Any, bucket: str):
    """func.EventGridEvent (Microsoft.Storage.Blob*) -> a bucket event."""
    data = event.get_json() or {}
    subject = event.subject or ""
    key = subject.split("/blobs/", 1)[1] if "/blobs/" in subject else subject
    deleted = event.event_type.endswith("BlobDeleted")
    return _event(id=event.id, source=_source("bucket", bucket),
                  type="sls.bucket.object.deleted" if deleted else "sls.bucket.object.created", subject=key,
                  time=_iso(event.event_time), datacontenttype="application/json",
                  data={"bucket": bucket, "key": key, "size": int(data.get("contentLength") or 0),
                        "etag": str(data.get("eTag") or "").strip('"')})


def blob_event(event: Any, function: str, bucket: str) -> None:
    _run_event(function, blob_event_from_event_grid(event, bucket), None)


# ---------------------------------------------------------------- workflows
def step(payload: dict[str, Any]) -> dict[str, Any]:
    """The one activity: run a workflow step function; errors come back as data, names intact.

    Input ``{"function", "input", "correlation_id"?}``; output ``{"result": ...}`` or
    ``{"error": NAME, "cause": TEXT}`` (Durable would otherwise flatten an exception to its message).
    """
    from sls_neutral.runtime import dispatch

    function = payload["function"]
    correlation = payload.get("correlation_id")
    ctx = _context(function, str(uuid.uuid4()), correlation)
    try:
        return {"result": dispatch.run_step(_handler(function), payload.get("input"), ctx)}
    except Exception as exc:  # every failure is reported by name to the orchestrator
        return dispatch.error_payload(exc)


async def start_workflow_http(req: Any, client: Any, workflow: str):
    import azure.functions as func

    body = req.get_body() or b""
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        return func.HttpResponse(json.dumps({"error": "BadRequest", "cause": "the body must be JSON"}),
                                 status_code=400, mimetype="application/json")
    correlation = req.headers.get("x-correlation-id") or str(uuid.uuid4())
    from sls_neutral.runtime.dispatch import workflow_input

    instance_id = await client.start_new(workflow, None, workflow_input(data, correlation))
    return func.HttpResponse(json.dumps({"execution_id": instance_id}), status_code=202,
                             mimetype="application/json")


async def start_workflow_message(msg: Any, client: Any, workflow: str) -> None:
    """The queue written by ``ctx.workflow(n).start()``: the instance id was chosen by the sender."""
    data = json.loads(msg.get_body() or b"{}")
    await client.start_new(workflow, data.get("instance_id"), data.get("input"))


async def start_workflow_timer(timer_request: Any, client: Any, workflow: str, data: Any = None,
                               cron: str | None = None, timezone: str | None = None) -> None:
    if not due_in_zone(cron, timezone, _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)):
        return
    from sls_neutral.runtime.dispatch import workflow_input

    await client.start_new(workflow, None, workflow_input(data if data is not None else {}, str(uuid.uuid4())))


# ---------------------------------------------------------------- the Backend
_backends: dict[str, Any] = {}


def backend_for(function: str):
    """One Backend per identity group, created lazily and reused across invocations."""
    group = config()["functions"][function]["group"]
    with _lock:
        if group not in _backends:
            _backends[group] = AzureBackend(group)
        return _backends[group]


def _backend_base():
    try:
        from sls_neutral.runtime.adapters import Backend
    except ImportError:  # pragma: no cover - the runtime always ships the base
        return object
    return Backend


def backend() -> "AzureBackend":
    """The factory ``get_backend('azure')`` uses outside a function (the DEFAULT group's identity)."""
    return AzureBackend(os.environ.get("SLSN_AZURE_GROUP", "DEFAULT"))


class AzureBackend(_backend_base()):  # type: ignore[misc]
    """Resource operations with the function group's managed identity (DefaultAzureCredential).

    Endpoints come from app settings (``SLSN_STORAGE_ACCOUNT``, ``SLSN_HOST_STORAGE_ACCOUNT``,
    ``SLSN_SERVICEBUS_NAMESPACE``, ``SLSN_KEYVAULT_URI``); ``SLSN_AZURE_STORAGE_CONNECTION_STRING`` (and
    ``SLSN_AZURE_HOST_STORAGE_CONNECTION_STRING``) replace identity auth for emulators such as Azurite.
    """

    provider = "azure"

    def __init__(self, group: str = "DEFAULT", env: dict[str, str] | None = None):
        self.group = group
        self.env = env if env is not None else os.environ
        self._clients: dict[tuple, Any] = {}
        self._credential = None

    # ------------------------------------------------------------ plumbing
    def credential(self):
        if self._credential is None:
            from azure.identity import DefaultAzureCredential

            client_id = self.env.get(f"SLSN_IDENTITY_{self.group}")
            self._credential = DefaultAzureCredential(managed_identity_client_id=client_id or None)
        return self._credential

    def _client(self, key: tuple, factory):
        with _lock:
            if key not in self._clients:
                self._clients[key] = factory()
            return self._clients[key]

    def _service(self, kind: str, host: bool = False):
        """A BlobServiceClient or QueueServiceClient for the data (or host) storage account."""
        def make():
            if kind == "blob":
                from azure.storage.blob import BlobServiceClient as Client
            else:
                from azure.storage.queue import QueueServiceClient as Client
            conn = self.env.get("SLSN_AZURE_HOST_STORAGE_CONNECTION_STRING" if host else
                                "SLSN_AZURE_STORAGE_CONNECTION_STRING")
            if conn:
                return Client.from_connection_string(conn)
            account = self.env["SLSN_HOST_STORAGE_ACCOUNT" if host else "SLSN_STORAGE_ACCOUNT"]
            return Client(f"https://{account}.{kind}.core.windows.net", credential=self.credential())

        return self._client(("storage", kind, host), make)

    # ------------------------------------------------------------ buckets
    def _container(self, bucket: str):
        return self._service("blob").get_container_client(_resource("bucket", bucket))

    def bucket_put(self, bucket: str, key: str, data: bytes, content_type: str | None) -> None:
        from azure.storage.blob import ContentSettings

        settings = ContentSettings(content_type=content_type) if content_type else None
        self._container(bucket).upload_blob(key, data, overwrite=True, content_settings=settings)

    def bucket_get(self, bucket: str, key: str) -> bytes:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return self._container(bucket).download_blob(key).readall()
        except ResourceNotFoundError:
            from sls_neutral.runtime import NotFound

            raise NotFound(f"{bucket}/{key}") from None

    def bucket_delete(self, bucket: str, key: str) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self._container(bucket).delete_blob(key)
        except ResourceNotFoundError:
            pass

    def bucket_list(self, bucket: str, prefix: str) -> list[str]:
        return sorted(self._container(bucket).list_blob_names(name_starts_with=prefix or None))

    # ------------------------------------------------------------ queues and topics
    def _service_bus(self):
        def make():
            from azure.servicebus import ServiceBusClient

            conn = self.env.get("SLSN_AZURE_SERVICEBUS_CONNECTION_STRING")
            if conn:
                return ServiceBusClient.from_connection_string(conn)
            return ServiceBusClient(self.env["SLSN_SERVICEBUS_NAMESPACE"], credential=self.credential())

        return self._client(("servicebus",), make)

    def queue_send(self, queue: str, body: bytes, delay: float, attributes: dict[str, str]) -> str:
        physical = _resource("queue", queue)
        kind, _, name = physical.partition(":")
        if kind == "servicebus":
            return self._sb_send("queue", name, body, attributes, delay,
                                 fifo=bool(config()["queues"].get(queue, {}).get("fifo")))
        retention = int(config().get("retention_s", {}).get(queue) or 0) or None
        client = self._service("queue").get_queue_client(name)
        sent = client.send_message(wrap_body(body, attributes), visibility_timeout=int(delay) or None,
                                   time_to_live=retention)
        return sent.id

    def topic_publish(self, topic: str, body: bytes, attributes: dict[str, str]) -> str:
        return self._sb_send("topic", _resource("topic", topic), body, attributes, 0.0, fifo=False)

    def _sb_send(self, kind: str, name: str, body: bytes, attributes: dict[str, str], delay: float,
                 fifo: bool) -> str:
        from azure.servicebus import ServiceBusMessage

        message_id = str(uuid.uuid4())
        message = ServiceBusMessage(body, application_properties=dict(attributes), message_id=message_id,
                                    session_id=(attributes.get("slsn-group") or "default") if fifo else None)
        if delay:
            message.scheduled_enqueue_time_utc = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=delay)
        client = self._service_bus()
        sender = client.get_queue_sender(name) if kind == "queue" else client.get_topic_sender(name)
        with sender:
            sender.send_messages(message)
        return message_id

    # ------------------------------------------------------------ secrets and workflows
    def secret_read(self, name: str) -> str:
        def make():
            from azure.keyvault.secrets import SecretClient

            return SecretClient(self.env["SLSN_KEYVAULT_URI"], credential=self.credential())

        return self._client(("keyvault",), make).get_secret(_resource("secret", name)).value

    def workflow_start(self, workflow: str, input: dict) -> str:
        """Enqueue on the workflow's start queue (host storage); its durable client starts this instance id."""
        instance_id = uuid.uuid4().hex
        client = self._service("queue", host=True).get_queue_client(_resource("workflow", workflow))
        client.send_message(json.dumps({"instance_id": instance_id, "input": input}, sort_keys=True))
        return instance_id


def _resource(kind: str, name: str) -> str:
    """The physical name of a neutral resource, from any function's resources (names are app-wide)."""
    key = f"{kind}:{name}"
    for spec in config()["functions"].values():
        if key in spec["resources"]:
            return spec["resources"][key]
    raise KeyError(key)
