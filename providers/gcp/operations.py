"""Talk to a deployed GCP stage: invoke a function, read its logs, start and read workflow executions.

Names come from the same model the deploy uses (``units_of`` and providers/gcp/names.py): a neutral function is
one or more 2nd gen functions (units), one per trigger kind. With ``--endpoint-url`` every call goes to that
endpoint with anonymous credentials (the test suite's fake control plane), as the deploy's clients do.

- ``invoke``: reads the unit with ``functions_v2`` ``get_function`` and calls its URI (``service_config.uri``,
  else ``url``) over HTTPS the way its trigger would: an HTTP request on the first route, a step's JSON body,
  a CloudEvent in binary mode for Eventarc units (Pub/Sub ``messagePublished`` for topics and schedules, Cloud
  Storage ``finalized``/``deleted`` for buckets), or the Pub/Sub push body for a queue's consumer. With real
  credentials the request carries an ID token for the URI (service accounts and the metadata server; user
  credentials' own ID token otherwise).
- ``logs``: Cloud Logging ``entries:list`` (REST) for the units' Cloud Run services (2nd gen functions log
  as ``cloud_run_revision``) over the last hour; ``--tail`` polls from the last entry's time until Ctrl-C.
- workflows: the Workflow Executions REST API (v1) with the deploy's credentials -- the ``executions_v1``
  client of google-cloud-workflows has a gRPC transport only, which an emulator or the fake does not speak:
  create (the input gets the ``_slsn`` correlation envelope, as the HTTP starter sends it), get (``--wait``
  polls), and ``stepEntries`` for the history (only start/end events where that list is not available), with
  the manifest's step names (``gcp_step_names``; the compiled step's name stays in ``detail.gcp_step``).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from sls_neutral.core import ir, remote
from sls_neutral.core.errors import DeployError, SlsnError, did_you_mean
from sls_neutral.core.provider import DeployContext

LOGGING_API = "https://logging.googleapis.com"
EXECUTIONS_API = "https://workflowexecutions.googleapis.com"
STATES = {"ACTIVE": "RUNNING", "QUEUED": "RUNNING", "SUCCEEDED": "SUCCEEDED", "FAILED": "FAILED",
          "CANCELLED": "ABORTED", "UNAVAILABLE": "FAILED", "STATE_UNSPECIFIED": "RUNNING"}
STEP_STATES = {"STATE_IN_PROGRESS": "StepStarted", "STATE_SUCCEEDED": "StepSucceeded",
               "STATE_FAILED": "StepFailed", "STATE_CANCELLED": "StepCancelled"}
PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"
STORAGE_TYPES = {"created": "google.cloud.storage.object.v1.finalized",
                 "deleted": "google.cloud.storage.object.v1.deleted"}


class _Gcp:
    def __init__(self, app: ir.App, ctx: DeployContext):
        from sls_neutral.providers.gcp.deploy.clients import Clients
        from sls_neutral.providers.gcp.names import Names

        self.app = app
        self.ctx = ctx
        self.settings = app.settings("gcp")
        self.names = Names.from_settings(app.service, app.stage, self.settings)
        self.clients = Clients(self.names.project, self.names.region, ctx.endpoint_url)
        self.endpoint = ctx.endpoint_url.rstrip("/") if ctx.endpoint_url else None

    def url(self, api: str, path: str) -> str:
        return f"{self.endpoint or api}/{path}"

    def rest(self, method: str, url: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """A control-plane REST call with the deploy's credentials; None on 404."""
        try:
            response = self.clients.session.request(method, url, json=body, params=params, timeout=60)
        except Exception as exc:  # noqa: BLE001 - requests' connection errors, google-auth refresh errors
            raise DeployError(f"{method} {url} failed: {exc}",
                              hint="check the network, your credentials and --endpoint-url") from None
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise DeployError(f"{method} {url} failed: {response.status_code} {response.text[:300]}",
                              hint="check the project id, the APIs enabled and your permissions")
        return response.json() if response.content else {}


