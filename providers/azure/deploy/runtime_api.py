"""Talk to a deployed app: invoke a function, start and read workflow executions.

Keys come from ARM (``web_apps.list_host_keys``: the master key for the admin endpoint, the
``durabletask_extension`` system key for the Durable HTTP API); nothing is stored. With ``--endpoint-url``
the app's host becomes ``<endpoint>/app/<app>`` (the fake control plane in tests).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from sls_neutral.core import ir, remote
from sls_neutral.core.errors import DeployError, SlsnError

DURABLE_STATUS = {"Pending": "RUNNING", "Running": "RUNNING", "ContinuedAsNew": "RUNNING", "Suspended": "RUNNING",
                  "Completed": "SUCCEEDED", "Failed": "FAILED", "Terminated": "ABORTED", "Canceled": "ABORTED"}


def app_base(clients, model) -> str:
    name = model.names["function_app"]
    if clients.endpoint_url:
        return f"{clients.endpoint_url.rstrip('/')}/app/{name}"
    return f"https://{name}.azurewebsites.net"


def host_keys(clients, model) -> dict[str, Any]:
    from azure.core.exceptions import HttpResponseError

    try:
        keys = clients.web().web_apps.list_host_keys(clients.resource_group, model.names["function_app"])
    except HttpResponseError as exc:
        raise DeployError(f"reading the app's host keys failed: {exc.message}",
                          hint="deploy first; the caller needs Website Contributor on the function app") from None
    return {"master": keys.master_key, "system": dict(keys.system_keys or {})}


def _request(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode("utf-8"))
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json",
                                                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=240) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()
    except urllib.error.URLError as exc:
        raise DeployError(f"the app is unreachable: {exc.reason}") from None


def invoke(clients, model, function: str, data: Any) -> dict[str, Any]:
    """HTTP functions: call their first route; others: the host's admin endpoint (runs the function once)."""
    fn = model.app.functions[function]
    base = app_base(clients, model)
    http = next((t for t in fn.triggers if isinstance(t, ir.HttpTrigger)), None)
    if http is not None:
        path = http.path
        body = data
        if isinstance(data, dict) and "path" in data:
            path, body = str(data["path"]), data.get("body")
        if "{" in path:
            raise SlsnError(f"route '{http.path}' of '{function}' has parameters",
                            hint='give the concrete path: --data \'{"path": "/photos/42", "body": {...}}\'')
        method = "POST" if http.method == "ANY" else http.method
        status, headers, raw = _request(method, base + path, None if method in ("GET", "DELETE") else body)
        text = raw.decode("utf-8", "replace")
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return {"status": status, "body": parsed, "content_type": headers.get("Content-Type")}
    targets = [f for f in model.functions if f.target == function and f.kind not in ("http",)]
    if not targets:
        raise SlsnError(f"function '{function}' has no trigger to invoke on Azure",
                        hint="workflow steps run through their workflow: sls-neutral workflow start")
    key = host_keys(clients, model)["master"]
    status, _, raw = _request("POST", f"{base}/admin/functions/{targets[0].name}",
                              {"input": json.dumps(data if data is not None else {})}, {"x-functions-key": key})
    if status >= 300:
        raise DeployError(f"invoking '{targets[0].name}' failed: HTTP {status} {raw[:200]!r}")
    return {"status": status, "function": targets[0].name, "accepted": True}


def _durable(clients, model) -> tuple[str, str]:
    key = host_keys(clients, model)["system"].get("durabletask_extension")
    if not key:
        raise DeployError("the app has no Durable Functions system key yet",
                          hint="deploy the code first (the key exists once the host loaded the Durable extension)")
    return f"{app_base(clients, model)}/runtime/webhooks/durabletask", key


