"""The generated function_app.py, indexed the way the Python worker does it, against the manifest.

For every example that validates (and a service with every trigger kind): ``package -p azure``, then, in a
fresh interpreter whose path starts with the package folder (as on Azure), import function_app, call
``app.get_functions()`` and compare each function's complete raw bindings with what the IR (``validate --ir``)
implies - computed here independently of the provider's model; connection names must resolve to app settings
of the ARM template. Then every http, queue, Service Bus, timer, blob and Event Grid function is called with
the azure.functions request/message types, http starters with a stub Durable client, and every workflow step
through the activity, with the unchanged handlers and a probe on what reached them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

# not 'from conftest import ...': under one pytest run another folder's conftest may hold that module name
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

pytestmark = [pytest.mark.functional, pytest.mark.conformance]

INDEX_SCRIPT = """
import json, sys
sys.path.insert(0, ".")
import function_app
out = {}
for f in function_app.app.get_functions():
    out[f.get_function_name()] = [json.loads(b) for b in f.get_raw_bindings()]
print(json.dumps(out, sort_keys=True))
"""

RATES = {60: "0 * * * * *", 300: "0 */5 * * * *", 900: "0 */15 * * * *", 3600: "0 0 * * * *",
         86400: "0 0 0 * * *"}


def example_dirs() -> list[str]:
    return sorted(p.parent.name for p in EXAMPLES.glob("*/sls-neutral.yaml"))


def _durable_compiler_available() -> bool:
    try:
        from sls_neutral.core.workflows.durable import compile_durable  # noqa: F401
    except ImportError:
        return False
    return True


def package(cli, root: Path, out: Path) -> tuple[dict, Path]:
    ir = cli("validate", "--ir", "--output", "json", cwd=root)
    if ir.returncode != 0:
        pytest.skip(f"example {root.name} does not validate: {ir.stderr.strip()[:200]}")
    result = cli("package", "-p", "azure", "-o", str(out), cwd=root)
    assert result.returncode == 0, result.stderr
    return json.loads(ir.stdout)["ir"], out / "app"


def index(app_dir: Path) -> dict[str, list[dict]]:
    result = subprocess.run([sys.executable, "-c", INDEX_SCRIPT], cwd=app_dir, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def expected_schedule(t: dict) -> str:
    """5-field cron + a seconds field; in a zone other than UTC the timer fires hourly at the cron's minute
    shifted by the zone's offset minutes (the adapter filters by local time)."""
    if not t["cron"]:
        return RATES.get(int(t["rate"]), "rate")
    if t["timezone"] in ("UTC", "Etc/UTC"):
        return "0 " + t["cron"]
    import datetime as dt
    from zoneinfo import ZoneInfo

    minute = t["cron"].split()[0]
    if not minute.isdigit():
        return "0 * * * * *"
    offset = dt.datetime(2025, 1, 15, tzinfo=dt.timezone.utc).astimezone(ZoneInfo(t["timezone"])).utcoffset()
    return f"0 {(int(minute) - int(offset.total_seconds() // 60)) % 60} * * * *"


def expected_triggers(ir: dict) -> Counter:
    """What the manifest asks for, as (binding type, key fields) - derived from the IR only."""
    queues = ir["queues"]
    out: Counter = Counter()
    for fname, fn in ir["functions"].items():
        for t in fn["triggers"]:
            if t["kind"] == "http":
                route = "/".join("{*" + s[1:-2] + "}" if s.endswith("+}") else s for s in t["path"].strip("/").split("/"))
                out[("httpTrigger", route, None if t["method"] == "ANY" else (t["method"],))] += 1
            elif t["kind"] == "queue":
                q = queues[t["queue"]]
                kind = "serviceBusTrigger" if q["fifo"] or q["subscribed_topics"] else "queueTrigger"
                out[(kind, t["queue"], None)] += 1
            elif t["kind"] == "topic":
                out[("serviceBusTrigger", t["topic"], fname)] += 1
            elif t["kind"] == "schedule":
                out[("timerTrigger", expected_schedule(t), None)] += 1
            elif t["kind"] == "bucket":
                for event in t["events"]:
                    if event == "created":
                        out[("blobTrigger", f"{t['bucket']}/{t['prefix']}{{name}}{t['suffix']}", "EventGrid")] += 1
                    else:
                        out[("eventGridTrigger", None, None)] += 1
    for wname, wf in ir["workflows"].items():
        out[("orchestrationTrigger", None, None)] += 1
        out[("queueTrigger", f"slsn-start-{wname}", None)] += 1
        for t in wf["triggers"]:
            if t["kind"] == "http":
                out[("httpTrigger", t["path"].strip("/"), None if t["method"] == "ANY" else (t["method"],))] += 1
            elif t["kind"] == "schedule":
                out[("timerTrigger", expected_schedule(t), None)] += 1
    if ir["workflows"]:
        out[("activityTrigger", None, None)] += 1
    return out