# ---------------------------------------------------------------- invoke
def _unit_for(gcp: _Gcp, function: str, data: Any) -> tuple[Any, Any]:
    """(the unit the function's first trigger is deployed as, that trigger or None)."""
    from sls_neutral.providers.gcp.model import STORAGE_EVENTS, units_of

    fn = gcp.app.functions[function]
    units = units_of(gcp.app, gcp.settings)[function]
    trigger = fn.triggers[0] if fn.triggers else None
    want = {ir.HttpTrigger: "http", ir.QueueTrigger: "queue", ir.TopicTrigger: "topic",
            ir.ScheduleTrigger: "schedule", ir.BucketTrigger: "bucket"}.get(type(trigger), "step")
    candidates = [u for u in units if u.kind == want]
    if want == "bucket":
        deleted = (isinstance(data, dict) and data.get("event") == "deleted") or "created" not in trigger.events
        event_type = STORAGE_EVENTS["deleted" if deleted else "created"]
        candidates = [u for u in candidates if (u.event_trigger or {}).get("event_type") == event_type] or candidates
    if not candidates:  # pragma: no cover - the model always makes a unit for the first trigger
        raise SlsnError(f"function '{function}' has no {want} unit on GCP")
    return candidates[0], trigger


def _deployed_uri(gcp: _Gcp, unit_name: str) -> str:
    from google.api_core import exceptions

    path = gcp.names.function_path(unit_name)
    try:
        deployed = gcp.clients.functions.get_function(name=path)
    except exceptions.NotFound:
        raise DeployError(f"function {unit_name} is not deployed in {gcp.names.project}/{gcp.names.region}",
                          hint="run 'sls-neutral deploy -p gcp' first") from None
    except exceptions.GoogleAPICallError as exc:
        raise DeployError(f"reading function {unit_name} failed: {exc.message}",
                          hint="check the project, the region and your permissions") from None
    uri = deployed.service_config.uri or deployed.url
    if not uri:
        raise DeployError(f"function {unit_name} has no URI yet (state {deployed.state.name})",
                          hint="wait for the deploy to finish, then invoke again")
    return uri.rstrip("/")


def id_token(audience: str) -> str | None:
    """An ID token for ``audience`` from the application default credentials, or None when none can be had."""
    try:
        import google.auth
        import google.auth.transport.requests
        from google.oauth2 import id_token as oauth_id_token
    except ImportError:  # pragma: no cover - google-auth comes with every google-cloud client
        return None
    request = google.auth.transport.requests.Request()
    try:
        return oauth_id_token.fetch_id_token(request, audience)  # service account keys, the metadata server
    except Exception:  # noqa: BLE001, S110 - no such credentials here: try the user's own ID token
        pass
    try:  # user credentials (gcloud auth application-default login) carry an ID token of their own
        credentials, _ = google.auth.default(scopes=["openid", "https://www.googleapis.com/auth/userinfo.email"])
        credentials.refresh(request)
        return getattr(credentials, "id_token", None)
    except Exception:  # noqa: BLE001 - no credentials at all: call without a token (public functions work)
        return None


def _message(data: Any, correlation: str | None) -> dict[str, Any]:
    body = b"" if data is None else (data.encode("utf-8") if isinstance(data, str) else
                                     json.dumps(data, separators=(",", ":")).encode("utf-8"))
    message_id = str(uuid.uuid4().int)[:16]
    now = remote.iso(time.time())
    return {"data": base64.b64encode(body).decode("ascii"), "messageId": message_id, "message_id": message_id,
            "publishTime": now, "publish_time": now,
            "attributes": {"slsn-correlation-id": correlation} if correlation else {}}


def build_request(gcp: _Gcp, function: str, unit: Any, trigger: Any, data: Any) -> tuple[str, str, dict, bytes]:
    """(method, path under the function's URI, headers, body) of the call the trigger would make."""
    from sls_neutral.providers.local.synth import synthesize

    _kind, payload = synthesize(gcp.app, function, data)  # validates path parameters and bucket keys
    names = gcp.names
    correlation = payload.get("correlation_id") if isinstance(payload, dict) else None
    if unit.kind == "http":
        headers = {**payload["headers"], "x-correlation-id": payload["correlation_id"]}
        return payload["method"], payload["path"], headers, base64.b64decode(payload["body_b64"])
    if unit.kind == "step":
        body = json.dumps(data).encode("utf-8")
        return "POST", "", {"content-type": "application/json"}, body
    if unit.kind == "queue":
        push = {"message": _message(data, correlation),
                "subscription": names.subscription_path(names.subscription(trigger.queue))}
        return "POST", "", {"content-type": "application/json"}, json.dumps(push).encode("utf-8")
    ce_id = uuid.uuid4().hex
    headers = {"ce-specversion": "1.0", "ce-id": ce_id, "ce-time": remote.iso(time.time()),
               "content-type": "application/json"}
    if unit.kind in ("topic", "schedule"):
        topic = (unit.event_trigger or {}).get("pubsub_topic") or ""
        sent = None if unit.kind == "schedule" and data is None else data  # the adapter falls back to trigger.data
        headers.update({"ce-type": PUBSUB_PUBLISHED, "ce-source": f"//pubsub.googleapis.com/{topic}"})
        body = {"message": _message(sent, correlation),
                "subscription": f"projects/{names.project}/subscriptions/eventarc-{names.region}-{unit.name}"}
        return "POST", "", headers, json.dumps(body).encode("utf-8")
    # bucket
    info = payload["event"]["data"]
    bucket = names.bucket(trigger.bucket)
    event = "deleted" if payload["event"]["type"].endswith("deleted") else "created"
    headers.update({"ce-type": STORAGE_TYPES[event], "ce-source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
                    "ce-subject": f"objects/{info['key']}"})
    body = {"kind": "storage#object", "bucket": bucket, "name": info["key"], "size": str(info.get("size") or 0),
            "etag": info.get("etag") or "", "contentType": "application/octet-stream",
            "timeCreated": headers["ce-time"], "updated": headers["ce-time"]}
    return "POST", "", headers, json.dumps(body).encode("utf-8")


