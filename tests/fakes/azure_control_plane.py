"""A FAKE Azure control plane for tests: the REST shapes of ARM deployments, what-if, sites and zip deploy.

Not Azure. It serves, on 127.0.0.1, just enough of the real wire protocol for
the unchanged Azure SDK clients (azure-mgmt-resource-deployments,
azure-mgmt-web) and our Kudu calls to run end to end:

- ``PUT/GET .../resourcegroups/{rg}/providers/Microsoft.Resources/deployments/{name}`` with an
  ``Azure-AsyncOperation`` header that the SDK's ARM poller follows;
- ``POST .../deployments/{name}/whatIf`` answering 202 + ``Location``, then the WhatIfOperationResult
  (Create / Modify / NoChange / Ignore computed against the resources of earlier deployments, incremental mode);
- ``GET .../providers/Microsoft.Web/sites/{app}`` and ``.../sites/{app}/functions`` (the functions come from
  ``@app.function_name(name=...)`` lines of the uploaded function_app.py - a fake's shortcut; the real
  indexing is tested separately with azure.functions);
- ``POST /scm/{app}/api/publish`` and ``/api/zipdeploy`` (202 + Location), ``GET /scm/{app}/api/deployments/latest``;
- ``GET .../providers/Microsoft.Insights/components/{name}`` (its ``AppId``) and the Application Insights query
  API ``POST /v1/apps/{appId}/query`` over rows a test puts in ``telemetry`` (the KQL is not run: the fake reads
  the ``operation_Name in (...)`` and ``timestamp >= datetime(...)`` filters out of it - a fake's shortcut).

Template expressions are not evaluated (except a resource ``condition`` on a bool parameter); every request is
recorded in ``calls`` so tests can assert that an unchanged deploy makes no mutating call.
"""

from __future__ import annotations

import io
import json
import re
import threading
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

DEPLOYMENT_RE = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/Microsoft\.Resources/"
                           r"deployments/([^/]+?)(/whatIf)?$", re.I)
OPERATION_RE = re.compile(r"^/fake/operations/([^/]+)$")
SITE_RE = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Web/sites/([^/]+?)"
                     r"(/functions)?$", re.I)
GENERIC_RE = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/([^/]+)/(.+)$", re.I)
HOSTKEYS_RE = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Web/sites/([^/]+)/"
                         r"host/default/listkeys$", re.I)
APP_RE = re.compile(r"^/app/([^/]+)(/.*)$")
KUDU_RE = re.compile(r"^/scm/([^/]+)/api/(publish|zipdeploy|deployments/latest)$")
INSIGHTS_QUERY_RE = re.compile(r"^/v1/apps/([^/]+)/query$")
MASTER_KEY = "fake-master-key"
DURABLE_KEY = "fake-durabletask-key"
FUNCTION_NAME_RE = re.compile(r"@app\.function_name\(name=['\"]([^'\"]+)['\"]\)")


class FakeAzure:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.deployments: dict[str, dict[str, Any]] = {}
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}
        self.operations: dict[str, dict[str, Any]] = {}
        self.packages: dict[str, dict[str, Any]] = {}
        self.app_calls: list[tuple] = []  # (method, path, body, query, x-functions-key) on the app's host
        self.app_answers: dict[str, list[tuple[int, Any]]] = {}  # path on the app's host -> queued (status, body)
        self.instances: dict[str, dict[str, Any]] = {}  # app -> {"sha": ..., "functions": [...], "files": [...]}
        self.subscription = "sub"  # set from the first request's path
        self.resource_group = "rg"
        self.fail_next_deployment: str | None = None  # an error message: the next PUT deployment fails
        # Application Insights rows: {"timestamp", "itemType", "severityLevel", "operation_Name", "operation_Id",
        # "text"}; the queries asked are kept in ``queries``
        self.telemetry: list[dict[str, Any]] = []
        self.queries: list[str] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> str:
        fake = self

        class Handler(_Handler):
            state = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self.url

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # ------------------------------------------------------------ views for tests
    def mutating_calls(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.calls if m in ("PUT", "POST", "DELETE", "PATCH") and
                not p.endswith(("/whatIf", "/listkeys", "/query")) and not p.startswith("/app/")]

    def reset_calls(self) -> None:
        self.calls.clear()

    # ------------------------------------------------------------ behaviour
    def apply(self, template: dict[str, Any], parameters: dict[str, Any]) -> None:
        for resource in template.get("resources", []):
            if not _condition(resource, template, parameters):
                continue
            key = (resource["type"], json.dumps(resource["name"]))
            self.resources[key] = resource

    def resource_id(self, rtype: str, name: str) -> str:
        """A realistic ARM id (names interleaved with the type's parts); expressions stay unevaluated."""
        namespace, *types = rtype.split("/")
        # a name that is an expression (role assignments: [guid(...)]) gets a stable GUID, as ARM would evaluate it
        names = name.split("/") if not name.startswith("[") else [str(uuid.uuid5(uuid.NAMESPACE_URL, name))]
        path = "/".join(f"{t}/{n}" for t, n in zip(types, names))
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}/providers/{namespace}/{path}"

    def what_if(self, template: dict[str, Any], parameters: dict[str, Any]) -> list[dict[str, Any]]:
        changes = []
        wanted = set()
        for resource in template.get("resources", []):
            if not _condition(resource, template, parameters):
                continue
            key = (resource["type"], json.dumps(resource["name"]))
            wanted.add(key)
            before = self.resources.get(key)
            rid = self.resource_id(resource["type"], resource["name"])
            if before is None:
                change = {"resourceId": rid, "changeType": "Create", "after": resource}
            elif before == resource:
                change = {"resourceId": rid, "changeType": "NoChange", "before": before, "after": resource}
            else:
                change = {"resourceId": rid, "changeType": "Modify", "before": before, "after": resource}
            changes.append(change)
        for key, resource in self.resources.items():
            if key not in wanted:  # incremental mode leaves them alone
                changes.append({"resourceId": self.resource_id(key[0], resource["name"]), "changeType": "Ignore"})
        return changes

    def site(self, name: str) -> dict[str, Any] | None:
        for (rtype, _), resource in self.resources.items():
            if rtype == "Microsoft.Web/sites" and resource["name"] == name:
                return resource
        return None

    def upload(self, app: str, data: bytes, message: str) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            source = zf.read("function_app.py").decode("utf-8") if "function_app.py" in names else ""
        self.packages[app] = {"sha": message, "functions": sorted(FUNCTION_NAME_RE.findall(source)),
                              "files": names, "id": uuid.uuid4().hex}