def workflow_status(clients, model, execution_id: str, history: bool = False) -> dict[str, Any]:
    base, key = _durable(clients, model)
    query = {"code": key, **({"showHistory": "true", "showHistoryOutput": "true"} if history else {})}
    status, _, raw = _request("GET", f"{base}/instances/{urllib.parse.quote(execution_id)}?"
                              + urllib.parse.urlencode(query))
    if status == 404:
        raise SlsnError(f"execution '{execution_id}' not found", hint="check the id and the stage")
    if status >= 300:
        raise DeployError(f"reading execution '{execution_id}' failed: HTTP {status}")
    data = json.loads(raw or b"{}")
    out: dict[str, Any] = {"execution_id": execution_id,
                           "status": DURABLE_STATUS.get(data.get("runtimeStatus"), "RUNNING"),
                           "output": data.get("output")}
    if out["status"] == "FAILED":
        out["error"] = data.get("output")
    if history:
        out["history"] = data.get("historyEvents") or []
    return out


def workflow_start(clients, model, workflow: str, data: Any, wait: bool) -> dict[str, Any]:
    base, key = _durable(clients, model)
    state = dict(data) if isinstance(data, dict) else {"input": data}
    state.setdefault("_slsn", {}).setdefault("correlation_id", uuid.uuid4().hex)
    status, _, raw = _request("POST", f"{base}/orchestrators/{urllib.parse.quote(workflow)}?"
                              + urllib.parse.urlencode({"code": key}), state)
    if status >= 300:
        raise DeployError(f"starting workflow '{workflow}' failed: HTTP {status} {raw[:200]!r}")
    execution_id = json.loads(raw)["id"]
    if not wait:
        return {"execution_id": execution_id}
    deadline = time.monotonic() + model.app.workflows[workflow].timeout + 60
    while True:
        result = workflow_status(clients, model, execution_id)
        if result["status"] != "RUNNING" or time.monotonic() > deadline:
            return result
        time.sleep(0.2 if clients.endpoint_url else 2)


def workflow_history(clients, model, execution_id: str) -> list[dict[str, Any]]:
    events = workflow_status(clients, model, execution_id, history=True)["history"]
    return [{"seq": i, "time": e.get("Timestamp") or e.get("timestamp", ""),
             "type": e.get("EventType") or e.get("eventType", ""), "step": e.get("FunctionName") or
             e.get("functionName", ""), "detail": json.dumps(e.get("Result") or e.get("result") or "")[:200]}
            for i, e in enumerate(events)]


# ---------------------------------------------------------------- logs (Application Insights)
INSIGHTS_QUERY_SCOPE = "https://api.applicationinsights.io/.default"
INSIGHTS_QUERY_BASE = "https://api.applicationinsights.io"
LOG_LINES = 1000
LOG_SPAN = "P7D"  # `logs -p azure` without --since: the last 7 days (Application Insights keeps 90 by default)
SEVERITY = {0: "debug", 1: "info", 2: "warning", 3: "error", 4: "critical"}


def insights_app_id(clients, model) -> str:
    """The Application Insights component's AppId (an ARM read), which the query API addresses."""
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    from sls_neutral.providers.azure.arm import API

    rid = clients.resource_id("Microsoft.Insights/components", model.names["insights"])
    try:
        component = clients.resources().resources.get_by_id(rid, api_version=API["insights"])
    except ResourceNotFoundError:
        raise SlsnError(f"Application Insights component '{model.names['insights']}' not found",
                        hint="deploy first: sls-neutral deploy -p azure") from None
    except HttpResponseError as exc:
        raise DeployError(f"reading Application Insights failed: {exc.message}",
                          hint="the caller needs Reader on the resource group") from None
    app_id = (component.properties or {}).get("AppId")
    if not app_id:
        raise DeployError(f"Application Insights component '{model.names['insights']}' has no AppId yet")
    return str(app_id)


def log_query(names: list[str], since: str | None = None) -> str:
    """KQL over traces (ctx.log, print), exceptions and requests (one per invocation) of ``names``."""
    quoted = ", ".join("'" + n.replace("'", "") + "'" for n in sorted(names))
    where = f"| where operation_Name in ({quoted})"
    if since:
        where += f" and timestamp >= datetime({since})"
    return ("union traces, exceptions, requests\n"
            f"{where}\n"
            "| extend text = case(itemType == 'exception', strcat(type, ': ', outerMessage),\n"
            "                     itemType == 'request', strcat('invocation ', iff(success == true, 'succeeded', "
            "'failed'), ' (', resultCode, ') in ', round(duration), ' ms'),\n"
            "                     message)\n"
            "| project timestamp, itemType, severityLevel, operation_Name, operation_Id, text\n"
            f"| top {LOG_LINES} by timestamp desc\n"
            "| order by timestamp asc")