def invoke(app: ir.App, function: str, data: Any, ctx: DeployContext) -> dict[str, Any]:
    import requests

    gcp = _Gcp(app, ctx)
    unit, trigger = _unit_for(gcp, function, data)
    method, path, headers, body = build_request(gcp, function, unit, trigger, data)
    uri = _deployed_uri(gcp, unit.name)
    headers = {**headers, "user-agent": "sls-neutral-invoke"}
    if not gcp.endpoint:
        token = id_token(uri)
        if token:
            headers["authorization"] = f"Bearer {token}"
    timeout = float(app.functions[function].timeout) + 30
    try:
        reply = requests.request(method, uri + path, headers=headers, data=body or None, timeout=timeout)
    except requests.RequestException as exc:
        raise DeployError(f"calling {unit.name} at {uri} failed: {exc}", hint="check the network and the URI") from None
    if reply.status_code in (401, 403):
        raise DeployError(f"{unit.name} refused the call: HTTP {reply.status_code}",
                          hint="the caller needs roles/run.invoker on the function (or run "
                               "'gcloud auth application-default login' as a user who has it)")
    text = reply.content
    if unit.kind == "http":
        result = remote.http_result(reply.status_code, dict(reply.headers), text)
        if reply.status_code >= 500:
            result.update(error="FunctionError", cause=_cause(unit.name, reply.status_code, text, function))
        return result
    if unit.kind == "step":
        value = remote.json_or_text(text)
        if reply.status_code < 300:
            return {"result": value}
        if isinstance(value, dict) and value.get("error"):
            return {"error": str(value["error"]), "cause": str(value.get("cause") or ""), "status": reply.status_code}
        return {"error": "FunctionError", "cause": _cause(unit.name, reply.status_code, text, function),
                "status": reply.status_code}
    if reply.status_code < 300:
        return {"ok": True}
    return {"error": "FunctionError", "cause": _cause(unit.name, reply.status_code, text, function),
            "status": reply.status_code}


def _cause(unit: str, status: int, body: bytes, function: str) -> str:
    snippet = body.decode("utf-8", "replace").strip()[:300]
    return f"HTTP {status} from {unit}" + (f": {snippet}" if snippet else "") + \
        f" (the traceback is in 'sls-neutral logs {function} -p gcp')"


# ---------------------------------------------------------------- logs
def log_filter(gcp: _Gcp, function: str, since: str) -> str:
    from sls_neutral.providers.gcp.model import units_of

    services = [u.name for u in units_of(gcp.app, gcp.settings)[function]]
    quoted = " OR ".join(json.dumps(s) for s in services)
    return (f'((resource.type="cloud_run_revision" AND resource.labels.service_name=({quoted})) OR '
            f'(resource.type="cloud_function" AND resource.labels.function_name=({quoted}))) '
            f'AND timestamp>="{since}"')


def _entry_text(entry: dict[str, Any]) -> Any:
    """The text a function wrote (Cloud Run parses JSON lines into ``jsonPayload``: kept as a dict)."""
    if "textPayload" in entry:
        return str(entry["textPayload"])
    if "jsonPayload" in entry:
        return dict(entry["jsonPayload"])
    if "protoPayload" in entry:
        proto = entry["protoPayload"]
        return str(proto.get("status", {}).get("message") or proto.get("methodName") or json.dumps(proto))
    return ""


