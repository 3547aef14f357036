"""The observability plugin on GCP: alert policies, the log bucket and sink, and trace ids in log lines.

Packaging is checked in process (artifacts, goldens under tests/golden/gcp/observability/, determinism);
deploys run ``sls-neutral deploy -p gcp`` against the FAKE control plane (tests/fakes/gcp_control_plane.py -
not GCP: it checks request shapes and records calls, it does not evaluate metrics or route logs). The adapter
test serves a generated function with the real functions-framework and reads the JSON lines ``ctx.log``
writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gcp_helpers import REPO, build, serve

GOLDEN = REPO / "tests" / "golden" / "gcp" / "observability"
LOCATION = "projects/shop-project/locations/europe-west1"
BUCKET = "projects/shop-project/locations/global/buckets/shop-dev-logs"
SINK = "projects/shop-project/sinks/shop-dev-logs"

SERVICE = """\
service: shop
runtime: python3.12
provider: gcp
providers:
  gcp: {project: shop-project, region: europe-west1}
plugins: [observability]
observability: {log_retention: 14d}
topics:
  events: {}
functions:
  api:
    handler: src/app.py:api
    timeout: 5m
    triggers:
      - http: {method: GET, path: "/items/{id}"}
      - topic: {name: events}
  step:
    handler: src/app.py:step
  worker:
    handler: src/app.py:worker
    triggers:
      - topic: {name: events}
"""

HANDLERS = """\
def api(request, ctx):
    ctx.log.info("item", id=request.path_params.get("id"))
    return {"id": request.path_params.get("id")}


def step(input, ctx):
    ctx.log.info("step")
    return input


def worker(event, ctx):
    ctx.log.info("event", data=event.data)
