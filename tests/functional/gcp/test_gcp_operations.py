"""invoke, logs and workflow start/status/history -p gcp against the FAKE control plane (not GCP).

One small stage is deployed once with ``sls-neutral deploy -p gcp`` to tests/fakes/gcp_control_plane.py, so
names and URIs come from the real deploy. The fake gives each function a URI it answers itself (``/run/<id>``:
the request is recorded and echoed, or a queued answer is returned); the tests replay recorded requests through
the real functions-framework app of the generated ``main.py`` to check the adapter accepts what invoke sent.
Cloud Logging ``entries:list`` serves entries the test writes; Workflow Executions finish on their second read.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path

import pytest
from gcp_helpers import RecordingBackend, install_backend, serve
from sls_neutral.core.provider import DeployContext

REPO = Path(__file__).resolve().parents[3]

SERVICE = """\
service: ops
runtime: python3.12
provider: gcp
stage: dev
providers:
  gcp: {project: ops-project, region: europe-west1}
buckets:
  files: {}
queues:
  jobs: {}
topics:
  news: {}
functions:
  api:
    handler: src/app.py:api
    triggers:
      - http: {method: GET, path: "/items/{id}"}
  worker:
    handler: src/app.py:worker
    permissions: [topic:news:publish]
    triggers:
      - queue: {name: jobs}
  listener:
    handler: src/app.py:worker
    permissions: [topic:news:publish]
    triggers:
      - topic: {name: news}
  on-file:
    handler: src/app.py:worker
    permissions: [topic:news:publish]
    triggers:
      - bucket: {name: files, events: [created]}
  tick:
    handler: src/app.py:worker
    permissions: [topic:news:publish]
    triggers:
      - schedule: {rate: 1h, data: {kind: hourly}}
  step:
    handler: src/app.py:step
workflows:
  flow:
    steps:
      - one: {call: step, result: $.out}
      - charge-card: {call: step, result: $.paid}
      - tidy-up: {set: {$.a: 1, $.b: 2}}
"""

HANDLERS = """\
def api(request, ctx):
    return {"id": request.path_params["id"], "route": request.route}


def worker(event, ctx):
    ctx.topic("news").publish({"type": event.type, "subject": event.subject, "data": event.data})


def step(input, ctx):
    return {"ok": True}
