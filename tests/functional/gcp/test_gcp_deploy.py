"""deploy -p gcp end to end against the fake control plane (tests/fakes/gcp_control_plane.py - not GCP).

The real google-cloud clients (REST transport, anonymous credentials) talk to a local server that
implements the REST shapes of Cloud Functions v2 (generateUploadUrl, operations), Workflows, Pub/Sub,
Cloud Scheduler, Cloud Storage and IAM. The fake records every call.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

SERVICE = """\
service: shop
runtime: python3.12
provider: gcp
providers:
  gcp: {project: shop-project, region: europe-west1}
buckets:
  photos: {}
queues:
  jobs:
    visibility_timeout: 3m
    dead_letter: {max_receives: 5}
topics:
  events: {}
functions:
  api:
    handler: src/app.py:api
    permissions: [bucket:photos:write, queue:jobs:send]
    triggers:
      - http: {method: GET, path: "/items/{id}"}
  worker:
    handler: src/app.py:worker
    timeout: 2m
    permissions: [bucket:photos:read, topic:events:publish]
    triggers:
      - queue: {name: jobs}
  step:
    handler: src/app.py:step
  nightly:
    handler: src/app.py:nightly
    triggers:
      - schedule: {rate: 1h}
workflows:
  flow:
    triggers:
      - http: {method: POST, path: /flows}
    steps:
      - one: {call: step, result: $.out}
"""

HANDLERS = """\
def api(request, ctx):
    return {"id": request.path_params["id"]}


def api_v2(request, ctx):
    return {"id": request.path_params["id"], "v": 2}


def worker(event, ctx):
    ctx.topic("events").publish(event.data)


def step(input, ctx):
    return {"ok": True}


def nightly(event, ctx):
    ctx.log.info("tick")
