"""The generated function_app.py, indexed the way the Python worker does it, against the manifest.

For every example that validates: ``package -p azure``, then, in a fresh interpreter whose path starts with
the package folder (as on Azure), import function_app, call ``app.get_functions()`` and compare each
function's raw bindings with what the IR (``validate --ir``) says - computed here independently of the
provider's model. Then the http, timer, topic and queue functions are called with the azure.functions
request/message types and the unchanged handlers of the example.
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


@pytest.mark.parametrize("example", example_dirs())
def test_indexed_bindings_match_the_manifest(example, cli, service_copy, tmp_path, azure_env):
    root = service_copy(example)
    ir_probe = cli("validate", "--ir", "--output", "json", cwd=root)
    if ir_probe.returncode == 0 and json.loads(ir_probe.stdout)["ir"]["workflows"] and \
            not _durable_compiler_available():
        pytest.skip("the Durable compiler (sls_neutral.core.workflows.durable) is not installed yet")
    ir, app_dir = package(cli, root, tmp_path / "out")
    indexed = index(app_dir)
    assert actual_triggers(indexed) == expected_triggers(ir)
    for name, bindings in indexed.items():
        assert name.replace("-", "").replace("_", "").isalnum(), name
        if bindings[0]["type"] == "httpTrigger":
            assert bindings[0]["authLevel"] == "ANONYMOUS"
            assert {"type": "http", "direction": "OUT", "name": "$return"} in bindings or any(
                b["type"] == "durableClient" for b in bindings)
    host = json.loads((app_dir / "host.json").read_text())
    assert host["extensions"]["http"]["routePrefix"] == ""
    for q in ir["queues"].values():
        if q["max_receives"] and not (q["fifo"] or q["subscribed_topics"]):
            assert host["extensions"]["queues"]["maxDequeueCount"] <= q["max_receives"]


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