"""


def _fake_module():
    name = "slsn_test_gcp_control_plane"  # the name tests/functional/gcp/conftest.py loads it under
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "fakes" / "gcp_control_plane.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    """The fake (module-wide: one deploy serves every test) and the deployed service folder."""
    root = tmp_path_factory.mktemp("gcp-ops") / "ops"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(HANDLERS)
    (root / "sls-neutral.yaml").write_text(SERVICE)
    with _fake_module().FakeGcpServer() as fake:
        from sls_neutral.core.cli.main import run

        assert run(["deploy", "--no-lint", "-p", "gcp", "--endpoint-url", fake.url, "-c",
                    str(root / "sls-neutral.yaml")]) == 0
        yield fake, root


def provider_and_app(root: Path, stage: str | None = None):
    from sls_neutral.core.pipeline import Project

    project = Project(config=root / "sls-neutral.yaml", stage=stage, options={})
    return project.provider("gcp"), project.app_for("gcp")


def context(root: Path, fake) -> DeployContext:
    return DeployContext(root=root, state_dir=root / ".state", build_dir=root / ".build", endpoint_url=fake.url)


def replay(root: Path, request: dict, monkeypatch):
    """Send a recorded request to the generated main.py of its function, served by functions-framework."""
    pytest.importorskip("functions_framework")
    out = root / ".sls-neutral" / "build" / "dev" / "gcp"
    deployment = json.loads((out / "deployment.json").read_text())
    app = serve(monkeypatch, out, deployment, request["function"])
    headers = {k: v for k, v in request["headers"].items() if k not in ("host", "content-length")}
    return app.test_client().open(request["path"], method=request["method"], headers=headers, data=request["body"])


def test_invoke_calls_each_unit_as_its_trigger_would_and_the_adapter_accepts_it(stage, monkeypatch):
    fake, root = stage
    provider, app = provider_and_app(root)
    ctx = context(root, fake)

    http = provider.invoke(app, "api", {"id": 7}, ctx)  # the fake echoes what it got
    assert http["status"] == 200 and http["body"] == {"method": "GET", "path": "/items/7", "body": {"id": 7}}
    sent = fake.state.function_requests[-1]
    assert sent["function"] == "ops-dev-api" and sent["headers"]["x-correlation-id"]
    assert provider.invoke(app, "step", {"x": 1}, ctx) == {"result": {"method": "POST", "path": "/", "body": {"x": 1}}}

    recorded = {}
    for function, data in (("worker", {"n": 1}), ("listener", {"n": 2}), ("on-file", {"key": "in/a b.txt"}),
                           ("tick", None)):
        assert provider.invoke(app, function, data, ctx) == {"ok": True}
        recorded[function] = fake.state.function_requests[-1]
    assert recorded["worker"]["function"] == "ops-dev-worker"  # the queue's push consumer
    assert recorded["listener"]["headers"]["ce-type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert recorded["on-file"]["headers"]["ce-type"] == "google.cloud.storage.object.v1.finalized"

    backend = RecordingBackend()
    install_backend(backend)
    try:
        for function in ("worker", "listener", "on-file", "tick"):
            reply = replay(root, recorded[function], monkeypatch)
            assert reply.status_code == 200, (function, reply.get_data(as_text=True)[:500])
        reply = replay(root, sent, monkeypatch)
        assert reply.status_code == 200 and reply.get_json() == {"id": "7", "route": "GET /items/{id}"}
    finally:
        install_backend(None)
    events = [json.loads(body) for _, _, body, _ in backend.sent]
    assert events == [
        {"type": "sls.queue.message", "subject": "jobs", "data": {"n": 1}},
        {"type": "sls.topic.message", "subject": "news", "data": {"n": 2}},
        {"type": "sls.bucket.object.created", "subject": "in/a b.txt",
         "data": {"bucket": "files", "key": "in/a b.txt", "size": 0, "etag": ""}},
        {"type": "sls.schedule.tick", "subject": "tick", "data": {"kind": "hourly"}}]


def test_invoke_failures_are_reported_and_the_cli_exits_1(stage, cli):
    fake, root = stage
    provider, app = provider_and_app(root)
    ctx = context(root, fake)
    fake.state.function_answers["ops-dev-step"] = [(500, {"error": "PaymentDeclined", "cause": "card declined"})]
    assert provider.invoke(app, "step", {}, ctx) == {"error": "PaymentDeclined", "cause": "card declined",
                                                     "status": 500}
    fake.state.function_answers["ops-dev-listener"] = [(500, b"Internal Server Error")]
    failed = provider.invoke(app, "listener", {"n": 1}, ctx)
    assert failed["error"] == "FunctionError" and "HTTP 500 from ops-dev-listener" in failed["cause"]
    fake.state.function_answers["ops-dev-api"] = [(503, b"overloaded")]
    failed = provider.invoke(app, "api", {"id": 1}, ctx)
    assert (failed["status"], failed["error"]) == (503, "FunctionError")

    fake.state.function_answers["ops-dev-step"] = [(500, {"error": "TaskFailed", "cause": "ValueError: boom"})]
    run = cli("invoke", "step", "--data", "{}", "-p", "gcp", "--endpoint-url", fake.url, cwd=root)
    assert run.returncode == 1 and "error: function 'step' failed: TaskFailed: ValueError: boom" in run.stderr
    assert "Traceback" not in run.stderr

    from sls_neutral.core.errors import DeployError

    other, other_app = provider_and_app(root, "prod")  # never deployed
    with pytest.raises(DeployError, match="ops-prod-api is not deployed"):
        other.invoke(other_app, "api", {"id": 1}, ctx)


def _entry(service: str, when: str, text: str, insert_id: str) -> dict:
    return {"insertId": insert_id, "timestamp": when, "severity": "INFO", "textPayload": text,
            "resource": {"type": "cloud_run_revision", "labels": {"service_name": service}}}


def test_logs_lists_the_units_entries_and_tail_follows_them(stage, monkeypatch):
    import datetime as dt

    from sls_neutral.core import remote

    fake, root = stage
    provider, app = provider_and_app(root)
    ctx = context(root, fake)
    now = dt.datetime.now(dt.UTC)
    old = (now - dt.timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    recent = (now - dt.timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    fake.state.log_entries += [_entry("ops-dev-worker", old, "too old", "a"),
                               _entry("ops-dev-worker", recent, "handled 1", "b"),
                               _entry("ops-dev-api", recent, "other function", "c")]
    fake.state.log_entries.append({**_entry("ops-dev-worker", recent, "", "e"), "textPayload": None,
                                   "jsonPayload": {"level": "info", "message": "from ctx.log", "function": "worker"}})
    del fake.state.log_entries[-1]["textPayload"]
    lines = [json.loads(line) for line in provider.logs(app, "worker", ctx)]
    assert [(line["level"], line["message"], line["function"]) for line in lines] == [
        ("info", "handled 1", "worker"), ("info", "from ctx.log", "worker")]
    assert lines[0]["gcp_function"] == "ops-dev-worker" and lines[0]["time"] == recent
    query = fake.state.log_filters[-1]
    assert 'resource.type="cloud_run_revision" AND resource.labels.service_name=("ops-dev-worker")' in query

    printed = io.StringIO()
    polls = []

    def sleep(seconds):
        polls.append(seconds)
        if len(polls) == 1:
            later = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
            fake.state.log_entries.append(_entry("ops-dev-worker", later, "handled 2", "d"))
        else:
            raise KeyboardInterrupt

    original = remote.follow
    monkeypatch.setattr(remote, "follow", lambda fetch, interval: original(fetch, interval, out=printed, sleep=sleep))
    assert provider.logs(app, "worker", ctx, tail=True) is None
    assert [json.loads(line)["message"] for line in printed.getvalue().splitlines()] == [
        "handled 1", "from ctx.log", "handled 2"]


def test_logs_since_moves_the_start_of_the_filter(stage):
    import datetime as dt
    from dataclasses import replace

    from sls_neutral.core import remote

    fake, root = stage
    provider, app = provider_and_app(root)
    now = dt.datetime.now(dt.UTC)
    fake.state.log_entries += [
        _entry("ops-dev-tick", remote.iso(now - dt.timedelta(hours=3)), "three hours ago", "s1"),
        _entry("ops-dev-tick", remote.iso(now - dt.timedelta(minutes=2)), "two minutes ago", "s2")]

    def messages(since=None):
        ctx = context(root, fake)
        if since is not None:
            ctx = replace(ctx, options={remote.LOGS_SINCE: now.timestamp() - since})
        return [json.loads(line)["message"] for line in provider.logs(app, "tick", ctx)]

    assert messages() == ["two minutes ago"]  # without --since: the last hour
    assert messages(since=4 * 3600) == ["three hours ago", "two minutes ago"]  # further back than the hour
    assert fake.state.log_filters[-1].endswith(f'timestamp>="{remote.iso(now.timestamp() - 4 * 3600)}"')
    assert messages(since=60) == []  # newer than both


def test_workflow_start_wait_status_history_and_failure(stage, cli):
    fake, root = stage
    provider, app = provider_and_app(root)
    ctx = context(root, fake)
    started = provider.workflow_start(app, "flow", {"order": 1}, ctx)
    name = started["execution_id"]
    assert name.startswith("projects/ops-project/locations/europe-west1/workflows/ops-dev-flow/executions/")
    argument = json.loads(fake.state.executions[name]["argument"])
    assert argument["order"] == 1 and argument["_slsn"]["correlation_id"]

    done = provider.workflow_start(app, "flow", {"order": 2}, ctx, wait=True)  # ACTIVE, then SUCCEEDED
    assert (done["status"], done["workflow"], done["input"], done["output"]) == ("SUCCEEDED", "flow", {"order": 2},
                                                                               {"order": 2})
    short = provider.workflow_status(app, done["execution_id"].rsplit("/", 1)[-1], ctx)
    assert short["execution_id"] == done["execution_id"] and short["status"] == "SUCCEEDED"

    history = provider.workflow_history(app, done["execution_id"], ctx)
    # the manifest's step names; the compiled step's name stays in detail.gcp_step where it differs
    assert [(e["type"], e["step"], e["detail"].get("gcp_step")) for e in history] == [
        ("ExecutionStarted", None, None), ("StepSucceeded", None, "init"), ("StepSucceeded", "one", None),
        ("StepSucceeded", "one", "one_result"), ("StepSucceeded", "charge-card", "charge_card"),
        ("StepSucceeded", "charge-card", "charge_card_result"), ("StepSucceeded", "tidy-up", "tidy_up"),
        ("StepSucceeded", None, "done"), ("ExecutionSucceeded", None, None)]
    text = cli("workflow", "history", done["execution_id"], "-p", "gcp", "--endpoint-url", fake.url, cwd=root)
    assert text.returncode == 0 and text.stdout.splitlines()[0].split() == ["SEQ", "TIME", "TYPE", "STEP", "DETAIL"]
    assert '{"kind": "call"}' in text.stdout and "{'" not in text.stdout

    fake.state.fail_next_execution = {"error": "PaymentDeclined", "cause": "card declined"}
    run = cli("workflow", "start", "flow", "--wait", "-p", "gcp", "--endpoint-url", fake.url, "--output", "json",
              cwd=root)
    assert run.returncode == 1, run.stderr
    failed = json.loads(run.stdout)
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "PaymentDeclined", "card declined")
    history = provider.workflow_history(app, failed["execution_id"], ctx)
    assert history[-2]["type"] == "StepFailed" and history[-2]["detail"]["error"] == "PaymentDeclined"
    assert (history[-2]["step"], history[-2]["detail"]["gcp_step"]) == (None, "done")  # where the fake fails
    assert history[-1]["type"] == "ExecutionFailed"

    from sls_neutral.core.errors import SlsnError

    with pytest.raises(SlsnError, match="not found"):
        provider.workflow_status(app, "no-such-execution", ctx)