def insights_app_id(name: str) -> str:
    """The fake component's AppId: a stable GUID of its name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"insights/{name}"))


def _condition(resource: dict[str, Any], template: dict[str, Any], parameters: dict[str, Any]) -> bool:
    condition = resource.get("condition")
    if condition is None:
        return True
    match = re.fullmatch(r"\[parameters\('([^']+)'\)\]", str(condition))
    if not match:
        return True
    name = match.group(1)
    if name in parameters:
        return bool(parameters[name].get("value"))
    return bool(template.get("parameters", {}).get(name, {}).get("defaultValue", True))


class _Handler(BaseHTTPRequestHandler):
    state: FakeAzure
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        return None

    # ------------------------------------------------------------ helpers
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", uuid.uuid4().hex)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _base(self) -> str:
        return self.state.url

    def _authorized(self) -> bool:
        if not (self.headers.get("Authorization") or "").startswith("Bearer "):
            self._send(401, {"error": {"code": "AuthenticationFailed", "message": "no bearer token"}})
            return False
        return True

    def _route(self, method: str) -> None:
        url = urlparse(self.path)
        with self.state.lock:
            self.state.calls.append((method, url.path))
        body = self._body() if method in ("PUT", "POST") else b""
        if not APP_RE.match(url.path) and not self._authorized():
            return
        if APP_RE.match(url.path):  # the app's own host: keys, not bearer tokens
            with self.state.lock:
                self._app(method, APP_RE.match(url.path), body if method in ("PUT", "POST") else b"",
                          parse_qs(url.query))
            return
        routes = [(DEPLOYMENT_RE, self._deployment), (OPERATION_RE, self._operation), (KUDU_RE, self._kudu),
                  (HOSTKEYS_RE, self._host_keys), (INSIGHTS_QUERY_RE, self._insights_query)]
        routes += [(SITE_RE, self._site)] if method != "DELETE" else []
        routes += [(GENERIC_RE, self._generic)]
        for pattern, handler in routes:
            match = pattern.match(url.path)
            if match:
                with self.state.lock:
                    handler(method, match, body, parse_qs(url.query))
                return
        self._send(404, {"error": {"code": "NotFound", "message": f"fake: no route for {method} {url.path}"}})

    def do_GET(self) -> None:  # noqa: N802
        self._route("GET")

    def do_PUT(self) -> None:  # noqa: N802
        self._route("PUT")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")

    # ------------------------------------------------------------ ARM deployments
    def _deployment(self, method: str, match: re.Match, body: bytes, query: dict) -> None:
        sub, rg, name, what_if = match.groups()
        self.state.subscription, self.state.resource_group = sub, rg
        rid = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Resources/deployments/{name}"
        if what_if and method == "POST":
            request = json.loads(body)
            props = request["properties"]
            changes = self.state.what_if(props.get("template", {}), props.get("parameters", {}))
            op = uuid.uuid4().hex
            self.state.operations[op] = {"status": "Succeeded", "properties": {"changes": changes}}
            self._send(202, None, {"Location": f"{self._base()}/fake/operations/{op}?api-version=2026-06-01",
                                   "Retry-After": "0"})
            return
        if method == "GET":
            deployment = self.state.deployments.get(name)
            if deployment is None:
                self._send(404, {"error": {"code": "DeploymentNotFound", "message": f"Deployment '{name}' "
                                                                                   "could not be found."}})
            else:
                self._send(200, deployment)
            return
        if method == "PUT":
            request = json.loads(body)
            props = request["properties"]
            template, parameters = props.get("template", {}), props.get("parameters", {})
            failure, self.state.fail_next_deployment = self.state.fail_next_deployment, None
            if failure:
                op = uuid.uuid4().hex
                self.state.operations[op] = {"status": "Failed", "error": {"code": "DeploymentFailed",
                                                                           "message": failure}}
                self._send(201, {"id": rid, "name": name, "properties": {"provisioningState": "Accepted"}}, {
                    "Azure-AsyncOperation": f"{self._base()}/fake/operations/{op}?api-version=2026-06-01",
                    "Retry-After": "0"})
                return
            self.state.apply(template, parameters)
            outputs = {"functionAppName": {"type": "String", "value": template.get("outputs", {}).get(
                "functionAppName", {}).get("value", "")}}
            outputs["defaultHostName"] = {"type": "String",
                                          "value": f"{outputs['functionAppName']['value']}.azurewebsites.net"}
            deployment = {"id": rid, "name": name, "type": "Microsoft.Resources/deployments",
                          "tags": request.get("tags") or {},
                          "properties": {"provisioningState": "Succeeded", "mode": props.get("mode"),
                                         "parameters": parameters, "outputs": outputs,
                                         "timestamp": "2026-01-01T00:00:00Z"}}
            self.state.deployments[name] = deployment
            op = uuid.uuid4().hex
            self.state.operations[op] = {"status": "Succeeded"}
            accepted = {**deployment, "properties": {**deployment["properties"], "provisioningState": "Accepted"}}
            self._send(201, accepted, {
                "Azure-AsyncOperation": f"{self._base()}/fake/operations/{op}?api-version=2026-06-01",
                "Retry-After": "0"})
            return
        if method == "DELETE":
            self.state.deployments.pop(name, None)
            self._send(204, None)
            return
        self._send(405, {"error": {"code": "MethodNotAllowed", "message": method}})

    def _generic(self, method: str, match: re.Match, body: bytes, query: dict) -> None:
        """DELETE of any resource by id (remove); the resource's children go with it. GET of an Application
        Insights component (logs reads its AppId)."""
        namespace, rest = match.group(3), match.group(4).split("/")
        rtype = "/".join([namespace, *rest[0::2]])
        name = "/".join(rest[1::2])
        key = (rtype, json.dumps(name))
        if method == "GET" and rtype.lower() == "microsoft.insights/components" and key in self.state.resources:
            self._send(200, {"id": self.state.resource_id(rtype, name), "name": name, "type": rtype,
                             "location": "eastus", "kind": "web",
                             "properties": {"AppId": insights_app_id(name), "Application_Type": "web"}})
            return
        if method != "DELETE":
            self._send(404, {"error": {"code": "NotFound", "message": "fake: generic GET/PUT not modelled"}})
            return
        if key not in self.state.resources:
            self._send(404, {"error": {"code": "ResourceNotFound", "message": f"{rtype} {name}"}})
            return
        for other in list(self.state.resources):
            if other == key or (other[0].startswith(rtype + "/") and json.loads(other[1]).startswith(name + "/")):
                del self.state.resources[other]
        self.state.packages.pop(name, None) if rtype == "Microsoft.Web/sites" else None
        self._send(204, None)

    def _insights_query(self, method: str, match: re.Match, body: bytes, query: dict) -> None:
        app_id = match.group(1)
        known = {insights_app_id(json.loads(n)) for t, n in self.state.resources
                 if t == "Microsoft.Insights/components"}
        if method != "POST" or app_id not in known:
            self._send(404, {"error": {"code": "PathNotFoundError", "message": f"app {app_id}"}})
            return
        kql = json.loads(body)["query"]
        self.state.queries.append(kql)
        names = re.search(r"operation_Name in \(([^)]*)\)", kql)
        wanted = set(re.findall(r"'([^']*)'", names.group(1))) if names else None
        since = re.search(r"timestamp >= datetime\(([^)]+)\)", kql)
        rows = [r for r in self.state.telemetry if (wanted is None or r["operation_Name"] in wanted) and
                (since is None or r["timestamp"] >= since.group(1))]
        rows.sort(key=lambda r: r["timestamp"])
        columns = ["timestamp", "itemType", "severityLevel", "operation_Name", "operation_Id", "text"]
        self._send(200, {"tables": [{"name": "PrimaryResult",
                                     "columns": [{"name": c, "type": "string"} for c in columns],
                                     "rows": [[r.get(c) for c in columns] for r in rows]}]})

    def _host_keys(self, method: str, match: re.Match, body: bytes, query: dict) -> None:
        if self.state.site(match.group(3)) is None:
            self._send(404, {"error": {"code": "ResourceNotFound", "message": "site"}})
            return
        self._send(200, {"masterKey": MASTER_KEY, "functionKeys": {"default": "function-key"},
                         "systemKeys": {"durabletask_extension": DURABLE_KEY}})

    def _app(self, method: str, match: re.Match, body: bytes, query: dict) -> None:
        """The deployed app's host, just enough for invoke and the Durable HTTP API (calls are recorded)."""
        app, path = match.groups()
        self.state.app_calls.append((method, path, body, {k: v[0] for k, v in query.items()},
                                     self.headers.get("x-functions-key")))
        if app not in self.state.packages:
            self._send(404, {"error": "app not deployed"})
        elif path.startswith("/admin/functions/"):
            ok = self.headers.get("x-functions-key") == MASTER_KEY and \
                path.rsplit("/", 1)[-1] in self.state.packages[app]["functions"]
            self._send(202 if ok else 401, None)
        elif path.startswith("/runtime/webhooks/durabletask/"):
            if query.get("code", [""])[0] != DURABLE_KEY:
                self._send(401, {"error": "bad key"})
            elif path.startswith("/runtime/webhooks/durabletask/orchestrators/") and method == "POST":
                instance = uuid.uuid4().hex
                self.state.instances[instance] = {"name": path.rsplit("/", 1)[-1], "input": json.loads(body)}
                self._send(202, {"id": instance, "statusQueryGetUri": f"{self._base()}/app/{app}{path}"})
            else:
                instance = self.state.instances.get(path.rsplit("/", 1)[-1])
                if instance is None:
                    self._send(404, None)
                else:  # the fake runs nothing: an execution completes with its input as output
                    self._send(200, {"runtimeStatus": "Completed", "output": instance["input"],
                                     "historyEvents": [{"EventType": "ExecutionStarted",
                                                        "Timestamp": "2026-01-01T00:00:00Z"},
                                                       {"EventType": "ExecutionCompleted",
                                                        "Timestamp": "2026-01-01T00:00:01Z"}]})
        elif self.state.app_answers.get(path):  # a queued answer (a failing function), once
            self._send(*self.state.app_answers[path].pop(0))
        else:
            self._send(200, {"method": method, "path": path})

    def _operation(self, method: str, match: re.Match, body: bytes, query: dict) -> None:
        op = self.state.operations.get(match.group(1))
        if op is None:
            self._send(404, {"error": {"code": "NotFound", "message": "operation"}})
        else:
            self._send(200, op)

    # ------------------------------------------------------------ sites
    def _site(self, method: str, match: re.Match, body: bytes, query: dict) -> None:
        sub, rg, name, functions = match.groups()
        site = self.state.site(name)
        if site is None:
            self._send(404, {"error": {"code": "ResourceNotFound", "message": f"site {name} not found"}})
            return
        rid = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{name}"
        if functions:
            package = self.state.packages.get(name, {"functions": []})
            value = [{"id": f"{rid}/functions/{fn}", "name": f"{name}/{fn}", "type": "Microsoft.Web/sites/functions",
                      "properties": {"name": fn, "isDisabled": False}} for fn in package["functions"]]
            self._send(200, {"value": value})
            return
        self._send(200, {"id": rid, "name": name, "type": "Microsoft.Web/sites", "kind": site.get("kind"),
                         "location": "eastus",
                         "properties": {"state": "Running", "defaultHostName": f"{name}.azurewebsites.net",
                                        "enabledHostNames": [f"{name}.azurewebsites.net",
                                                             f"{name}.scm.azurewebsites.net"]}})

    # ------------------------------------------------------------ Kudu
    def _kudu(self, method: str, match: re.Match, body: bytes, query: dict) -> None:
        app, action = match.groups()
        if self.state.site(app) is None:
            self._send(404, {"error": "no such app"})
            return
        if action in ("publish", "zipdeploy") and method == "POST":
            try:
                self.state.upload(app, body, (query.get("message") or [""])[0])
            except zipfile.BadZipFile:
                self._send(400, {"error": "not a zip"})
                return
            self._send(202, None, {"Location": f"{self._base()}/scm/{app}/api/deployments/latest"})
            return
        if action == "deployments/latest" and method == "GET":
            package = self.state.packages.get(app)
            if package is None:
                self._send(404, {"error": "no deployments"})
            else:
                self._send(200, {"id": package["id"], "status": 4, "complete": True, "message": package["sha"],
                                 "deployer": "sls-neutral"})
            return
        self._send(405, {"error": method})