def actual_triggers(indexed: dict[str, list[dict]]) -> Counter:
    out: Counter = Counter()
    for bindings in indexed.values():
        trigger = next(b for b in bindings if b["type"].endswith("Trigger"))
        kind = trigger["type"]
        if kind == "httpTrigger":
            methods = trigger.get("methods")
            out[(kind, trigger["route"], tuple(methods) if methods else None)] += 1
        elif kind == "queueTrigger":
            out[(kind, trigger["queueName"], None)] += 1
        elif kind == "serviceBusTrigger":
            if "topicName" in trigger:
                out[(kind, trigger["topicName"], trigger["subscriptionName"])] += 1
            else:
                out[(kind, trigger["queueName"], None)] += 1
        elif kind == "timerTrigger":
            out[(kind, trigger["schedule"], None)] += 1
        elif kind == "blobTrigger":
            out[(kind, trigger["path"], trigger.get("source"))] += 1
        else:
            out[(kind, None, None)] += 1
    return out


CONN = "<connection>"


def _canon(bindings) -> str:
    return json.dumps(sorted((dict(b) for b in bindings), key=lambda b: json.dumps(b, sort_keys=True)),
                      sort_keys=True)


def expected_bindings(ir: dict) -> Counter:
    """Every Azure function's complete raw bindings, written out from the IR alone (connection names aside:
    those are checked to resolve to app settings of the ARM template)."""
    queues = ir["queues"]
    out: Counter = Counter()
    http_out = {"direction": "OUT", "type": "http", "name": "$return"}

    def http_in(t: dict) -> dict:
        binding = {"direction": "IN", "type": "httpTrigger", "name": "req", "authLevel": "ANONYMOUS",
                   "route": _azure_route(t["path"])}
        if t["method"] != "ANY":
            binding["methods"] = [t["method"]]
        return binding

    def timer(t: dict) -> dict:
        return {"direction": "IN", "type": "timerTrigger", "name": "timer", "schedule": expected_schedule(t),
                "runOnStartup": False, "useMonitor": True}

    for fname, fn in ir["functions"].items():
        for t in fn["triggers"]:
            if t["kind"] == "http":
                out[_canon([http_in(t), http_out])] += 1
            elif t["kind"] == "queue":
                q = queues[t["queue"]]
                if q["fifo"] or q["subscribed_topics"]:
                    binding = {"direction": "IN", "type": "serviceBusTrigger", "name": "msg", "connection": CONN,
                               "queueName": t["queue"]}
                    if q["fifo"]:
                        binding["isSessionsEnabled"] = True
                else:
                    binding = {"direction": "IN", "type": "queueTrigger", "name": "msg", "queueName": t["queue"],
                               "connection": CONN}
                out[_canon([binding])] += 1
            elif t["kind"] == "topic":
                out[_canon([{"direction": "IN", "type": "serviceBusTrigger", "name": "msg", "connection": CONN,
                             "topicName": t["topic"], "subscriptionName": fname}])] += 1
            elif t["kind"] == "schedule":
                out[_canon([timer(t)])] += 1
            elif t["kind"] == "bucket":
                for event in t["events"]:
                    if event == "created":
                        out[_canon([{"direction": "IN", "type": "blobTrigger", "name": "blob", "connection": CONN,
                                     "path": f"{t['bucket']}/{t['prefix']}{{name}}{t['suffix']}",
                                     "source": "EventGrid"}])] += 1
                    else:
                        out[_canon([{"direction": "IN", "type": "eventGridTrigger", "name": "event"}])] += 1
    client = {"direction": "IN", "type": "durableClient", "name": "client"}
    for wname, wf in ir["workflows"].items():
        out[_canon([{"direction": "IN", "type": "orchestrationTrigger", "name": "context"}])] += 1
        out[_canon([client, {"direction": "IN", "type": "queueTrigger", "name": "msg",
                             "queueName": f"slsn-start-{wname}", "connection": "AzureWebJobsStorage"}])] += 1
        for t in wf["triggers"]:
            if t["kind"] == "http":
                out[_canon([client, http_in(t), http_out])] += 1
            elif t["kind"] == "schedule":
                out[_canon([client, timer(t)])] += 1
    if ir["workflows"]:
        out[_canon([{"direction": "IN", "type": "activityTrigger", "name": "payload"}])] += 1
    return out


