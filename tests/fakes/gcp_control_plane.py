"""A fake of the GCP control plane for deploy tests - NOT GCP.

It speaks the REST shapes the real google-cloud client libraries send with ``transport="rest"``:
Cloud Functions v2 (functions, generateUploadUrl, long-running operations), Workflows v1 (+ operations),
Pub/Sub v1 topics and subscriptions, Cloud Scheduler v1 jobs, Cloud Storage JSON buckets (+ bucket IAM),
IAM service accounts, getIamPolicy/setIamPolicy on any resource, Cloud Monitoring v3 alert policies and Cloud
Logging v2 log buckets and sinks (the observability plugin); for invoke/logs/workflow: each function's
own URI (``/run/<id>``, recorded and echoed), Cloud Logging ``entries:list`` and Workflow Executions (create,
get, stepEntries). State is kept in memory; every
request is recorded so tests can assert which calls a deploy made. Operations finish on their first poll,
so the clients' polling code runs for real. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


def _camel(path: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), path)


def _apply_mask(target: dict[str, Any], source: dict[str, Any], mask: str) -> None:
    for path in [p for p in mask.split(",") if p]:
        parts = [_camel(p) for p in path.split(".")]
        src: Any = source
        dst = target
        for part in parts[:-1]:
            src = (src or {}).get(part, {})
            dst = dst.setdefault(part, {})
        if isinstance(src, dict) and parts[-1] in src:
            dst[parts[-1]] = copy.deepcopy(src[parts[-1]])
        else:
            dst.pop(parts[-1], None)


class FakeGcp:
    """The state and the request router."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []
        self.functions: dict[str, dict] = {}
        self.workflows: dict[str, dict] = {}
        self.topics: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.jobs: dict[str, dict] = {}
        self.buckets: dict[str, dict] = {}
        self.accounts: dict[str, dict] = {}
        self.policies: dict[str, dict] = {}
        self.uploads: dict[str, bytes] = {}
        # Cloud Functions: each PATCH as (function, its updateMask), and the functions whose source was built
        # (a create, or a PATCH whose mask names a build_config field: Cloud Build runs; service_config, labels
        # and description alone deploy a new revision of the built image). The fake's model, not GCP's word.
        self.function_patches: list[tuple[str, str]] = []
        self.builds: list[str] = []
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.secret_values: dict[str, bytes] = {}
        self.published: list[dict[str, Any]] = []
        self.operations: dict[str, dict] = {}
        self.polls: dict[str, int] = {}
        self._ids = itertools.count(1)
        self.base_url = ""
        # the deployed functions' own URIs (serviceConfig.uri = <base>/run/<function id>), logs, executions
        self.function_requests: list[dict[str, Any]] = []  # what invoke sent: method, path, headers, body
        self.function_answers: dict[str, list[tuple[int, Any]]] = {}  # function id -> queued (status, body)
        self.log_entries: list[dict[str, Any]] = []  # LogEntry resources (REST shape) entries:list serves
        self.log_filters: list[str] = []
        self.executions: dict[str, dict] = {}  # Workflow Executions (REST shape)
        self.fail_next_execution: Any = None  # a value: the next execution FAILS raising it (error.payload)
        # observability: Cloud Monitoring alert policies (server-assigned ids), Cloud Logging buckets and sinks
        self.alert_policies: dict[str, dict] = {}
        self.log_buckets: dict[str, dict] = {}
        self.sinks: dict[str, dict] = {}
        self.page_size = 100  # alertPolicies.list pages (lower it to make the client follow nextPageToken)
        self.forbidden: tuple[str, ...] = ()  # path prefixes answered 403 (an API not enabled, no permission)

    # ------------------------------------------------------------ helpers for tests
    def mutating_calls(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.calls
                if m != "GET" and not p.endswith(":getIamPolicy") and not p.endswith(":testIamPermissions")]

    def members(self, resource: str) -> dict[str, list[str]]:
        policy = self.policies.get(resource) or {}
        return {b["role"]: sorted(b["members"]) for b in policy.get("bindings", [])}

    # ------------------------------------------------------------ operations
    def _operation(self, prefix: str, response: dict | None, type_url: str | None) -> dict:
        name = f"{prefix}/operations/op-{next(self._ids)}"
        final = {"name": name, "done": True}
        if response is not None and type_url:
            final["response"] = {"@type": type_url, **response}
        elif type_url is None:
            final["response"] = {"@type": "type.googleapis.com/google.protobuf.Empty"}
        self.operations[name] = final
        return {"name": name, "done": False}

    # ------------------------------------------------------------ routing
    def handle(self, method: str, url: str, body: bytes, headers: Any = None) -> tuple[int, Any, str]:
        parsed = urlparse(url)
        path = parsed.path
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        if path.startswith(("/upload/storage/", "/download/storage/")) or (
                path.startswith("/storage/v1/b/") and ("/o/" in path or path.endswith("/o"))):
            self.calls.append((method, path))
            with self.lock:
                return self._objects(method, path, query, body, headers or {})
        if path.startswith("/run/"):  # a deployed function's URI: recorded, answered (echo unless queued)
            self.calls.append((method, "/run"))
            with self.lock:
                return self._run(method, path, query, body, headers or {})
        data = json.loads(body) if body and not path.startswith("/upload/") else {}
        if path.startswith("/upload/"):
            self.calls.append((method, "/upload"))
        else:
            self.calls.append((method, path))
        with self.lock:
            if self.forbidden and path.startswith(self.forbidden):
                return 403, {"error": {"code": 403, "message": f"permission denied on {path}",
                                       "status": "PERMISSION_DENIED"}}, "application/json"
            if path.endswith(":publish"):
                return self._publish(path, data)
            if path.endswith(":access") and "/secrets/" in path:
                return self._access(path)
            if path.startswith("/upload/"):
                self.uploads[path.rsplit("/", 1)[-1]] = body
                return 200, {}, "application/json"
            if path.endswith(":getIamPolicy") or path.endswith(":setIamPolicy"):
                return self._iam(path, data)
            if path == "/v2/entries:list":
                return self._entries(data)
            if path.startswith("/v3/projects/") and "/alertPolicies" in path:
                return self._alert_policies(method, path, query, data)
            if re.match(r"^/v2/projects/[^/]+/(sinks|locations/[^/]+/buckets)(/|$)", path):
                return self._logging(method, path, query, data)
            if "/executions" in path:
                return self._executions(method, path, query, data)
            if path.startswith("/storage/v1/"):
                return self._storage(method, path, query, data)
            if path.startswith("/v2/") and "/functions" in path or path.startswith("/v2/") and "/operations/" in path:
                return self._functions(method, path, query, data)
            if "/workflows" in path or (path.startswith("/v1/") and "/operations/" in path):
                return self._workflows(method, path, query, data)
            if "/serviceAccounts" in path:
                return self._accounts(method, path, data)
            if "/topics" in path or "/subscriptions" in path:
                return self._pubsub(method, path, data)
            if "/jobs" in path:
                return self._jobs(method, path, query, data)
        return 404, {"error": {"code": 404, "message": f"no route {method} {path}", "status": "NOT_FOUND"}}, \
            "application/json"

    @staticmethod
    def _not_found(what: str) -> tuple[int, Any, str]:
        return 404, {"error": {"code": 404, "message": f"{what} not found", "status": "NOT_FOUND"}}, "application/json"

    @staticmethod
    def _conflict(what: str) -> tuple[int, Any, str]:
        return 409, {"error": {"code": 409, "message": f"{what} already exists", "status": "ALREADY_EXISTS"}}, \
            "application/json"

    @staticmethod
    def _ok(value: Any) -> tuple[int, Any, str]:
        return 200, value, "application/json"

    # ------------------------------------------------------------ Cloud Functions v2
    def _functions(self, method: str, path: str, query: dict, data: dict) -> tuple[int, Any, str]:
        name = path[len("/v2/"):]
        fn_type = "type.googleapis.com/google.cloud.functions.v2.Function"
        if "/operations/" in name and method == "GET":
            return self._poll(name)
        if name.endswith("functions:generateUploadUrl") and method == "POST":
            object_id = f"upload-{next(self._ids)}.zip"
            return self._ok({"uploadUrl": f"{self.base_url}/upload/{object_id}",
                             "storageSource": {"bucket": "gcf-v2-uploads-fake", "object": object_id}})
        location = name.split("/functions")[0]
        if name.endswith("/functions") and method == "GET":
            return self._ok({"functions": [self.functions[k] for k in sorted(self.functions)
                                           if k.startswith(location + "/")]})
        if name.endswith("/functions") and method == "POST":
            full = f"{name}/{query['functionId']}"
            if full in self.functions:
                return self._conflict(full)
            problem = self._check_source(data)
            if problem:
                return problem
            fn = {**data, "name": full, "state": "ACTIVE", "environment": "GEN_2",
                  "url": f"https://{full.split('/')[3]}-{full.split('/')[1]}.cloudfunctions.net/{query['functionId']}"}
            fn["serviceConfig"] = {**(fn.get("serviceConfig") or {}), "uri": f"{self.base_url}/run/{query['functionId']}"}
            self.functions[full] = fn
            self.builds.append(full)
            return self._ok(self._operation(location, fn, fn_type))
        if name not in self.functions:
            return self._not_found(name)
        if method == "GET":
            return self._ok(self.functions[name])
        if method == "PATCH":
            mask = query.get("updateMask", "")
            paths = {_camel(p) for p in mask.split(",") if p}
            if "buildConfig.source" in paths:
                problem = self._check_source(data)
                if problem:
                    return problem
            _apply_mask(self.functions[name], data, mask)
            self.function_patches.append((name, mask))
            if any(p.startswith("buildConfig") for p in paths):
                self.builds.append(name)
            return self._ok(self._operation(location, self.functions[name], fn_type))
        if method == "DELETE":
            del self.functions[name]
            return self._ok(self._operation(location, None, None))
        return self._not_found(name)

    def _check_source(self, data: dict) -> tuple[int, Any, str] | None:
        source = ((data.get("buildConfig") or {}).get("source") or {}).get("storageSource") or {}
        if source.get("object") not in self.uploads:
            return 400, {"error": {"code": 400, "message": "source archive was not uploaded",
                                   "status": "INVALID_ARGUMENT"}}, "application/json"
        return None

    def _poll(self, name: str) -> tuple[int, Any, str]:
        if name not in self.operations:
            return self._not_found(name)
        self.polls[name] = self.polls.get(name, 0) + 1
        return self._ok(self.operations[name])

    # ------------------------------------------------------------ Workflows v1
    def _workflows(self, method: str, path: str, query: dict, data: dict) -> tuple[int, Any, str]:
        name = path[len("/v1/"):]
        wf_type = "type.googleapis.com/google.cloud.workflows.v1.Workflow"
        if "/operations/" in name and method == "GET":
            return self._poll(name)
        location = name.split("/workflows")[0]
        if name.endswith("/workflows") and method == "GET":
            return self._ok({"workflows": [self.workflows[k] for k in sorted(self.workflows)
                                           if k.startswith(location + "/")]})
        if name.endswith("/workflows") and method == "POST":
            full = f"{name}/{query['workflowId']}"
            if full in self.workflows:
                return self._conflict(full)
            wf = {**data, "name": full, "state": "ACTIVE", "revisionId": "000001-abc"}
            self.workflows[full] = wf
            return self._ok(self._operation(location, wf, wf_type))
        if name not in self.workflows:
            return self._not_found(name)
        if method == "GET":
            return self._ok(self.workflows[name])
        if method == "PATCH":
            _apply_mask(self.workflows[name], data, query.get("updateMask", ""))
            return self._ok(self._operation(location, self.workflows[name], wf_type))
        if method == "DELETE":
            del self.workflows[name]
            return self._ok(self._operation(location, None, None))
        return self._not_found(name)

    # ------------------------------------------------------------ Pub/Sub v1
    def _pubsub(self, method: str, path: str, data: dict) -> tuple[int, Any, str]:
        name = path[len("/v1/"):]
        store, key = (self.topics, "topics") if "/topics" in name and "/subscriptions" not in name else (
            self.subscriptions, "subscriptions")
        if name.endswith(f"/{key}") and method == "GET":
            project = name.rsplit("/", 1)[0]
            return self._ok({key: [store[k] for k in sorted(store) if k.startswith(project + "/")]})
        if method == "PUT":
            if name in store:
                return self._conflict(name)
            if key == "subscriptions" and data.get("topic") not in self.topics:
                return self._not_found(data.get("topic"))
            store[name] = {**data, "name": name}
            if key == "subscriptions":
                store[name].setdefault("state", "ACTIVE")
            return self._ok(store[name])
        if name not in store:
            return self._not_found(name)
        if method == "GET":
            return self._ok(store[name])
        if method == "PATCH":
            body = data.get("topic" if key == "topics" else "subscription") or {}
            _apply_mask(store[name], body, data.get("updateMask", ""))
            return self._ok(store[name])
        if method == "DELETE":
            del store[name]
            return self._ok({})
        return self._not_found(name)

    # ------------------------------------------------------------ Cloud Scheduler v1
    def _jobs(self, method: str, path: str, query: dict, data: dict) -> tuple[int, Any, str]:
        name = path[len("/v1/"):]
        if name.endswith("/jobs") and method == "GET":
            return self._ok({"jobs": [self.jobs[k] for k in sorted(self.jobs) if k.startswith(name + "/")]})
        if name.endswith("/jobs") and method == "POST":
            if data["name"] in self.jobs:
                return self._conflict(data["name"])
            self.jobs[data["name"]] = {**data, "state": "ENABLED"}
            return self._ok(self.jobs[data["name"]])
        if name not in self.jobs:
            return self._not_found(name)
        if method == "GET":
            return self._ok(self.jobs[name])
        if method == "PATCH":
            _apply_mask(self.jobs[name], data, query.get("updateMask", ""))
            return self._ok(self.jobs[name])
        if method == "DELETE":
            del self.jobs[name]
            return self._ok({})
        return self._not_found(name)

    # ------------------------------------------------------------ IAM
    def _accounts(self, method: str, path: str, data: dict) -> tuple[int, Any, str]:
        name = path[len("/v1/"):]
        if name.endswith("/serviceAccounts") and method == "POST":
            project = name.split("/")[1]
            email = f"{data['accountId']}@{project}.iam.gserviceaccount.com"
            full = f"projects/{project}/serviceAccounts/{email}"
            if full in self.accounts:
                return self._conflict(full)
            self.accounts[full] = {"name": full, "email": email, "projectId": project,
                                   **(data.get("serviceAccount") or {})}
            return self._ok(self.accounts[full])
        if name not in self.accounts:
            return self._not_found(name)
        if method == "GET":
            return self._ok(self.accounts[name])
        return self._not_found(name)

    def _iam(self, path: str, data: dict) -> tuple[int, Any, str]:
        resource, _, verb = path.lstrip("/").partition(":")
        resource = resource.split("/", 1)[1]  # drop the API version
        if verb == "getIamPolicy":
            return self._ok(self.policies.get(resource) or {"version": 1, "etag": "ACAB"})
        policy = dict(data.get("policy") or {})
        policy["etag"] = f"e{next(self._ids)}"
        self.policies[resource] = policy
        return self._ok(policy)

    # ------------------------------------------------------------ data plane: objects, messages, secrets
    def _objects(self, method: str, path: str, query: dict, body: bytes, headers: Any) -> tuple[int, Any, str]:
        from urllib.parse import unquote

        if path.startswith("/upload/storage/v1/b/") and method == "POST":
            bucket = path.split("/")[5]
            boundary = str(headers.get("content-type", "")).split("boundary=")[-1].strip('"')
            parts = [p for p in body.split(b"--" + boundary.encode()) if p.strip() not in (b"", b"--")]
            meta_head, _, meta_body = parts[0].partition(b"\r\n\r\n")
            media_head, _, media = parts[1].partition(b"\r\n\r\n")
            metadata = json.loads(meta_body)
            name = metadata.get("name") or query.get("name")
            ctype = next((line.split(b":", 1)[1].strip().decode() for line in media_head.split(b"\r\n")
                          if line.lower().startswith(b"content-type")), "application/octet-stream")
            self.objects[(bucket, name)] = (media.removesuffix(b"\r\n"), ctype)
            return self._ok({"bucket": bucket, "name": name, "size": str(len(media)), "contentType": ctype,
                             "generation": "1", "metageneration": "1"})
        parts = path.split("/")
        if path.startswith("/download/storage/v1/b/") and method == "GET":
            key = (parts[5], unquote("/".join(parts[7:])))
            if key not in self.objects:
                return self._not_found(key[1])
            return 200, self.objects[key][0], self.objects[key][1]
        bucket = parts[4]
        if parts[-1] == "o" and method == "GET":
            prefix = query.get("prefix", "")
            return self._ok({"kind": "storage#objects", "items": [
                {"bucket": b, "name": n, "size": str(len(d))} for (b, n), (d, _) in sorted(self.objects.items())
                if b == bucket and n.startswith(prefix)]})
        key = (bucket, unquote("/".join(parts[6:])))
        if key not in self.objects:
            return self._not_found(key[1])
        if method == "DELETE":
            del self.objects[key]
            return 204, b"", "application/json"
        return self._ok({"bucket": bucket, "name": key[1], "size": str(len(self.objects[key][0]))})

    def _publish(self, path: str, data: dict) -> tuple[int, Any, str]:
        topic = path[len("/v1/"):-len(":publish")]
        if topic not in self.topics:
            return self._not_found(topic)
        ids = []
        for message in data.get("messages", []):
            self.published.append({"topic": topic, **message})
            ids.append(str(len(self.published)))
        return self._ok({"messageIds": ids})

    def _access(self, path: str) -> tuple[int, Any, str]:
        import base64

        version = path[len("/v1/"):-len(":access")]
        secret = version.split("/versions/")[0]
        if secret not in self.secret_values:
            return self._not_found(secret)
        return self._ok({"name": f"{secret}/versions/1",
                         "payload": {"data": base64.b64encode(self.secret_values[secret]).decode()}})

    # ------------------------------------------------------------ a deployed function's URI (runs nothing)
    def _run(self, method: str, path: str, query: dict, body: bytes, headers: Any) -> tuple[int, Any, str]:
        function_id, _, rest = path[len("/run/"):].partition("/")
        self.function_requests.append({"function": function_id, "method": method, "path": "/" + rest,
                                       "query": query, "headers": {k.lower(): v for k, v in dict(headers).items()},
                                       "body": body})
        if not any(name.endswith(f"/functions/{function_id}") for name in self.functions):
            return 404, b"Page not found", "text/html"
        queued = self.function_answers.get(function_id) or []
        if queued:
            status, payload = queued.pop(0)
            return status, payload, "text/plain" if isinstance(payload, bytes) else "application/json"
        try:
            sent = json.loads(body) if body else None
        except ValueError:
            sent = body.decode("utf-8", "replace")
        return self._ok({"method": method, "path": "/" + rest, "body": sent})

    # ------------------------------------------------------------ Cloud Logging v2 (entries:list)
    def _entries(self, data: dict) -> tuple[int, Any, str]:
        """The filter is not evaluated: entries whose service/function name is quoted in it and whose timestamp
        is at or after its ``timestamp>="..."`` bound are returned, oldest first, paged by pageSize."""
        text = data.get("filter", "")
        self.log_filters.append(text)
        bound = re.search(r'timestamp>="([^"]+)"', text)
        picked = []
        for entry in sorted(self.log_entries, key=lambda e: e.get("timestamp", "")):
            labels = (entry.get("resource") or {}).get("labels") or {}
            name = labels.get("service_name") or labels.get("function_name") or ""
            if f'"{name}"' in text and (not bound or entry.get("timestamp", "") >= bound.group(1)):
                picked.append(entry)
        start = int(data.get("pageToken") or 0)
        size = int(data.get("pageSize") or 50)
        page = {"entries": picked[start:start + size]}
        if start + size < len(picked):
            page["nextPageToken"] = str(start + size)
        return self._ok(page)

    # ------------------------------------------------------------ Workflow Executions v1
    def _executions(self, method: str, path: str, query: dict, data: dict) -> tuple[int, Any, str]:
        """Executions run nothing: ACTIVE when created and on the first read, then SUCCEEDED with the argument as
        result (or FAILED with ``fail_next_execution`` raised). Step entries: one per top-level step of the
        deployed source, all succeeded (the last failed when the execution failed)."""
        name = path[len("/v1/"):]
        if name.endswith("/executions") and method == "POST":
            workflow = name.rsplit("/executions", 1)[0]
            if workflow not in self.workflows:
                return self._not_found(workflow)
            full = f"{name}/{uuid_hex(next(self._ids))}"
            failure, self.fail_next_execution = self.fail_next_execution, None
            self.executions[full] = {"name": full, "state": "ACTIVE", "argument": data.get("argument", "null"),
                                     "startTime": "2026-01-01T00:00:00Z", "workflowRevisionId": "000001-abc",
                                     "status": {"currentSteps": [{"routine": "main", "step": "init"}]},
                                     "_reads": 0, "_failure": failure}
            return self._ok(self._execution_view(full))
        if name.endswith("/stepEntries") and method == "GET":
            execution = self.executions.get(name.rsplit("/stepEntries", 1)[0])
            if execution is None:
                return self._not_found(name)
            return self._ok({"stepEntries": self._step_entries(execution)})
        if name not in self.executions or method != "GET":
            return self._not_found(name)
        execution = self.executions[name]
        execution["_reads"] += 1
        if execution["state"] == "ACTIVE" and execution["_reads"] >= 2:
            execution.pop("status", None)
            execution["endTime"] = "2026-01-01T00:00:01Z"
            if execution["_failure"] is not None:
                execution["state"] = "FAILED"
                execution["error"] = {"payload": json.dumps(execution["_failure"]), "context": "raised"}
            else:
                execution["state"] = "SUCCEEDED"
                execution["result"] = execution["argument"]
        return self._ok(self._execution_view(name))

    def _execution_view(self, name: str) -> dict:
        return {k: v for k, v in self.executions[name].items() if not k.startswith("_")}

    def _step_entries(self, execution: dict) -> list[dict]:
        if execution["state"] == "ACTIVE":
            return []
        workflow = self.workflows.get(execution["name"].split("/executions/")[0]) or {}
        main = re.split(r"^(?=\S)", workflow.get("sourceContents", "").split("main:\n", 1)[-1], maxsplit=1,
                        flags=re.M)[0]  # the main block: up to the next top-level key (the subworkflows)
        steps = re.findall(r"^  - ([A-Za-z0-9_]+):$", main, re.M) or ["main"]
        entries = []
        for index, step in enumerate(steps, 1):
            failed = execution["state"] == "FAILED" and index == len(steps)
            entry = {"name": f"{execution['name']}/stepEntries/{index}", "routine": "main", "step": step,
                     "stepType": "STEP_CALL", "entryId": str(index), "state": "STATE_FAILED" if failed else
                     "STATE_SUCCEEDED", "createTime": f"2026-01-01T00:00:00.{index:03d}Z",
                     "updateTime": f"2026-01-01T00:00:00.{index:03d}Z"}
            if failed:
                entry["exception"] = {"payload": execution["error"]["payload"]}
            entries.append(entry)
        return entries

    # ------------------------------------------------------------ Cloud Monitoring v3 alert policies
    def _bad(self, message: str) -> tuple[int, Any, str]:
        return 400, {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}, "application/json"

    def _check_policy(self, data: dict) -> str | None:
        """The parts of AlertPolicy validation a deploy could get wrong."""
        if not data.get("displayName"):
            return "displayName is required"
        conditions = data.get("conditions") or []
        if not 1 <= len(conditions) <= 6:
            return "a policy has 1 to 6 conditions"
        for condition in conditions:
            threshold = condition.get("conditionThreshold") or {}
            if not condition.get("displayName") or "metric.type" not in threshold.get("filter", ""):
                return "each condition needs a displayName and a filter with a metric.type"
            if not str(threshold.get("comparison", "")).startswith("COMPARISON_"):
                return "conditionThreshold.comparison is required"
            if bool(threshold.get("denominatorFilter")) != bool(threshold.get("denominatorAggregations")):
                return "a ratio needs denominatorFilter and denominatorAggregations"
            for aggregation in threshold.get("aggregations") or []:
                if not re.fullmatch(r"\d+s", str(aggregation.get("alignmentPeriod", ""))):
                    return "aggregations[].alignmentPeriod must be a duration like 300s"
        for key, value in (data.get("userLabels") or {}).items():
            if not re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", key) or not re.fullmatch(r"[a-z0-9_-]{0,63}", value):
                return f"invalid user label {key}={value}"
        return None

    def _alert_policies(self, method: str, path: str, query: dict, data: dict) -> tuple[int, Any, str]:
        name = path[len("/v3/"):]
        project = "/".join(name.split("/")[:2])
        if name.endswith("/alertPolicies") and method == "GET":
            mine = [self.alert_policies[k] for k in sorted(self.alert_policies) if k.startswith(project + "/")]
            start = int(query.get("pageToken") or 0)
            size = int(query.get("pageSize") or self.page_size)
            page = {"alertPolicies": mine[start:start + size]}
            if start + size < len(mine):
                page["nextPageToken"] = str(start + size)
            return self._ok(page)
        if name.endswith("/alertPolicies") and method == "POST":
            if data.get("name"):
                return self._bad("do not include the name field when creating a policy")
            problem = self._check_policy(data)
            if problem:
                return self._bad(problem)
            full = f"{project}/alertPolicies/{next(self._ids)}"
            policy = copy.deepcopy(data)
            policy["name"] = full
            for condition in policy["conditions"]:
                condition["name"] = f"{full}/conditions/{next(self._ids)}"
            policy["creationRecord"] = policy["mutationRecord"] = {"mutateTime": "2026-01-01T00:00:00Z"}
            self.alert_policies[full] = policy
            return self._ok(policy)
        if name not in self.alert_policies:
            return self._not_found(name)
        if method == "GET":
            return self._ok(self.alert_policies[name])
        if method == "PATCH":
            mask = query.get("updateMask", "")
            if not mask:
                return self._bad("the fake only implements patch with an updateMask")
            updated = copy.deepcopy(self.alert_policies[name])
            _apply_mask(updated, data, mask)
            problem = self._check_policy(updated)
            if problem:
                return self._bad(problem)
            for condition in updated.get("conditions") or []:
                condition.setdefault("name", f"{name}/conditions/{next(self._ids)}")
            updated["mutationRecord"] = {"mutateTime": "2026-01-01T00:00:01Z"}
            self.alert_policies[name] = updated
            return self._ok(updated)
        if method == "DELETE":
            del self.alert_policies[name]
            return self._ok({})
        return self._not_found(name)

    # ------------------------------------------------------------ Cloud Logging v2 buckets and sinks
    def _logging(self, method: str, path: str, query: dict, data: dict) -> tuple[int, Any, str]:
        name = path[len("/v2/"):]
        if "/buckets" in name:
            if name.endswith(":undelete") and method == "POST":
                bucket = self.log_buckets.get(name[:-len(":undelete")])
                if bucket is None:
                    return self._not_found(name)
                bucket["lifecycleState"] = "ACTIVE"
                return self._ok({})
            if name.endswith("/buckets") and method == "POST":
                bucket_id = query.get("bucketId", "")
                if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", bucket_id) or bucket_id.startswith("_"):
                    return self._bad(f"invalid bucketId {bucket_id!r}")
                full = f"{name}/{bucket_id}"
                if full in self.log_buckets:
                    return self._conflict(full)
                days = int(data.get("retentionDays") or 30)
                if not 1 <= days <= 3650:
                    return self._bad("retentionDays must be 1..3650")
                self.log_buckets[full] = {**data, "name": full, "retentionDays": days, "lifecycleState": "ACTIVE",
                                          "createTime": "2026-01-01T00:00:00Z"}
                return self._ok(self.log_buckets[full])
            if name not in self.log_buckets:
                return self._not_found(name)
            if method == "GET":
                return self._ok(self.log_buckets[name])
            if method == "PATCH":
                _apply_mask(self.log_buckets[name], data, query.get("updateMask", ""))
                return self._ok(self.log_buckets[name])
            if method == "DELETE":  # kept 7 days in DELETE_REQUESTED; the id cannot be reused meanwhile
                self.log_buckets[name]["lifecycleState"] = "DELETE_REQUESTED"
                return self._ok({})
            return self._not_found(name)
        if name.endswith("/sinks") and method == "POST":
            full = f"{name}/{data.get('name', '')}"
            if full in self.sinks:
                return self._conflict(full)
            problem = self._check_sink(data)
            if problem:
                return problem
            self.sinks[full] = {**data, "createTime": "2026-01-01T00:00:00Z", "writerIdentity":
                                "serviceAccount:service-123456@gcp-sa-logging.iam.gserviceaccount.com"}
            return self._ok(self.sinks[full])
        if name not in self.sinks:
            return self._not_found(name)
        if method == "GET":
            return self._ok(self.sinks[name])
        if method in ("PATCH", "PUT"):
            updated = copy.deepcopy(self.sinks[name])
            if method == "PUT" or not query.get("updateMask"):
                updated.update(data)
            else:
                _apply_mask(updated, data, query["updateMask"])
            problem = self._check_sink(updated)
            if problem:
                return problem
            self.sinks[name] = updated
            return self._ok(updated)
        if method == "DELETE":
            del self.sinks[name]
            return self._ok({})
        return self._not_found(name)

    def _check_sink(self, data: dict) -> tuple[int, Any, str] | None:
        destination = str(data.get("destination") or "")
        if not data.get("name") or not data.get("filter"):
            return self._bad("a sink needs a name and (here) a filter")
        if destination.startswith("logging.googleapis.com/"):
            bucket = self.log_buckets.get(destination[len("logging.googleapis.com/"):])
            if bucket is None or bucket.get("lifecycleState") != "ACTIVE":
                return self._bad(f"destination {destination} does not exist")
        return None

    # ------------------------------------------------------------ Cloud Storage JSON
    def _storage(self, method: str, path: str, query: dict, data: dict) -> tuple[int, Any, str]:
        parts = path[len("/storage/v1/"):].split("/")
        if parts == ["b"] and method == "POST":
            if data["name"] in self.buckets:
                return self._conflict(data["name"])
            self.buckets[data["name"]] = {**data, "kind": "storage#bucket", "id": data["name"],
                                          "projectNumber": "123456", "metageneration": "1"}
            return self._ok(self.buckets[data["name"]])
        if len(parts) >= 2 and parts[0] == "b":
            bucket = parts[1]
            if bucket not in self.buckets:
                return self._not_found(bucket)
            if len(parts) == 3 and parts[2] == "iam":
                resource = f"buckets/{bucket}"
                if method == "GET":
                    return self._ok({"kind": "storage#policy", "resourceId": f"projects/_/{resource}",
                                     "version": 1, "etag": "CAE=", "bindings": [],
                                     **(self.policies.get(resource) or {})})
                if method == "PUT":
                    self.policies[resource] = {"bindings": data.get("bindings", []), "etag": "CAI=", "version": 1}
                    return self._ok({"kind": "storage#policy", **self.policies[resource]})
            if method == "GET":
                return self._ok(self.buckets[bucket])
            if method == "PATCH":
                self.buckets[bucket].update(data)
                return self._ok(self.buckets[bucket])
        return self._not_found(path)


def uuid_hex(number: int) -> str:
    """Execution ids look like UUIDs; the fake's are counters in that shape."""
    return f"00000000-0000-4000-8000-{number:012d}"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGcp

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        return

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            status, payload, ctype = self.fake.handle(self.command, self.path, body, self.headers)
        except Exception as exc:  # a bug in the fake must show up as a readable failure
            status, payload, ctype = 500, {"error": {"code": 500, "message": repr(exc), "status": "INTERNAL"}}, \
                "application/json"
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class FakeGcpServer:
    """``with FakeGcpServer() as fake: ... fake.url``: the control plane on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self.state = FakeGcp()
        handler = type("Handler", (_Handler,), {"fake": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.state.base_url = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeGcpServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