def log_span(since: float | None, now: float) -> str:
    """The query API's ``timespan``: it applies on top of the KQL's own filter, so it must reach ``since``."""
    if since is None or now - since <= 7 * 86400:
        return LOG_SPAN
    return f"P{int((now - since) // 86400) + 2}D"  # whole days, a day to spare on each side


def _query(clients, app_id: str, kql: str, span: str = LOG_SPAN) -> list[dict[str, Any]]:
    base = clients.endpoint_url.rstrip("/") if clients.endpoint_url else INSIGHTS_QUERY_BASE
    token = clients.token() if clients.endpoint_url else clients.credential().get_token(INSIGHTS_QUERY_SCOPE).token
    status, _, raw = _request("POST", f"{base}/v1/apps/{urllib.parse.quote(app_id)}/query",
                              {"query": kql, "timespan": span}, {"Authorization": f"Bearer {token}"})
    if status >= 300:
        raise DeployError(f"querying Application Insights failed: HTTP {status} {raw[:300]!r}",
                          hint="the caller needs Reader (or Monitoring Reader) on the Application Insights "
                               "component")
    tables = json.loads(raw or b"{}").get("tables") or []
    if not tables:
        return []
    columns = [c["name"] for c in tables[0]["columns"]]
    return [dict(zip(columns, row)) for row in tables[0]["rows"]]


def log_line(row: dict[str, Any], function: str) -> str:
    """One JSON object per line, as the local provider's log file: a ctx.log line keeps its own fields."""
    text = row.get("text") or ""
    line: dict[str, Any] = {}
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            line = parsed
    if not line:
        kind = row.get("itemType") or "trace"
        level = "error" if kind == "exception" else SEVERITY.get(row.get("severityLevel"), "info")
        line = {"level": level, "message": text, "kind": kind}
    line.setdefault("time", row.get("timestamp"))
    line.setdefault("function", function)
    line.setdefault("invocation_id", row.get("operation_Id"))
    line.setdefault("azure_function", row.get("operation_Name"))
    return json.dumps(line, sort_keys=True, default=str)


def logs(clients, model, function: str, tail: bool = False, *, say=print, poll_s: float | None = None,
         since: float | None = None):
    """The function's log lines from Application Insights (every Azure function the manifest function became);
    ``tail`` keeps polling for newer lines until interrupted. Ingestion takes a minute or two on Azure.

    ``since`` (epoch seconds, ``logs --since``) leaves out older lines; without it, the last 7 days."""
    names = [f.name for f in model.functions if f.target == function]
    if not names:
        raise SlsnError(f"function '{function}' has no Azure function to read logs of",
                        hint="workflow steps run inside the workflow's activity: read 'slsn-step'")
    app_id = insights_app_id(clients, model)
    span = log_span(since, time.time())
    start = remote.iso(since) if since is not None else None
    rows = _query(clients, app_id, log_query(names, start), span)
    if not tail:
        return [log_line(r, function) for r in rows]
    interval = poll_s if poll_s is not None else (0.2 if clients.endpoint_url else 5.0)
    seen: set[tuple] = set()
    last = None
    try:
        while True:
            for row in rows:
                key = (row.get("timestamp"), row.get("operation_Id"), row.get("itemType"), row.get("text"))
                if key in seen:
                    continue
                seen.add(key)
                say(log_line(row, function))
                last = row.get("timestamp") or last
            time.sleep(interval)
            # from the last timestamp seen, inclusive: rows of one timestamp may arrive in two polls (``seen``
            # drops the repeats)
            rows = _query(clients, app_id, log_query(names, last or start), span)
    except KeyboardInterrupt:
        return None