def actual_bindings(indexed: dict[str, list[dict]]) -> Counter:
    def masked(b: dict) -> dict:
        return {**b, "connection": CONN} if "connection" in b and b["connection"] != "AzureWebJobsStorage" else b

    return Counter(_canon([masked(b) for b in bindings]) for bindings in indexed.values())


def check_bindings(ir: dict, app_dir: Path, indexed: dict[str, list[dict]]) -> None:
    assert actual_triggers(indexed) == expected_triggers(ir)
    assert actual_bindings(indexed) == expected_bindings(ir)  # every key of every binding
    for name, bindings in indexed.items():
        assert name.replace("-", "").replace("_", "").isalnum(), name
    # each connection a binding names is an app setting of the ARM template (identity-based: NAME__...)
    template = json.loads((app_dir.parent / "azuredeploy.json").read_text())
    site = next(r for r in template["resources"] if r["type"] == "Microsoft.Web/sites")
    settings = {s["name"] for s in site["properties"]["siteConfig"]["appSettings"]}
    for name, bindings in indexed.items():
        for b in bindings:
            if "connection" in b:
                assert b["connection"] in settings or any(s.startswith(b["connection"] + "__") for s in settings), \
                    (name, b["connection"])
    host = json.loads((app_dir / "host.json").read_text())
    assert host["extensions"]["http"]["routePrefix"] == ""
    for q in ir["queues"].values():
        if q["max_receives"] and not (q["fifo"] or q["subscribed_topics"]):
            assert host["extensions"]["queues"]["maxDequeueCount"] <= q["max_receives"]


@pytest.mark.parametrize("example", example_dirs())
def test_indexed_bindings_match_the_manifest_and_every_function_runs(example, cli, service_copy, tmp_path,
                                                                     azure_env):
    """Indexed as the worker does (``app.get_functions()``): the raw bindings equal, key for key, what the
    manifest implies; then every function runs with the azure.functions types (``check_invocations``)."""
    root = service_copy(example)
    ir_probe = cli("validate", "--ir", "--output", "json", cwd=root)
    if ir_probe.returncode == 0 and json.loads(ir_probe.stdout)["ir"]["workflows"] and \
            not _durable_compiler_available():
        pytest.skip("the Durable compiler (sls_neutral.core.workflows.durable) is not installed yet")
    ir, app_dir = package(cli, root, tmp_path / "out")
    indexed = index(app_dir)
    check_bindings(ir, app_dir, indexed)
    check_invocations(ir, app_dir, indexed)


ALL_KINDS = """\
service: allkinds
runtime: python3.12
provider: azure
providers:
  azure: {subscription_id: "00000000-0000-0000-0000-000000000001", resource_group: rg, location: eastus}
buckets:
  files: {}
queues:
  fanned: {}
  plain: {dead_letter: {max_receives: 4}}
  ordered: {fifo: true}
topics:
  news: {queues: [fanned]}
functions:
  web:
    handler: src/h.py:handle
    triggers:
      - http: {method: ANY, path: "/files/{rest+}"}
  consume:
    handler: src/h.py:handle
    triggers:
      - queue: {name: plain}
      - queue: {name: ordered}
      - queue: {name: fanned}
  listen:
    handler: src/h.py:handle
    triggers:
      - topic: {name: news}
  watch:
    handler: src/h.py:handle
    triggers:
      - bucket: {name: files, events: [created, deleted], prefix: in/}
  tick:
    handler: src/h.py:handle
    triggers:
      - schedule: {cron: "15 4 * * 1", timezone: Europe/Berlin}
      - schedule: {rate: 5m}
"""