"""

KINDS = ("duration", "errors", "throttles")


@pytest.fixture
def service(tmp_path) -> Path:
    root = tmp_path / "shop"
    (root / "src").mkdir(parents=True)
    (root / "sls-neutral.yaml").write_text(SERVICE)
    (root / "src" / "app.py").write_text(HANDLERS)
    return root


def manifest(root: Path, old: str, new: str) -> None:
    path = root / "sls-neutral.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def policy(out: Path, name: str) -> dict:
    return json.loads((out / "monitoring" / f"{name}.json").read_text())


# ---------------------------------------------------------------- package
def test_artifacts_hold_one_policy_per_function_and_alarm(service, tmp_path, golden):
    out = tmp_path / "out"
    _, deployment = build(service, out)
    names = sorted(p.name for p in (out / "monitoring").iterdir())
    assert names == [f"shop-dev-{fn}-{kind}.json" for fn in ("api", "step", "worker") for kind in KINDS]
    section = deployment["observability"]
    assert sorted(section["alert_policies"]) == [n.removesuffix(".json") for n in names]
    assert section["tracing"] is True

    errors = policy(out, "shop-dev-api-errors")
    threshold = errors["conditions"][0]["conditionThreshold"]
    both_units = 'resource.labels.service_name = monitoring.regex.full_match("shop-dev-api|shop-dev-api-topic-0")'
    assert threshold["denominatorFilter"] == ('resource.type = "cloud_run_revision" AND metric.type = '
                                              f'"run.googleapis.com/request_count" AND {both_units}')
    assert threshold["filter"] == threshold["denominatorFilter"] + ' AND metric.labels.response_code_class = "5xx"'
    assert threshold["thresholdValue"] == 0.05 and threshold["comparison"] == "COMPARISON_GT"
    assert threshold["aggregations"] == threshold["denominatorAggregations"] == [
        {"alignmentPeriod": "300s", "crossSeriesReducer": "REDUCE_SUM", "perSeriesAligner": "ALIGN_DELTA"}]
    assert errors["userLabels"] == {"slsn-alarm": "errors", "slsn-function": "api", "slsn-service": "shop",
                                    "slsn-spec": section["alert_policies"]["shop-dev-api-errors"]["spec"],
                                    "slsn-stage": "dev"}

    duration = policy(out, "shop-dev-api-duration")["conditions"]
    assert [c["conditionThreshold"]["thresholdValue"] for c in duration] == [240000]  # 0.8 x 300 s
    assert 'metric.type = "run.googleapis.com/request_latencies"' in duration[0]["conditionThreshold"]["filter"]
    assert duration[0]["conditionThreshold"]["aggregations"][0]["perSeriesAligner"] == "ALIGN_PERCENTILE_99"
    step_duration = policy(out, "shop-dev-step-duration")["conditions"][0]["conditionThreshold"]  # 0.8 x 10 s
    assert step_duration["thresholdValue"] == 8000 and 'service_name = "shop-dev-step"' in step_duration["filter"]

    throttles = policy(out, "shop-dev-worker-throttles")["conditions"][0]["conditionThreshold"]
    assert throttles["filter"].endswith('resource.labels.service_name = "shop-dev-worker" AND '
                                        'metric.labels.response_code = "429"')
    assert throttles["thresholdValue"] == 0

    assert section["log_bucket"] == {
        "id": "shop-dev-logs", "path": BUCKET, "location": "global", "retention_days": 14,
        "description": "sls-neutral shop/dev: function logs, kept 14 days (observability plugin)"}
    sink = section["log_sink"]
    assert sink["destination"] == f"logging.googleapis.com/{BUCKET}" and sink["path"] == SINK
    for unit in deployment["functions"]:
        assert f'"{unit}"' in sink["filter"]

    golden(GOLDEN / "observability.json", json.dumps(section, indent=2, sort_keys=True) + "\n")
    for kind in KINDS:
        golden(GOLDEN / f"shop-dev-api-{kind}.json", (out / "monitoring" / f"shop-dev-api-{kind}.json").read_bytes())


def test_artifacts_are_byte_stable_with_sorted_keys(service, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    build(service, first)
    build(service, second)
    for path in sorted((first / "monitoring").iterdir()):
        data = path.read_bytes()
        assert data == (second / "monitoring" / path.name).read_bytes()
        assert data.decode() == json.dumps(json.loads(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_nothing_without_the_plugin_and_only_the_alarms_asked_for(service, tmp_path):
    manifest(service, "plugins: [observability]\nobservability: {log_retention: 14d}\n", "")
    _, deployment = build(service, tmp_path / "off")
    assert "observability" not in deployment and not (tmp_path / "off" / "monitoring").exists()

    manifest(service, "topics:", "plugins: [observability]\nobservability: {tracing: false, alarms: [errors], "
                                 "error_rate_threshold: 0.1, log_retention: 5000d}\ntopics:")
    _, deployment = build(service, tmp_path / "some")
    assert sorted(deployment["observability"]["alert_policies"]) == [f"shop-dev-{f}-errors"
                                                                     for f in ("api", "step", "worker")]
    assert policy(tmp_path / "some", "shop-dev-api-errors")["conditions"][0]["conditionThreshold"][
        "thresholdValue"] == 0.1
    assert deployment["observability"]["log_bucket"]["retention_days"] == 3650
    notes = " ".join(deployment["notes"])
    assert "clamped to 3650 days" in notes and "tracing is off" in notes


# ---------------------------------------------------------------- deploy (fake control plane)
def deploy(cli, root: Path, url: str):
    result = cli("deploy", "-p", "gcp", "--endpoint-url", url, "--output", "json", cwd=root)
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)["results"][0]


def ours(state) -> dict[str, dict]:
    """Deployed policies by display name (the fake assigns their ids)."""
    out = {}
    for p in state.alert_policies.values():
        assert p["displayName"] not in out, f"duplicate policy {p['displayName']}"
        out[p["displayName"]] = p
    return out


def test_deploy_creates_policies_bucket_and_sink_then_an_unchanged_deploy_sends_nothing(cli, service, fake_gcp):
    state = fake_gcp.state
    state.page_size = 4  # nine policies: the planner follows nextPageToken
    deploy(cli, service, fake_gcp.url)
    policies = ours(state)
    assert sorted(policies) == [f"shop-dev-{fn}-{kind}" for fn in ("api", "step", "worker") for kind in KINDS]
    assert all(p["name"].startswith("projects/shop-project/alertPolicies/") for p in policies.values())
    assert policies["shop-dev-step-errors"]["userLabels"]["slsn-function"] == "step"
    assert [c["name"] for c in policies["shop-dev-api-errors"]["conditions"]]  # ids assigned on create
    assert state.log_buckets[BUCKET]["retentionDays"] == 14
    sink = state.sinks[SINK]
    assert sink["destination"] == f"logging.googleapis.com/{BUCKET}"
    assert '"shop-dev-worker"' in sink["filter"] and '"shop-dev-api-topic-0"' in sink["filter"]
    created = [(m, p) for m, p in state.mutating_calls() if p.startswith(("/v3/", "/v2/projects/shop-project/s",
                                                                         "/v2/projects/shop-project/locations/g"))]
    assert created == [("POST", "/v2/projects/shop-project/locations/global/buckets"),
                       ("POST", "/v2/projects/shop-project/sinks")] + \
        [("POST", "/v3/projects/shop-project/alertPolicies")] * 9
    assert not any(p.startswith("/v2/projects/shop-project/locations/global/buckets/_Default")
                   for _, p in state.calls)

    before = len(state.mutating_calls())
    again = deploy(cli, service, fake_gcp.url)
    assert state.mutating_calls()[before:] == [] and again["changes"] == []
    assert ("GET", "/v3/projects/shop-project/alertPolicies") in state.calls


def test_removed_function_deletes_its_policies_and_a_new_threshold_patches_in_place(cli, service, fake_gcp):
    state = fake_gcp.state
    deploy(cli, service, fake_gcp.url)
    ids = {name: p["name"] for name, p in ours(state).items()}
    # a notification channel attached by hand survives the deploy's patches (they carry an update mask)
    state.alert_policies[ids["shop-dev-api-errors"]]["notificationChannels"] = ["projects/shop-project/x/1"]

    before = len(state.mutating_calls())
    manifest(service, "  worker:\n    handler: src/app.py:worker\n    triggers:\n      - topic: {name: events}\n", "")
    deploy(cli, service, fake_gcp.url)
    calls = state.mutating_calls()[before:]
    assert sorted(p for m, p in calls if m == "DELETE" and p.startswith("/v3/")) == sorted(
        f"/v3/{ids[f'shop-dev-worker-{kind}']}" for kind in KINDS)
    assert ("DELETE", f"/v2/{LOCATION}/functions/shop-dev-worker") in calls
    assert ("PATCH", f"/v2/{SINK}") in calls and '"shop-dev-worker"' not in state.sinks[SINK]["filter"]
    assert not [c for c in calls if c[0] in ("POST", "PATCH") and c[1].startswith("/v3/")]
    assert sorted(ours(state)) == [f"shop-dev-{fn}-{kind}" for fn in ("api", "step") for kind in KINDS]

    before = len(state.mutating_calls())
    manifest(service, "observability: {log_retention: 14d}", "observability: {log_retention: 14d, "
                                                              "error_rate_threshold: 0.2}")
    deploy(cli, service, fake_gcp.url)
    calls = state.mutating_calls()[before:]
    assert sorted(calls) == sorted([("PATCH", f"/v3/{ids['shop-dev-api-errors']}"),
                                    ("PATCH", f"/v3/{ids['shop-dev-step-errors']}")])
    patched = state.alert_policies[ids["shop-dev-api-errors"]]
    assert patched["conditions"][0]["conditionThreshold"]["thresholdValue"] == 0.2
    assert patched["notificationChannels"] == ["projects/shop-project/x/1"]


def test_duplicates_and_a_deleted_log_bucket_converge(cli, service, fake_gcp):
    state = fake_gcp.state
    deploy(cli, service, fake_gcp.url)
    first = ours(state)["shop-dev-step-duration"]
    copy = json.loads(json.dumps(first))
    copy["name"] = "projects/shop-project/alertPolicies/999999"
    state.alert_policies[copy["name"]] = copy  # e.g. a create retried after a timeout
    state.alert_policies["projects/shop-project/alertPolicies/5"] = {  # someone else's: left alone
        **json.loads(json.dumps(first)), "name": "projects/shop-project/alertPolicies/5",
        "userLabels": {"team": "ops"}}
    state.log_buckets[BUCKET]["lifecycleState"] = "DELETE_REQUESTED"
    state.log_buckets[BUCKET]["retentionDays"] = 30

    before = len(state.mutating_calls())
    deploy(cli, service, fake_gcp.url)
    calls = state.mutating_calls()[before:]
    assert ("DELETE", "/v3/projects/shop-project/alertPolicies/999999") in calls
    assert ("POST", f"/v2/{BUCKET}:undelete") in calls and ("PATCH", f"/v2/{BUCKET}") in calls
    assert state.log_buckets[BUCKET]["lifecycleState"] == "ACTIVE" and state.log_buckets[BUCKET]["retentionDays"] == 14
    assert "projects/shop-project/alertPolicies/5" in state.alert_policies
    assert len(calls) == 3


def test_disabling_the_plugin_and_remove_clean_up_but_keep_the_log_bucket(cli, service, fake_gcp):
    state = fake_gcp.state
    deploy(cli, service, fake_gcp.url)
    manifest(service, "observability: {log_retention: 14d}", "observability: {log_retention: 14d, alarms: []}")
    deploy(cli, service, fake_gcp.url)
    assert ours(state) == {} and SINK in state.sinks

    manifest(service, "plugins: [observability]\nobservability: {log_retention: 14d, alarms: []}\n", "")
    deploy(cli, service, fake_gcp.url)
    assert SINK not in state.sinks and state.log_buckets[BUCKET]["lifecycleState"] == "ACTIVE"

    manifest(service, "topics:", "plugins: [observability]\ntopics:")
    deploy(cli, service, fake_gcp.url)
    assert len(ours(state)) == 9 and SINK in state.sinks
    result = cli("remove", "-p", "gcp", "--endpoint-url", fake_gcp.url, cwd=service)
    assert result.returncode == 0, result.stderr + result.stdout
    assert ours(state) == {} and not state.sinks and not state.functions
    assert "log bucket shop-dev-logs" in result.stdout + result.stderr
    assert state.log_buckets[BUCKET]["lifecycleState"] == "ACTIVE"  # logs are data: kept, like buckets


def test_monitoring_api_forbidden(cli, service, fake_gcp):
    """Without the plugin a 403 from Monitoring or the sink read is a plan note; with it, an error with a hint."""
    state = fake_gcp.state
    state.forbidden = ("/v3/", "/v2/projects/shop-project/sinks")
    manifest(service, "plugins: [observability]\nobservability: {log_retention: 14d}\n", "")
    result = cli("plan", "-p", "gcp", "--endpoint-url", fake_gcp.url, cwd=service)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "alert policies could not be read" in result.stdout + result.stderr

    manifest(service, "topics:", "plugins: [observability]\ntopics:")
    result = cli("deploy", "-p", "gcp", "--endpoint-url", fake_gcp.url, cwd=service)
    assert result.returncode != 0
    assert "403" in result.stdout + result.stderr


# ---------------------------------------------------------------- the adapter: trace ids in ctx.log lines
functions_framework = pytest.importorskip("functions_framework")


def client(out: Path, deployment: dict, unit: str, monkeypatch):
    return serve(monkeypatch, out, deployment, unit).test_client()


def log_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]


def test_log_lines_carry_the_request_trace(service, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    _, deployment = build(service, out)
    api = client(out, deployment, "shop-dev-api", monkeypatch)

    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    assert api.get("/items/7", headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"}).status_code == 200
    line = log_lines(capsys)[-1]
    assert line["message"] == "item" and line["id"] == "7"
    assert line["logging.googleapis.com/trace"] == f"projects/shop-project/traces/{trace}"
    assert line["logging.googleapis.com/spanId"] == "00f067aa0ba902b7"
    assert line["logging.googleapis.com/trace_sampled"] is True
    assert line["severity"] == "INFO" and line["level"] == "info"  # Cloud Logging reads "severity"

    assert api.get("/items/8", headers={"X-Cloud-Trace-Context": f"{trace.upper()}/74;o=0"}).status_code == 200
    line = log_lines(capsys)[-1]
    assert (line["logging.googleapis.com/trace"], line["logging.googleapis.com/spanId"],
            line["logging.googleapis.com/trace_sampled"]) == (f"projects/shop-project/traces/{trace}",
                                                              "000000000000004a", False)

    assert api.get("/items/9", headers={"traceparent": "00-" + "0" * 32 + "-00f067aa0ba902b7-01"}).status_code == 200
    untraced = log_lines(capsys)[-1]
    assert not any(k.startswith("logging.googleapis.com/") for k in untraced)
    assert untraced["severity"] == "INFO"  # severity even without a trace

    step = client(out, deployment, "shop-dev-step", monkeypatch)
    assert step.post("/", json={"a": 1}, headers={"X-Cloud-Trace-Context": f"{trace}/1;o=1"}).status_code == 200
    assert log_lines(capsys)[-1]["logging.googleapis.com/trace"] == f"projects/shop-project/traces/{trace}"


def test_event_log_lines_carry_the_cloudevent_trace(service, tmp_path, monkeypatch, capsys):
    import base64

    from cloudevents.conversion import to_binary
    from cloudevents.http import CloudEvent

    out = tmp_path / "out"
    _, deployment = build(service, out)
    worker = client(out, deployment, "shop-dev-worker", monkeypatch)
    trace = "0af7651916cd43dd8448eb211c80319c"
    event = CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished", "id": "m1",
                        "source": "//pubsub.googleapis.com/projects/shop-project/topics/shop-dev-topic-events",
                        "traceparent": f"00-{trace}-b7ad6b7169203331-01"},
                       {"message": {"data": base64.b64encode(b'{"n": 1}').decode(), "messageId": "m1"}})
    headers, body = to_binary(event)
    assert worker.post("/", headers=headers, data=body).status_code == 200
    line = log_lines(capsys)[-1]
    assert line["data"] == {"n": 1} and line["logging.googleapis.com/spanId"] == "b7ad6b7169203331"
    assert line["logging.googleapis.com/trace"] == f"projects/shop-project/traces/{trace}"

    # no traceparent extension: the delivering request's X-Cloud-Trace-Context (Pub/Sub push, Eventarc)
    event = CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished", "id": "m2",
                        "source": "//pubsub.googleapis.com/projects/shop-project/topics/shop-dev-topic-events"},
                       {"message": {"data": base64.b64encode(b"2").decode(), "messageId": "m2"}})
    headers, body = to_binary(event)
    assert worker.post("/", headers={**headers, "X-Cloud-Trace-Context": f"{trace}/9"}, data=body).status_code == 200
    assert log_lines(capsys)[-1]["logging.googleapis.com/trace"] == f"projects/shop-project/traces/{trace}"


def test_trace_fields_parsing():
    from sls_neutral.runtime.adapters.gcp import trace_fields

    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_fields(f"00-{trace}-00f067aa0ba902b7-00", project="p") == {
        "logging.googleapis.com/trace": f"projects/p/traces/{trace}",
        "logging.googleapis.com/spanId": "00f067aa0ba902b7", "logging.googleapis.com/trace_sampled": False}
    assert trace_fields(f"ff-{trace}-00f067aa0ba902b7-01", project="p") == {}  # version ff is invalid
    assert trace_fields(f"00-{trace}-0000000000000000-01", project="p") == {}
    assert trace_fields("garbage", f"{trace}", project="p") == {"logging.googleapis.com/trace":
                                                                 f"projects/p/traces/{trace}"}
    assert trace_fields(None, f"{trace}/18446744073709551615;o=1", project="p")[
        "logging.googleapis.com/spanId"] == "ffffffffffffffff"
    assert trace_fields(None, "not-a-trace", project="p") == {}