def logs(app: ir.App, function: str, ctx: DeployContext, *, tail: bool = False) -> list[str] | None:
    gcp = _Gcp(app, ctx)
    url = gcp.url(LOGGING_API, "v2/entries:list")
    since = remote.iso(remote.logs_since(ctx))  # --since, or the last hour
    seen = remote.Seen()

    def fetch() -> list[str]:
        nonlocal since
        body: dict[str, Any] = {"resourceNames": [f"projects/{gcp.names.project}"],
                                "filter": log_filter(gcp, function, since), "orderBy": "timestamp asc",
                                "pageSize": 1000}
        entries: list[dict[str, Any]] = []
        while True:
            page = gcp.rest("POST", url, body) or {}
            entries.extend(page.get("entries", []))
            token = page.get("nextPageToken")
            if not token or len(entries) >= remote.MAX_LOG_LINES:
                break
            body["pageToken"] = token
        lines = []
        for entry in entries:
            key = entry.get("insertId") or f"{entry.get('timestamp')}:{json.dumps(_entry_text(entry), default=str)}"
            if not seen.add(key):
                continue
            when = entry.get("timestamp") or entry.get("receiveTimestamp") or ""
            since = max(since, when)
            severity = str(entry.get("severity") or "DEFAULT")
            labels = (entry.get("resource") or {}).get("labels") or {}
            lines.append(remote.log_line(when, _entry_text(entry), function,
                                         level=severity.lower() if severity != "DEFAULT" else None,
                                         gcp_function=labels.get("service_name") or labels.get("function_name"),
                                         execution_id=(entry.get("labels") or {}).get("execution_id")))
        return lines

    if not tail:
        return fetch()
    remote.follow(fetch, remote.poll_interval(ctx.endpoint_url))
    return None


# ---------------------------------------------------------------- workflows
def _workflow_path(gcp: _Gcp, workflow: str) -> str:
    return gcp.names.workflow_path(gcp.names.workflow(workflow))


def _workflow_of(gcp: _Gcp, execution_name: str) -> str | None:
    physical = execution_name.split("/workflows/", 1)[-1].split("/", 1)[0]
    return next((w for w in gcp.app.workflows if gcp.names.workflow(w) == physical), None)


def _get(gcp: _Gcp, execution_id: str) -> dict[str, Any]:
    candidates = [execution_id] if execution_id.startswith("projects/") else [
        f"{_workflow_path(gcp, w)}/executions/{execution_id}" for w in sorted(gcp.app.workflows)]
    for name in candidates:
        found = gcp.rest("GET", gcp.url(EXECUTIONS_API, f"v1/{name}"))
        if found is not None:
            return found
    raise SlsnError(f"execution '{execution_id}' not found in {gcp.names.project}/{gcp.names.region}",
                    hint="give the execution name that 'workflow start' printed")


def _error(payload: str) -> tuple[str, str]:
    """The compiled workflow raises ``{"error", "cause"}``; anything else raised is reported as it came."""
    value = remote.json_or_text(payload)
    if isinstance(value, dict) and value.get("error"):
        return str(value["error"]), str(value.get("cause") or "")
    if isinstance(value, dict) and value.get("message"):
        tags = value.get("tags") or ["WorkflowError"]
        return str(tags[0]), str(value["message"])
    return "WorkflowError", "" if value is None else str(value)


def _status(gcp: _Gcp, execution: dict[str, Any]) -> dict[str, Any]:
    status = STATES.get(execution.get("state", ""), "RUNNING")
    out: dict[str, Any] = {"execution_id": execution["name"], "workflow": _workflow_of(gcp, execution["name"]),
                           "status": status,
                           "input": remote.without_envelope(remote.json_or_text(execution.get("argument"))),
                           "started": execution.get("startTime") or "", "stopped": execution.get("endTime")}
    if status == "SUCCEEDED":
        out["output"] = remote.without_envelope(remote.json_or_text(execution.get("result")))
    elif status == "FAILED":
        out["error"], out["cause"] = _error((execution.get("error") or {}).get("payload", ""))
    current = (execution.get("status") or {}).get("currentSteps") or []
    if current and status == "RUNNING":
        out["current_steps"] = [s.get("step") for s in current]
    return out