"""


@pytest.fixture
def service(tmp_path) -> Path:
    root = tmp_path / "shop"
    (root / "src").mkdir(parents=True)
    (root / "sls-neutral.yaml").write_text(SERVICE)
    (root / "src" / "app.py").write_text(HANDLERS)
    return root


def deploy(cli, root: Path, url: str):
    result = cli("deploy", "-p", "gcp", "--endpoint-url", url, "--output", "json", cwd=root)
    assert result.returncode == 0, result.stderr + result.stdout
    return result


def test_first_deploy_creates_everything_then_nothing_changes(cli, service, fake_gcp):
    state = fake_gcp.state
    deploy(cli, service, fake_gcp.url)
    location = "projects/shop-project/locations/europe-west1"
    assert sorted(state.functions) == [f"{location}/functions/shop-dev-{n}"
                                       for n in ("api", "flow-start", "nightly", "step", "worker")]
    flow = state.workflows[f"{location}/workflows/shop-dev-flow"]
    assert "shop-dev-step" in flow["sourceContents"] and flow["serviceAccount"].endswith(
        "shop-dev-wf-flow@shop-project.iam.gserviceaccount.com")
    assert sorted(state.topics) == ["projects/shop-project/topics/shop-dev-queue-jobs",
                                    "projects/shop-project/topics/shop-dev-queue-jobs-dlq",
                                    "projects/shop-project/topics/shop-dev-schedule-nightly-0",
                                    "projects/shop-project/topics/shop-dev-topic-events"]
    sub = state.subscriptions["projects/shop-project/subscriptions/shop-dev-queue-jobs"]
    assert sub["ackDeadlineSeconds"] == 180  # the visibility timeout, >= the consumer's 2-minute timeout
    assert sub["deadLetterPolicy"] == {"deadLetterTopic": "projects/shop-project/topics/shop-dev-queue-jobs-dlq",
                                       "maxDeliveryAttempts": 5}
    assert sub["pushConfig"]["pushEndpoint"].endswith("/shop-dev-worker")
    job = state.jobs[f"{location}/jobs/shop-dev-nightly-0"]
    assert job["schedule"] == "0 * * * *" and job["pubsubTarget"]["topicName"].endswith("schedule-nightly-0")
    assert list(state.buckets) == ["shop-project-shop-dev-photos"]
    assert len(state.accounts) == 7  # one per function, workflow and starter + the delivery identity
    api = state.functions[f"{location}/functions/shop-dev-api"]
    env = api["serviceConfig"]["environmentVariables"]
    assert env["SLSN_PROVIDER"] == "gcp" and env["SLSN_HANDLER"] == "src.app:api"
    assert json.loads(env["SLSN_RESOURCES"]) == {"bucket:photos": "shop-project-shop-dev-photos",
                                                 "queue:jobs": "projects/shop-project/topics/shop-dev-queue-jobs"}
    assert api["serviceConfig"]["serviceAccountEmail"] == "shop-dev-fn-api@shop-project.iam.gserviceaccount.com"
    worker = state.functions[f"{location}/functions/shop-dev-worker"]
    assert worker["buildConfig"]["entryPoint"] == "queue_entry"
    assert len(state.uploads) == 5 and all(body[:2] == b"PK" for body in state.uploads.values())
    # api and worker import the same module and need the same clients: one zip, still uploaded once per function
    # (a storageSource from generateUploadUrl is documented for the function it was generated for, no more)
    assert len(set(state.uploads.values())) == 3
    assert state.polls, "long-running operations were polled"

    before = len(state.mutating_calls())
    again = deploy(cli, service, fake_gcp.url)
    assert state.mutating_calls()[before:] == []
    assert json.loads(again.stdout)["results"][0]["changes"] == []


def test_changed_handler_updates_one_function_and_removed_function_is_deleted(cli, service, fake_gcp):
    state = fake_gcp.state
    deploy(cli, service, fake_gcp.url)
    before = len(state.mutating_calls())
    manifest = service / "sls-neutral.yaml"
    manifest.write_text(SERVICE.replace("handler: src/app.py:api\n", "handler: src/app.py:api_v2\n"))
    builds = len(state.builds)
    deploy(cli, service, fake_gcp.url)
    calls = state.mutating_calls()[before:]
    # another function of the same module: the source is the same, only SLSN_HANDLER (and the configuration's
    # function name is the function's, unchanged) differ: an environment update, no upload, no build
    assert calls == [("PATCH", "/v2/projects/shop-project/locations/europe-west1/functions/shop-dev-api")], calls
    assert len(state.builds) == builds
    api = state.functions["projects/shop-project/locations/europe-west1/functions/shop-dev-api"]
    assert api["serviceConfig"]["environmentVariables"]["SLSN_HANDLER"] == "src.app:api_v2"

    before = len(state.mutating_calls())
    text = manifest.read_text()
    manifest.write_text(text.replace("  nightly:\n    handler: src/app.py:nightly\n    triggers:\n"
                                     "      - schedule: {rate: 1h}\n", ""))
    deploy(cli, service, fake_gcp.url)
    calls = state.mutating_calls()[before:]
    location = "projects/shop-project/locations/europe-west1"
    assert ("DELETE", f"/v2/{location}/functions/shop-dev-nightly") in calls
    assert ("DELETE", f"/v1/{location}/jobs/shop-dev-nightly-0") in calls
    assert ("DELETE", "/v1/projects/shop-project/topics/shop-dev-schedule-nightly-0") in calls
    assert sorted(state.functions) == [f"{location}/functions/shop-dev-{n}" for n in ("api", "flow-start", "step",
                                                                                        "worker")]
    assert not state.jobs


def test_deployed_iam_equals_what_the_grants_imply(cli, service, fake_gcp):
    state = fake_gcp.state
    deploy(cli, service, fake_gcp.url)
    sa = "serviceAccount:shop-dev-{}@shop-project.iam.gserviceaccount.com".format
    assert state.members("buckets/shop-project-shop-dev-photos") == {
        "roles/storage.objectCreator": [sa("fn-api")], "roles/storage.objectViewer": [sa("fn-worker")]}
    assert state.members("projects/shop-project/topics/shop-dev-queue-jobs") == {
        "roles/pubsub.publisher": [sa("fn-api")]}
    assert state.members("projects/shop-project/topics/shop-dev-topic-events") == {
        "roles/pubsub.publisher": [sa("fn-worker")]}
    services = "projects/shop-project/locations/europe-west1/services"
    assert state.members(f"{services}/shop-dev-api") == {"roles/run.invoker": ["allUsers"]}
    assert state.members(f"{services}/shop-dev-worker") == {"roles/run.invoker": [sa("invoker")]}
    assert state.members(f"{services}/shop-dev-step") == {"roles/run.invoker": [sa("wf-flow")]}
    assert state.members("projects/shop-project/locations/europe-west1/workflows/shop-dev-flow") == {
        "roles/workflows.invoker": [sa("start-flow")]}
    # nothing project-wide but the Eventarc receiver role of the delivery identity
    assert state.members("projects/shop-project") == {"roles/eventarc.eventReceiver": [sa("invoker")]}
    # and nothing anywhere else: every policy the fake holds, binding by binding
    held = {(resource, role, member) for resource in state.policies
            for role, members in state.members(resource).items() for member in members}
    location = "projects/shop-project/locations/europe-west1"
    assert held == {
        ("buckets/shop-project-shop-dev-photos", "roles/storage.objectCreator", sa("fn-api")),
        ("buckets/shop-project-shop-dev-photos", "roles/storage.objectViewer", sa("fn-worker")),
        ("projects/shop-project/topics/shop-dev-queue-jobs", "roles/pubsub.publisher", sa("fn-api")),
        ("projects/shop-project/topics/shop-dev-topic-events", "roles/pubsub.publisher", sa("fn-worker")),
        (f"{services}/shop-dev-api", "roles/run.invoker", "allUsers"),
        (f"{services}/shop-dev-flow-start", "roles/run.invoker", "allUsers"),
        (f"{services}/shop-dev-worker", "roles/run.invoker", sa("invoker")),
        (f"{services}/shop-dev-nightly", "roles/run.invoker", sa("invoker")),
        (f"{services}/shop-dev-step", "roles/run.invoker", sa("wf-flow")),
        (f"{location}/workflows/shop-dev-flow", "roles/workflows.invoker", sa("start-flow")),
        ("projects/shop-project", "roles/eventarc.eventReceiver", sa("invoker")),
    }, sorted(held)


def test_deploy_refuses_without_a_project(cli, service, fake_gcp):
    manifest = service / "sls-neutral.yaml"
    manifest.write_text(SERVICE.replace("  gcp: {project: shop-project, region: europe-west1}\n",
                                        "  gcp: {region: europe-west1}\n"))
    result = cli("deploy", "-p", "gcp", "--endpoint-url", fake_gcp.url, cwd=service)
    assert result.returncode == 1 and "providers.gcp.project" in result.stderr
    assert "Traceback" not in result.stderr
    assert fake_gcp.state.calls == []


def test_remove_deletes_what_the_stage_owns_and_keeps_buckets(cli, service, fake_gcp):
    state = fake_gcp.state
    deploy(cli, service, fake_gcp.url)
    info = cli("info", "-p", "gcp", "--endpoint-url", fake_gcp.url, "--output", "json", cwd=service)
    assert info.returncode == 0, info.stderr
    assert "shop-dev-api" in info.stdout and "ACTIVE" in info.stdout
    state.topics["projects/shop-project/topics/someone-elses"] = {"name": "projects/shop-project/topics/someone-elses"}
    result = cli("remove", "-p", "gcp", "--endpoint-url", fake_gcp.url, cwd=service)
    assert result.returncode == 0, result.stderr
    assert not state.functions and not state.workflows and not state.jobs and not state.subscriptions
    assert list(state.topics) == ["projects/shop-project/topics/someone-elses"]  # not labelled: not ours
    assert list(state.buckets) == ["shop-project-shop-dev-photos"]
    assert "buckets kept" in result.stdout


def test_label_change_updates_every_labelled_resource_with_masks_and_converges(cli, service, fake_gcp):
    state = fake_gcp.state
    deploy(cli, service, fake_gcp.url)
    manifest = service / "sls-neutral.yaml"
    manifest.write_text(SERVICE.replace("{project: shop-project, region: europe-west1}",
                                        "{project: shop-project, region: europe-west1, labels: {team: web}}"))
    before = len(state.mutating_calls())
    deploy(cli, service, fake_gcp.url)
    calls = state.mutating_calls()[before:]
    kinds = sorted({(m, p.split("/")[-2] if m == "PATCH" else p) for m, p in calls if m == "PATCH"})
    assert {k for _, k in kinds} >= {"functions", "topics", "subscriptions", "workflows", "b"}
    assert not [c for c in calls if c[0] in ("DELETE", "PUT") and "/upload" not in c[1]]
    assert all(t["labels"]["team"] == "web" for t in state.topics.values())
    assert all(f["labels"]["team"] == "web" for f in state.functions.values())
    assert state.buckets["shop-project-shop-dev-photos"]["labels"]["team"] == "web"
    before = len(state.mutating_calls())
    deploy(cli, service, fake_gcp.url)
    assert state.mutating_calls()[before:] == []


def test_edited_handler_file_uploads_and_updates_only_its_function(cli, service, fake_gcp):
    """A change to one handler's source (not to the manifest): one zip upload and one function update."""
    state = fake_gcp.state
    manifest = service / "sls-neutral.yaml"
    manifest.write_text(SERVICE.replace("handler: src/app.py:worker\n", "handler: src/worker.py:worker\n"))
    (service / "src" / "worker.py").write_text("def worker(event, ctx):\n    ctx.topic('events').publish(event.data)\n")
    deploy(cli, service, fake_gcp.url)
    before, uploads = len(state.mutating_calls()), len(state.uploads)
    worker = service / "src" / "worker.py"
    worker.write_text(worker.read_text() + "    ctx.log.info('published')\n")
    result = deploy(cli, service, fake_gcp.url)
    calls = state.mutating_calls()[before:]
    location = "/v2/projects/shop-project/locations/europe-west1"
    assert sorted(calls) == sorted([("POST", f"{location}/functions:generateUploadUrl"), ("PUT", "/upload"),
                                    ("PATCH", f"{location}/functions/shop-dev-worker")]), calls
    assert len(state.uploads) == uploads + 1
    worker_path = "projects/shop-project/locations/europe-west1/functions/shop-dev-worker"
    name, mask = state.function_patches[-1]
    assert name == worker_path and mask_paths(mask) == {"labels", "buildConfig.source"}, mask  # the source label
    assert state.builds[-1] == worker_path  # new code: Cloud Build runs
    changes = json.loads(result.stdout)["results"][0]["changes"]
    assert [c for c in changes if "shop-dev-worker" not in json.dumps(c)] == []
    before = len(state.mutating_calls())
    deploy(cli, service, fake_gcp.url)
    assert state.mutating_calls()[before:] == []