def test_every_trigger_kind_indexes_exactly_and_runs(cli, tmp_path, azure_env):
    """What no example has: ANY with a greedy path, FIFO (Service Bus sessions) and topic-fed queues, deleted
    blobs (Event Grid), zoned crons and rates, several triggers on one function."""
    root = tmp_path / "allkinds"
    (root / "src").mkdir(parents=True)
    (root / "sls-neutral.yaml").write_text(ALL_KINDS)
    (root / "src" / "h.py").write_text("def handle(obj, ctx):\n    return {'seen': type(obj).__name__}\n")
    ir, app_dir = package(cli, root, tmp_path / "out")
    indexed = index(app_dir)
    assert len(indexed) == 9
    check_bindings(ir, app_dir, indexed)
    check_invocations(ir, app_dir, indexed)


def test_reference_orchestrator_bindings(cli, service_copy, tmp_path, azure_env):
    if not _durable_compiler_available():
        pytest.skip("the Durable compiler (sls_neutral.core.workflows.durable) is not installed yet")
    _, app_dir = package(cli, service_copy("reference"), tmp_path / "out")
    indexed = index(app_dir)
    assert indexed["process-order"] == [{"direction": "IN", "name": "context", "type": "orchestrationTrigger"}]
    assert indexed["slsn-step"] == [{"direction": "IN", "name": "payload", "type": "activityTrigger"}]
    starter = indexed["process-order-start-post-orders"]
    assert {b["type"] for b in starter} == {"httpTrigger", "http", "durableClient"}
    assert next(b for b in starter if b["type"] == "httpTrigger")["route"] == "orders"
    queue_starter = indexed["process-order-start-queue"]
    assert {b["type"] for b in queue_starter} == {"queueTrigger", "durableClient"}
    requirements = (app_dir / "requirements.txt").read_text()
    assert "azure-functions-durable" in requirements


CALL_SCRIPT = r"""
import datetime, json, sys
sys.path.insert(0, ".")
import azure.functions as func
import function_app

functions = {f.get_function_name(): f.get_user_function() for f in function_app.app.get_functions()}
out = {}
resp = functions["api-get-photos-id"](func.HttpRequest("GET", "https://app.example/photos/42?size=small&size=big",
                                       headers={"Accept": "application/json"}, route_params={"id": "42"}, body=b""))
out["get"] = [resp.status_code, json.loads(resp.get_body()), resp.headers.get("content-type")]
from azure.functions.timer import TimerRequest
functions["cleanup"](TimerRequest(past_due=False))
try:
    functions["resize"](func.QueueMessage(id="m-1", body=b'{"not-a-key": 1}'))
    out["queue"] = "no error"
except KeyError as exc:
    out["queue"] = "KeyError " + str(exc)
print(json.dumps(out))
"""