def workflow_start(app: ir.App, workflow: str, data: Any, ctx: DeployContext, *, wait: bool = False) -> dict[str, Any]:
    from sls_neutral.runtime.dispatch import workflow_input

    if workflow not in app.workflows:
        raise SlsnError(f"workflow '{workflow}' is not declared",
                        hint=did_you_mean(workflow, app.workflows) or "see 'sls-neutral info -p gcp'")
    gcp = _Gcp(app, ctx)
    parent = _workflow_path(gcp, workflow)
    argument = json.dumps(workflow_input(data if data is not None else {}, uuid.uuid4().hex), sort_keys=True)
    execution = gcp.rest("POST", gcp.url(EXECUTIONS_API, f"v1/{parent}/executions"), {"argument": argument})
    if execution is None:
        raise DeployError(f"workflow '{workflow}' ({parent.rsplit('/', 1)[-1]}) is not deployed in "
                          f"{gcp.names.project}/{gcp.names.region}", hint="run 'sls-neutral deploy -p gcp' first")
    if not wait:
        return {"execution_id": execution["name"]}
    interval = remote.poll_interval(ctx.endpoint_url)
    deadline = time.monotonic() + float(app.workflows[workflow].timeout) + 60
    while True:
        result = _status(gcp, _get(gcp, execution["name"]))
        if result["status"] != "RUNNING" or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def workflow_status(app: ir.App, execution_id: str, ctx: DeployContext) -> dict[str, Any]:
    gcp = _Gcp(app, ctx)
    return _status(gcp, _get(gcp, execution_id))


def _step_entries(gcp: _Gcp, execution_name: str) -> list[dict[str, Any]] | None:
    url = gcp.url(EXECUTIONS_API, f"v1/{execution_name}/stepEntries")
    params: dict[str, Any] = {"pageSize": 1000}
    entries: list[dict[str, Any]] = []
    while True:
        try:
            page = gcp.rest("GET", url, params=params)
        except DeployError:
            return None if not entries else entries  # no step entries API where this runs: start/end only
        if page is None:
            return None if not entries else entries
        entries.extend(page.get("stepEntries", []))
        if not page.get("nextPageToken"):
            return entries
        params["pageToken"] = page["nextPageToken"]


def _step_origins(gcp: _Gcp, execution_name: str) -> dict[str, str | None]:
    """The workflow's compiled step names -> manifest step names (core/workflows/gcp.py compiles the same)."""
    from sls_neutral.core.workflows.gcp import gcp_step_names

    workflow = _workflow_of(gcp, execution_name)
    return gcp_step_names(gcp.app.workflows[workflow]) if workflow else {}


def _manifest_step(origins: dict[str, str | None], routine: str, compiled: str) -> str | None:
    """The manifest step of a step entry: None for plumbing (``init``, ``done``, the subworkflows' steps); a
    name the current manifest does not compile to (an older deployment) is kept as it came."""
    if routine != "main":
        return None
    return origins.get(compiled, compiled) if compiled else None


def workflow_history(app: ir.App, execution_id: str, ctx: DeployContext) -> list[dict[str, Any]]:
    gcp = _Gcp(app, ctx)
    execution = _get(gcp, execution_id)
    status = _status(gcp, execution)
    events: list[dict[str, Any]] = [{"seq": 0, "time": status["started"], "type": "ExecutionStarted", "step": None,
                                     "detail": {"input": status["input"]}}]
    entries = _step_entries(gcp, execution["name"])
    origins = _step_origins(gcp, execution["name"])
    for entry in sorted(entries or [], key=lambda e: int(e.get("entryId") or 0)):
        state = entry.get("state", "")
        routine = entry.get("routine") or "main"
        compiled = entry.get("step") or ""
        step = _manifest_step(origins, routine, compiled)
        detail: dict[str, Any] = {"kind": str(entry.get("stepType", "")).removeprefix("STEP_").lower()}
        if routine != "main":
            detail["routine"] = routine
        if compiled != step:
            detail["gcp_step"] = compiled
        if entry.get("exception"):
            detail["error"], detail["cause"] = _error(entry["exception"].get("payload", ""))
        events.append({"seq": int(entry.get("entryId") or len(events)),
                       "time": entry.get("updateTime") if state != "STATE_IN_PROGRESS" else entry.get("createTime"),
                       "type": STEP_STATES.get(state, state or "Step"), "step": step, "detail": detail})
    if entries is None and status.get("current_steps"):
        for compiled in status["current_steps"]:
            step = _manifest_step(origins, "main", compiled)
            detail = {"note": "current step (step entries are not available)"}
            if compiled != step:
                detail["gcp_step"] = compiled
            events.append({"seq": len(events), "time": "", "type": "StepStarted", "step": step, "detail": detail})
    end = {"SUCCEEDED": ("ExecutionSucceeded", {"output": status.get("output")}),
           "FAILED": ("ExecutionFailed", {"error": status.get("error"), "cause": status.get("cause")}),
           "ABORTED": ("ExecutionAborted", {})}.get(status["status"])
    if end:
        events.append({"seq": max(e["seq"] for e in events) + 1, "time": status["stopped"] or "", "type": end[0],
                       "step": None, "detail": end[1]})
    return events