def mask_paths(mask: str) -> set[str]:
    """An updateMask as the set of its paths, camelCase (the REST transport's spelling)."""
    import re

    return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), p) for p in mask.split(",") if p}


def test_configuration_change_updates_the_environment_only_no_upload_no_build(cli, service, fake_gcp):
    """A new route is configuration (SLSN_FUNCTION_CONFIG): the planner patches serviceConfig.environmentVariables
    of that function's unit; its source digest is unchanged, so nothing is uploaded and nothing is built."""
    state = fake_gcp.state
    deploy(cli, service, fake_gcp.url)
    location = "projects/shop-project/locations/europe-west1"
    api = f"{location}/functions/shop-dev-api"
    label = state.functions[api]["labels"]["slsn-source"]
    manifest = service / "sls-neutral.yaml"
    route = '      - http: {method: GET, path: "/items/{id}"}\n'
    assert SERVICE.count(route) == 1
    manifest.write_text(SERVICE.replace(route, route + "      - http: {method: DELETE, path: \"/items/{id}\"}\n"))
    plan = cli("plan", "-p", "gcp", "--endpoint-url", fake_gcp.url, "--output", "json", cwd=service)
    assert plan.returncode == 0, plan.stderr
    assert "service_config.environment_variables" in plan.stdout and "build_config.source" not in plan.stdout
    before, uploads, builds = len(state.mutating_calls()), len(state.uploads), len(state.builds)
    patches = len(state.function_patches)
    result = deploy(cli, service, fake_gcp.url)
    assert state.mutating_calls()[before:] == [("PATCH", f"/v2/{api}")]
    assert [(name, mask_paths(mask)) for name, mask in state.function_patches[patches:]] == [
        (api, {"serviceConfig.environmentVariables"})]
    assert len(state.uploads) == uploads and len(state.builds) == builds
    deployed = state.functions[api]
    assert deployed["labels"]["slsn-source"] == label
    config = json.loads(deployed["serviceConfig"]["environmentVariables"]["SLSN_FUNCTION_CONFIG"])
    assert {"method": "DELETE", "path": "/items/{id}", "cors": False} in config["routes"]
    changes = json.loads(result.stdout)["results"][0]["changes"]
    assert changes == ["update functions.function shop-dev-api"], changes
    # converged
    before = len(state.mutating_calls())
    deploy(cli, service, fake_gcp.url)
    assert state.mutating_calls()[before:] == []


def test_a_unit_deployed_with_a_stale_configuration_is_patched_back(cli, service, fake_gcp):
    """Drift in the variable (edited in the console, or deployed by hand without it) is seen like any other
    environment difference: patched to what deployment.json says, without touching the source."""
    state = fake_gcp.state
    deploy(cli, service, fake_gcp.url)
    worker = "projects/shop-project/locations/europe-west1/functions/shop-dev-worker"
    want = state.functions[worker]["serviceConfig"]["environmentVariables"]["SLSN_FUNCTION_CONFIG"]
    del state.functions[worker]["serviceConfig"]["environmentVariables"]["SLSN_FUNCTION_CONFIG"]
    before, uploads = len(state.mutating_calls()), len(state.uploads)
    deploy(cli, service, fake_gcp.url)
    assert state.mutating_calls()[before:] == [("PATCH", f"/v2/{worker}")]
    assert len(state.uploads) == uploads
    assert state.functions[worker]["serviceConfig"]["environmentVariables"]["SLSN_FUNCTION_CONFIG"] == want