def test_http_timer_and_queue_functions_run_the_unchanged_handlers(cli, small_service, tmp_path):
    try:
        from sls_neutral.runtime import dispatch  # noqa: F401
    except ImportError:
        pytest.skip("the neutral runtime (sls_neutral.runtime.dispatch) is not installed yet")
    cli("package", "-p", "azure", "-o", str(tmp_path / "out"), cwd=small_service)
    app_dir = tmp_path / "out" / "app"
    env = {"SLSN_STORAGE_ACCOUNT": "unused", "SLSN_HOST_STORAGE_ACCOUNT": "unused",
           # never reach the internet: any storage call would go to a closed local port
           "SLSN_AZURE_STORAGE_CONNECTION_STRING": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
           "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
           "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;"}
    import os

    result = subprocess.run([sys.executable, "-c", CALL_SCRIPT], cwd=app_dir, capture_output=True, text=True,
                            timeout=120, env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["get"][0] == 200 and out["get"][1] == {"id": "42"}
    assert out["get"][2].startswith("application/json")
    assert out["queue"].startswith("KeyError")  # the exception propagates: the host retries, then poisons
    ticks = [json.loads(line) for line in result.stderr.splitlines() if '"cleanup tick"' in line]
    assert ticks and ticks[0]["function"] == "cleanup"  # jobs.py ran, with the neutral ctx.log


STEP_SCRIPT = r"""
import json, sys
sys.path.insert(0, ".")
import function_app
step = {f.get_function_name(): f.get_user_function() for f in function_app.app.get_functions()}["slsn-step"]
print(json.dumps([
    step({"function": "charge-card", "input": {"id": "o1", "amount": 10}, "correlation_id": "c1"}),
    step({"function": "charge-card", "input": {"id": "o1", "amount": 9000}}),
    step({"function": "validate-order", "input": {"order": {"id": "o2"}}}),
    step({"function": "reserve-stock", "input": {}}),
]))
"""


def test_step_activity_reports_errors_by_name(cli, service_copy, tmp_path, azure_env):
    """The activity half of the orchestrator contract: results and named errors come back as data."""
    if not _durable_compiler_available():
        pytest.skip("the Durable compiler (sls_neutral.core.workflows.durable) is not installed yet")
    _, app_dir = package(cli, service_copy("reference"), tmp_path / "out")
    result = subprocess.run([sys.executable, "-c", STEP_SCRIPT], cwd=app_dir, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    ok, declined, invalid, crashed = json.loads(result.stdout.strip().splitlines()[-1])
    assert ok == {"result": {"charged": 10, "id": "o1"}}
    assert declined == {"error": "PaymentDeclined", "cause": "card refused"}
    assert invalid == {"error": "InvalidOrder", "cause": "an order needs id and amount"}
    assert crashed["error"] == "TaskFailed" and "KeyError" in crashed["cause"]


REPLAY_SCRIPT = r"""
import builtins, json, sys
sys.path.insert(0, ".")
sys.path.insert(1, sys.argv[1])
import function_app
from workflows import durable_harness
from workflows.behaviours import BehaviourError

functions = {f.get_function_name(): f.get_user_function() for f in function_app.app.get_functions()}
registered = functions["process-order"]
builtins._slsn_orchestrator = getattr(registered, "orchestrator_function", registered)
step = functions["slsn-step"]


class ThroughTheActivity:
    # every call goes through function_app's slsn-step, i.e. the real handlers of examples/reference/src
    def invoke(self, function, input, execution):
        out = step({"function": function, "input": input})
        if "error" in out:
            raise BehaviourError(out["error"], out["cause"])
        return out["result"]


source = "import builtins\norchestrator = builtins._slsn_orchestrator\n"
runs = []
for data in json.loads(sys.argv[2]):
    run = durable_harness.replay(source, data, ThroughTheActivity())
    runs.append({"output": run.output, "error": run.error_name,
                 "functions": [a["function"] for a in run.activities]})
print(json.dumps(runs))
"""


def test_reference_workflow_replays_through_the_registered_orchestrator(cli, service_copy, tmp_path, azure_env):
    """function_app.py's process-order orchestrator and slsn-step activity, replayed by the real
    azure.durable_functions engine (the workflows' harness), with the reference's unchanged handlers."""
    if not _durable_compiler_available():
        pytest.skip("the Durable compiler (sls_neutral.core.workflows.durable) is not installed yet")
    harness = EXAMPLES.parent / "tests" / "workflows" / "durable_harness.py"
    if not harness.exists():
        pytest.skip("the Durable replay harness (tests/workflows/durable_harness.py) is not present")
    _, app_dir = package(cli, service_copy("reference"), tmp_path / "out")
    inputs = [{"order": {"id": "o2", "amount": 9000}}, {"order": {"id": "o3"}}]
    result = subprocess.run([sys.executable, "-c", REPLAY_SCRIPT, str(harness.parent.parent), json.dumps(inputs)],
                            cwd=app_dir, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    declined, invalid = json.loads(result.stdout.strip().splitlines()[-1])
    # amount > 5000: pay.py raises StepError("PaymentDeclined"), caught by the workflow: status FAILED
    assert declined["output"] == {"id": "o2", "status": "FAILED"}
    assert sorted(declined["functions"]) == ["charge-card", "reserve-stock", "validate-order"]
    # orders.py's validate raises StepError("InvalidOrder"): not caught, the orchestration fails by that name
    assert invalid["error"] == "InvalidOrder" and invalid["functions"] == ["validate-order"]


ROUTE_SERVICE = """\
service: routes
runtime: python3.12
provider: azure
providers:
  azure: {subscription_id: "00000000-0000-0000-0000-000000000001", resource_group: routes-rg, location: eastus}
functions:
  echo:
    handler: src/echo.py:echo
    triggers:
      - http: {method: GET, path: "/items/{id}"}
      - http: {method: ANY, path: "/files/{path+}"}
"""

ROUTE_SCRIPT = r"""
import json, sys
sys.path.insert(0, ".")
import azure.functions as func
import function_app

functions = {f.get_function_name(): f.get_user_function() for f in function_app.app.get_functions()}
out = {}
for name, method, url, params in (("echo-get-items-id", "GET", "https://a.example/items/42", {"id": "42"}),
                                  ("echo-any-files-path", "PUT", "https://a.example/files/a/b.txt",
                                   {"path": "a/b.txt"})):
    resp = functions[name](func.HttpRequest(method, url, headers={}, route_params=params, body=b""))
    out[name] = json.loads(resp.get_body())
print(json.dumps(out))
"""


def test_route_is_the_manifest_trigger_as_method_and_path(cli, tmp_path):
    """request.route is "METHOD /path/{param}" on every provider (the local server's and AWS's route keys)."""
    root = tmp_path / "routes"
    (root / "src").mkdir(parents=True)
    (root / "sls-neutral.yaml").write_text(ROUTE_SERVICE)
    (root / "src" / "echo.py").write_text("def echo(request, ctx):\n"
                                          "    return {'route': request.route, 'path': request.path,\n"
                                          "            'params': request.path_params}\n")
    result = cli("package", "-p", "azure", "-o", str(tmp_path / "out"), cwd=root)
    assert result.returncode == 0, result.stderr
    run = subprocess.run([sys.executable, "-c", ROUTE_SCRIPT], cwd=tmp_path / "out" / "app", capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out == {"echo-get-items-id": {"route": "GET /items/{id}", "path": "/items/42", "params": {"id": "42"}},
                   "echo-any-files-path": {"route": "ANY /files/{path+}", "path": "/files/a/b.txt",
                                           "params": {"path": "a/b.txt"}}}


# ---------------------------------------------------------------- every function of every example, called
INVOKE_SCRIPT = r"""
import asyncio, datetime, json, sys
sys.path.insert(0, ".")
import azure.functions as func
from azure.functions.timer import TimerRequest
import function_app
from sls_neutral.runtime import dispatch
from sls_neutral.runtime.adapters import Backend
from sls_neutral.runtime.adapters import azure as adapter


class Recording(Backend):
    provider = "azure"

    def __init__(self):
        self.objects, self.sent = {}, []

    def bucket_put(self, bucket, key, data, content_type):
        self.objects[(bucket, key)] = data

    def bucket_get(self, bucket, key):
        return self.objects.get((bucket, key), b"{}")

    def bucket_delete(self, bucket, key):
        self.objects.pop((bucket, key), None)

    def bucket_list(self, bucket, prefix):
        return sorted(k for b, k in self.objects if b == bucket and k.startswith(prefix))

    def queue_send(self, queue, body, delay, attributes):
        self.sent.append(queue)
        return "m"

    def topic_publish(self, topic, body, attributes):
        self.sent.append(topic)
        return "m"

    def secret_read(self, name):
        return "secret"

    def workflow_start(self, workflow, input):
        return "i-1"


RECORDING = Recording()
adapter.backend_for = lambda function: RECORDING  # no Azure: resource calls are recorded
adapter.due_in_zone = lambda cron, timezone, now: True  # a zoned cron's hourly timer: this tick is due
SEEN = []
real_load = dispatch.load_handler


def load(spec):
    handler = real_load(spec)

    def probed(obj, ctx):
        seen = {"spec": spec, "kind": type(obj).__name__, "correlation": ctx.correlation_id}
        for field in ("type", "subject", "data", "route", "method", "path", "path_params", "query"):
            if hasattr(obj, field):
                value = getattr(obj, field)
                seen[field] = value.decode("latin-1") if isinstance(value, bytes) else value
        if isinstance(obj, dict):
            seen["input"] = obj
        SEEN.append(seen)
        try:
            out = handler(obj, ctx)
        except Exception as exc:
            seen["raised"] = type(exc).__name__
            raise
        seen["returned"] = True
        return out

    return probed


dispatch.load_handler = load
functions = {f.get_function_name(): f.get_user_function() for f in function_app.app.get_functions()}


class Client:
    async def start_new(self, name, instance_id=None, client_input=None):
        SEEN.append({"kind": "start", "workflow": name, "input": client_input})
        return "instance-1"


results = []
for call in json.loads(sys.argv[1]):
    fn = functions[call["name"]]
    out = {"name": call["name"]}
    kind = call["kind"]
    try:
        if kind == "http":
            resp = fn(func.HttpRequest(call["method"], call["url"], headers={"x-correlation-id": "corr-h"},
                                       route_params=call["params"], body=json.dumps(call["body"]).encode()
                                       if call["body"] is not None else b""))
            out.update(status=resp.status_code, body=resp.get_body().decode("latin-1"))
        elif kind == "starter":
            # the user code under DFApp's client middleware (which builds the client from the host's JSON)
            user_code = getattr(fn, "__wrapped__", fn)
            resp = asyncio.run(user_code(req=func.HttpRequest(call["method"], call["url"], headers={},
                                                              route_params={}, body=json.dumps(call["body"]).encode()),
                                         client=Client()))
            out.update(status=resp.status_code, body=resp.get_body().decode())
        elif kind == "queue":
            fn(func.QueueMessage(id="q-1", body=json.dumps(call["body"]).encode()))
        elif kind == "servicebus":
            fn(func.ServiceBusMessage(body=json.dumps(call["body"]).encode(), correlation_id="corr-sb"))
        elif kind == "timer":
            fn(TimerRequest(past_due=False))
        elif kind == "blob":
            fn(func.blob.InputStream(name=call["blob"], length=2, data=b"{}", blob_properties={"ETag": '"e"'}))
        elif kind == "eventgrid":
            fn(func.EventGridEvent(id="eg-1", data={"contentLength": 2, "eTag": "e"}, topic="t",
                                   subject=call["subject"], event_type="Microsoft.Storage.BlobDeleted",
                                   event_time=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
                                   data_version="1"))
        elif kind == "step":
            out["step"] = functions["slsn-step"]({"function": call["function"], "input": call["body"],
                                                 "correlation_id": "corr-s"})
        out["error"] = None
    except Exception as exc:
        out["error"] = type(exc).__name__
    out["seen"] = SEEN[:]
    SEEN.clear()
    results.append(out)
print(json.dumps(results, default=repr))
"""

PAYLOAD = {"probe": 1, "email": "p@example.com", "bucket": "photos", "key": "uploads/probe.jpg", "id": "o1",
           "amount": 5, "status": "CONFIRMED", "thumbnail": "thumbs/probe.jpg", "items": [],
           "order": {"id": "o1", "amount": 5, "items": []}}


def _azure_route(path: str) -> str:
    return "/".join("{*" + s[1:-2] + "}" if s.endswith("+}") else s for s in path.strip("/").split("/"))


def _concrete(route: str) -> tuple[str, dict[str, str]]:
    params, parts = {}, []
    for seg in route.split("/"):
        if seg.startswith("{"):
            name = seg.strip("{}*")
            params[name] = "a/b" if seg.startswith("{*") else "x1"
            parts.append(params[name])
        else:
            parts.append(seg)
    return "/" + "/".join(parts), params


def _plan(ir: dict, indexed: dict[str, list[dict]]) -> list[dict]:
    """One call per Azure function (and per workflow step), built from the IR and the indexed bindings."""
    http_triggers = {(_azure_route(t["path"]), None if t["method"] == "ANY" else t["method"]): (fname, t)
                     for fname, fn in ir["functions"].items() for t in fn["triggers"] if t["kind"] == "http"}
    plan = []
    for name, bindings in sorted(indexed.items()):
        trigger = next(b for b in bindings if b["type"].endswith("Trigger"))
        durable = any(b["type"] == "durableClient" for b in bindings)
        kind = trigger["type"]
        if kind == "httpTrigger":
            path, params = _concrete(trigger["route"])
            methods = trigger.get("methods")
            method = methods[0] if methods else "POST"
            if durable:
                plan.append({"name": name, "kind": "starter", "method": method,
                             "url": f"https://app.example{path}", "body": PAYLOAD})
                continue
            fname, t = http_triggers[(trigger["route"], methods[0] if methods else None)]
            body = PAYLOAD if method in ("POST", "PUT", "PATCH") else None
            plan.append({"name": name, "kind": "http", "method": method, "url": f"https://app.example{path}?probe=1",
                         "params": params, "body": body, "function": fname,
                         "expect": {"route": f"{t['method']} {t['path']}", "path": path, "path_params": params}})
        elif kind == "queueTrigger" and not durable:
            plan.append({"name": name, "kind": "queue", "body": PAYLOAD,
                         "expect": {"type": "sls.queue.message", "subject": trigger["queueName"], "data": PAYLOAD}})
        elif kind == "serviceBusTrigger":
            topic = trigger.get("topicName")
            plan.append({"name": name, "kind": "servicebus", "body": PAYLOAD,
                         "expect": {"type": "sls.topic.message" if topic else "sls.queue.message",
                                    "subject": topic or trigger["queueName"], "data": PAYLOAD,
                                    "correlation": "corr-sb"}})
        elif kind == "timerTrigger" and not durable:
            plan.append({"name": name, "kind": "timer", "expect": {"type": "sls.schedule.tick"}})
        elif kind == "blobTrigger":
            container, rest = trigger["path"].split("/", 1)
            key = rest.replace("{name}", "probe")
            plan.append({"name": name, "kind": "blob", "blob": f"{container}/{key}",
                         "expect": {"type": "sls.bucket.object.created", "subject": key,
                                    "data": {"bucket": container, "key": key, "size": 2, "etag": "e"}}})
        elif kind == "eventGridTrigger":
            key = "uploads/gone.jpg"
            plan.append({"name": name, "kind": "eventgrid",
                         "subject": f"/blobServices/default/containers/x/blobs/{key}",
                         "expect": {"type": "sls.bucket.object.deleted", "subject": key}})
    steps = {name for wf in ir["workflows"].values() for name in _calls(wf["steps"])}
    assert bool(steps) == bool(ir["workflows"])
    for step in sorted(steps):
        plan.append({"name": "slsn-step", "kind": "step", "function": step, "body": PAYLOAD})
    return plan


def _calls(value) -> set[str]:
    """Every function a workflow's steps call (the IR's call steps, at any depth)."""
    found = set()
    if isinstance(value, dict):
        if value.get("kind") == "call" and isinstance(value.get("function"), str):
            found.add(value["function"])
        for item in value.values():
            found |= _calls(item)
    elif isinstance(value, list):
        for item in value:
            found |= _calls(item)
    return found


def check_invocations(ir: dict, app_dir: Path, indexed: dict[str, list[dict]]) -> None:
    """http functions answer func.HttpRequest, queue/Service Bus/timer/blob/Event Grid functions run with their
    azure.functions types, http starters start their orchestration, every workflow step runs through the
    activity - with the service's unchanged handlers (resource calls recorded, nothing leaves the machine)."""
    plan = _plan(ir, indexed)
    run = subprocess.run([sys.executable, "-c", INVOKE_SCRIPT, json.dumps(plan)], cwd=app_dir, capture_output=True,
                         text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(run.stdout.strip().splitlines()[-1])
    called = set()
    for call, result in zip(plan, results):
        seen = result["seen"]
        called.add(call["name"])
        if call["kind"] == "starter":
            assert result["status"] == 202 and json.loads(result["body"]) == {"execution_id": "instance-1"}
            assert seen[0]["kind"] == "start" and seen[0]["input"]["probe"] == 1
            continue
        assert len(seen) == 1, (call["name"], result)
        got = seen[0]
        if call["kind"] == "step":
            assert got["input"] == PAYLOAD and got["correlation"] == "corr-s"
            step = result["step"]
            assert set(step) == ({"result"} if got.get("returned") else {"error", "cause"}), step
            continue
        for field, value in call["expect"].items():
            assert got[field] == value, (call["name"], field, got)
        if call["kind"] == "http":
            assert got["method"] == call["method"] and got["query"] == {"probe": ["1"]}
            assert got["correlation"] == "corr-h"
            if got.get("raised"):
                assert result["error"] == got["raised"]  # the worker answers 500 and logs it
            else:
                assert result["error"] is None and 100 <= result["status"] < 600
        else:  # a raised exception fails the message: the host retries, then moves it to the poison queue
            assert result["error"] == got.get("raised"), (call["name"], result)
    runnable = {n for n, b in indexed.items() if not any(x["type"] in ("orchestrationTrigger", "activityTrigger")
                                                          for x in b)
                and not (any(x["type"] == "durableClient" for x in b) and
                         not any(x["type"] == "httpTrigger" for x in b))}
    assert runnable <= called, sorted(runnable - called)
