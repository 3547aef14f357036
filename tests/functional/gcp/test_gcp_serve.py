"""Every generated function, served by the real functions-framework, answers HTTP requests and CloudEvents.

The artifacts come from examples/ (the same handler files the local provider runs); CloudEvents are built
with the ``cloudevents`` package in binary and structured mode, Pub/Sub pushes use the push body format.
Resource calls land in a recording Backend (the google-cloud clients would need GCP).
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gcp_helpers import (EXAMPLES, RecordingBackend, build, forget_service_modules, function_env, install_backend,
                         process_env, serve, set_env, unzipped, workflows_compiler_present)

functions_framework = pytest.importorskip("functions_framework")
from cloudevents.conversion import to_binary, to_structured  # noqa: E402
from cloudevents.http import CloudEvent  # noqa: E402


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("gcp-reference")
    app, deployment = build(EXAMPLES / "reference", out, without_workflow_yaml=not workflows_compiler_present())
    return out, deployment


@pytest.fixture
def backend():
    recording = RecordingBackend()
    install_backend(recording)
    yield recording
    install_backend(None)


def unit(deployment, function, kind=None):
    for name, spec in deployment["functions"].items():
        if spec.get("function") == function and (kind is None or spec["kind"] == kind):
            return name, spec
    raise AssertionError(f"no unit for {function}")


def client_for(out: Path, deployment, function, monkeypatch, kind=None, starter=False):
    name, spec = (next((n, s) for n, s in deployment["functions"].items() if s.get("workflow") == function)
                  if starter else unit(deployment, function, kind))
    return serve(monkeypatch, out, deployment, name).test_client()


def b64json(value) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def post_event(client, event: CloudEvent, mode: str):
    headers, body = to_binary(event) if mode == "binary" else to_structured(event)
    return client.post("/", headers=headers, data=body)


# ---------------------------------------------------------------- configuration from the environment
def test_a_unit_without_its_configuration_variable_fails_to_load_naming_it(reference, monkeypatch):
    """main.py is the same for every function; served without SLSN_FUNCTION_CONFIG (deployed by hand without the
    environment of deployment.json) it refuses to start with the variable's name and the fix."""
    out, deployment = reference
    name, spec = unit(deployment, "api")
    env = function_env(deployment, name)
    del env["SLSN_FUNCTION_CONFIG"]
    forget_service_modules()
    set_env(monkeypatch, env)
    with pytest.raises(RuntimeError, match="SLSN_FUNCTION_CONFIG is not set") as caught:
        functions_framework.create_app(spec["build"]["entry_point"],
                                       str(unzipped(out, spec["build"]["source"]) / "main.py"))
    assert "deployment.json" in str(caught.value)


# ---------------------------------------------------------------- HTTP
def test_http_routes_path_params_and_errors(reference, backend, monkeypatch):
    out, deployment = reference
    client = client_for(out, deployment, "api", monkeypatch)
    created = client.post("/photos", data=b"\xff\xd8jpeg", headers={"content-type": "image/jpeg"})
    assert created.status_code == 201
    key = created.get_json()["key"]
    assert key.startswith("uploads/") and backend.objects[("photos", key)] == b"\xff\xd8jpeg"
    got = client.get("/photos/42?x=1&x=2")
    assert got.status_code == 200 and got.get_json() == {"id": "42"}
    assert client.get("/nothing-here").status_code == 404
    assert client.delete("/photos").status_code == 405


def test_workflow_steps_json_in_json_out_and_error_bodies(reference, backend, monkeypatch):
    out, deployment = reference
    client = client_for(out, deployment, "charge-card", monkeypatch)
    ok = client.post("/", json={"id": "o1", "amount": 10})
    assert ok.status_code == 200 and ok.get_json() == {"charged": 10, "id": "o1"}
    declined = client.post("/", json={"id": "o1", "amount": 9000})
    assert declined.status_code == 500
    assert declined.get_json() == {"error": "PaymentDeclined", "cause": "card refused"}
    assert declined.headers["x-slsn-error"] == "PaymentDeclined"
    broken = client.post("/", json={"id": "o1"})  # KeyError in the handler -> TaskFailed
    assert broken.status_code == 500 and broken.get_json()["error"] == "TaskFailed"
    client = client_for(out, deployment, "validate-order", monkeypatch)
    invalid = client.post("/", json={"order": {"id": 1}})
    assert invalid.get_json()["error"] == "InvalidOrder"


def test_workflow_starter_answers_202_with_an_execution(reference, backend, monkeypatch):
    out, deployment = reference
    client = client_for(out, deployment, "process-order", monkeypatch, starter=True)
    reply = client.post("/orders", json={"order": {"id": "o9", "amount": 5}}, headers={"x-correlation-id": "c-9"})
    assert reply.status_code == 202 and reply.get_json()["execution_id"].endswith("/executions/e1")
    workflow, state = backend.started[0]
    assert workflow == "process-order" and state["_slsn"]["correlation_id"] == "c-9"
    assert state["order"] == {"id": "o9", "amount": 5}


# ---------------------------------------------------------------- CloudEvents
@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_storage_events_filtered_by_prefix_and_suffix(reference, backend, monkeypatch, mode):
    out, deployment = reference
    client = client_for(out, deployment, "on-upload", monkeypatch)
    bucket = deployment["buckets"] and next(iter(deployment["buckets"]))

    def storage_event(name):
        return CloudEvent({"type": "google.cloud.storage.object.v1.finalized",
                           "source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
                           "subject": f"objects/{name}", "id": f"id-{name}"},
                          {"bucket": bucket, "name": name, "size": "12", "etag": "e1"})

    assert post_event(client, storage_event("uploads/cat.jpg"), mode).status_code == 200
    kinds = [(kind, name, json.loads(body)) for kind, name, body, _ in backend.sent]
    assert kinds == [("queue", "resize-jobs", {"bucket": "photos", "key": "uploads/cat.jpg"}),
                     ("topic", "photo-events", {"uploaded": "uploads/cat.jpg"})]
    backend.sent.clear()
    for ignored in ("other/cat.jpg", "uploads/cat.png"):
        assert post_event(client, storage_event(ignored), mode).status_code == 200
    assert backend.sent == []


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_topic_messages_decode_base64_and_carry_the_correlation_id(reference, backend, monkeypatch, capfd, mode):
    out, deployment = reference
    client = client_for(out, deployment, "audit", monkeypatch)
    topic = next(t["path"] for t in deployment["topics"].values() if t["neutral"] == "photo-events")
    event = CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished",
                        "source": f"//pubsub.googleapis.com/{topic}", "id": "m-1"},
                       {"message": {"data": b64json({"uploaded": "a.jpg"}), "messageId": "m-1",
                                    "attributes": {"slsn-correlation-id": "corr-42"}},
                        "subscription": "projects/my-project/subscriptions/eventarc-x"})
    assert post_event(client, event, mode).status_code == 200
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    audit = [line for line in lines if line.get("message") == "audit"]
    assert audit and audit[-1]["correlation_id"] == "corr-42"
    assert audit[-1]["data"] == {"uploaded": "a.jpg"} and audit[-1]["event_type"] == "sls.topic.message"


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_schedule_ticks_from_the_scheduler_topic(reference, backend, monkeypatch, capfd, mode):
    out, deployment = reference
    client = client_for(out, deployment, "cleanup", monkeypatch)
    job = next(iter(deployment["scheduler_jobs"].values()))
    assert job["schedule"] == "0 3 * * *" and job["time_zone"] == "UTC"
    topic = job["pubsub_target"]["topic_name"]
    event = CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished",
                        "source": f"//pubsub.googleapis.com/{topic}", "id": "t-1",
                        "time": "2026-01-01T03:00:00Z"},
                       {"message": {"data": job["pubsub_target"]["data"], "messageId": "t-1",
                                    "publishTime": "2026-01-01T03:00:00Z"}})
    assert post_event(client, event, mode).status_code == 200
    assert "cleanup tick" in capfd.readouterr().err


def test_queue_push_acks_on_return_and_nacks_on_raise(reference, backend, monkeypatch):
    out, deployment = reference
    client = client_for(out, deployment, "resize", monkeypatch)
    backend.objects[("photos", "uploads/cat.jpg")] = b"x" * 2000
    push = {"message": {"data": b64json({"bucket": "photos", "key": "uploads/cat.jpg"}), "messageId": "q-1",
                        "attributes": {"slsn-correlation-id": "c-q"}},
            "subscription": "projects/my-project/subscriptions/photo-app-dev-queue-resize-jobs"}
    assert client.post("/", json=push).status_code == 200  # ack
    assert backend.objects[("photos", "thumbs/cat.jpg")] == b"x" * 1024
    push["message"]["data"] = b64json({"bucket": "photos", "key": "uploads/missing.jpg"})
    assert client.post("/", json=push).status_code == 500  # nack: Pub/Sub redelivers, then dead-letters
    push["message"]["attributes"]["slsn-not-before"] = str(time.time() + 3600)
    push["message"]["data"] = b64json({"bucket": "photos", "key": "uploads/cat.jpg"})
    assert client.post("/", json=push).status_code == 500  # delayed: nacked until due


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_queue_consumer_accepts_cloudevents_too(reference, backend, monkeypatch, mode):
    out, deployment = reference
    client = client_for(out, deployment, "resize", monkeypatch)
    backend.objects[("photos", "a/b.jpg")] = b"abc"
    topic = next(t["path"] for t in deployment["topics"].values() if t["neutral"] == "resize-jobs")
    event = CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished",
                        "source": f"//pubsub.googleapis.com/{topic}", "id": "q-2"},
                       {"message": {"data": b64json({"key": "a/b.jpg"}), "messageId": "q-2"}})
    assert post_event(client, event, mode).status_code == 200
    assert backend.objects[("photos", "thumbs/b.jpg")] == b"abc"


# ---------------------------------------------------------------- every example, one real server
def _examples() -> list[str]:
    return sorted(p.parent.name for p in EXAMPLES.glob("*/sls-neutral.yaml"))


class Probe:
    """Wraps each loaded user handler (dispatch.load_handler): what the adapter handed it, and how it ended."""

    def __init__(self, monkeypatch):
        from sls_neutral.runtime import dispatch

        self.calls: list[dict] = []
        real = dispatch.load_handler

        def load(spec):
            handler = real(spec)

            def probed(obj, ctx):
                call = {"spec": spec, "obj": obj}
                self.calls.append(call)
                try:
                    call["returned"] = handler(obj, ctx)
                except BaseException as exc:
                    call["raised"] = exc
                    raise
                return call["returned"]

            return probed

        monkeypatch.setattr(dispatch, "load_handler", load)

    def take(self) -> dict:
        assert len(self.calls) == 1, f"the handler ran {len(self.calls)} times"
        return self.calls.pop()


class SeededBackend(RecordingBackend):
    """Objects a handler reads exist (a small JSON document) unless it deleted them."""

    def bucket_get(self, bucket, key):
        return self.objects.get((bucket, key), b"{}")


def _concrete(path: str) -> tuple[str, dict[str, str]]:
    params, parts = {}, []
    for seg in path.strip("/").split("/"):
        if seg.startswith("{"):
            name = seg.strip("{}+")
            params[name] = "a/b" if seg.endswith("+}") else "x1"
            parts.append(params[name])
        else:
            parts.append(seg)
    return "/" + "/".join(parts), params


def _answer_matches(reply, call) -> None:
    """The HTTP answer is what the handler's outcome means on Cloud Functions."""
    from sls_neutral.runtime import Response

    if "raised" in call:
        assert reply.status_code >= 500, (reply.status_code, call)
    else:
        expected = Response.from_return(call["returned"])
        assert reply.status_code == expected.status and reply.get_data() == expected.body_bytes()


# fields the examples' handlers read, so that most of them run to the end
PAYLOAD = {"probe": 1, "email": "p@example.com", "bucket": "photos", "key": "uploads/probe.jpg", "id": "o1",
           "amount": 5, "status": "CONFIRMED", "thumbnail": "thumbs/probe.jpg", "items": [],
           "order": {"id": "o1", "amount": 5, "items": []}}


def _message(data, attributes=None) -> dict:
    return {"data": b64json(data), "messageId": "probe-1", "publishTime": "2026-01-01T00:00:00Z",
            "attributes": {"slsn-correlation-id": "corr-probe", **(attributes or {})}}


@pytest.mark.parametrize("example", _examples())
def test_every_function_of_every_example_answers_http_and_cloudevents(example, tmp_path, monkeypatch):
    """Each generated function of the example, served by functions-framework (create_app + test_client) with
    its unchanged handler: every HTTP route, workflow step and starter answers a real request, and every event
    function gets its CloudEvent in binary and structured mode (queue consumers also the Pub/Sub push body).
    The probe checks what reached the handler; the reply must be what the handler's outcome means."""
    from sls_neutral.core import ir
    from sls_neutral.core.errors import SlsnError

    try:
        app, deployment = build(EXAMPLES / example, tmp_path,
                                without_workflow_yaml=not workflows_compiler_present())
    except SlsnError as exc:
        pytest.skip(f"examples/{example} does not build for gcp: {exc}")
    backend = SeededBackend()
    install_backend(backend)
    probe = Probe(monkeypatch)
    physical_bucket = {spec["bucket"]: name for name, spec in deployment["buckets"].items()}
    jobs = {job["pubsub_target"]["topic_name"]: job for job in deployment["scheduler_jobs"].values()}
    delivered = set()
    try:
        for unit, spec in sorted(deployment["functions"].items()):
            owner = spec.get("function") or spec["workflow"]
            client = serve(monkeypatch, tmp_path, deployment, unit).test_client()
            kind = spec["kind"]
            if kind == "starter":
                for trigger in app.workflows[owner].triggers:
                    if isinstance(trigger, ir.HttpTrigger):
                        path, _ = _concrete(trigger.path)
                        method = "POST" if trigger.method == "ANY" else trigger.method
                        reply = client.open(path, method=method, json={"probe": True})
                        assert reply.status_code == 202, (unit, reply.get_data())
                        assert backend.started[-1][0] == owner and backend.started[-1][1]["probe"] is True
                        delivered.add((unit, "http"))
                continue
            fn = app.functions[owner]
            if kind == "http":
                for trigger in fn.triggers:
                    if not isinstance(trigger, ir.HttpTrigger):
                        continue
                    path, params = _concrete(trigger.path)
                    method = "POST" if trigger.method == "ANY" else trigger.method
                    body = {"json": {"name": "probe", "email": "p@example.com"}} \
                        if method in ("POST", "PUT", "PATCH") else {}
                    reply = client.open(path + "?probe=1", method=method, headers={"x-correlation-id": "c-h"},
                                        **body)
                    call = probe.take()
                    request = call["obj"]
                    assert (request.method, request.path, request.path_params) == (method, path, params), unit
                    assert request.route == f"{trigger.method} {trigger.path}" and request.query == {"probe": ["1"]}
                    _answer_matches(reply, call)
                    delivered.add((unit, "http"))
            elif kind == "step":
                reply = client.post("/", json={**PAYLOAD, "_slsn": {"correlation_id": "c-s"}})
                call = probe.take()
                assert call["obj"]["order"] == PAYLOAD["order"]
                if "raised" in call:
                    assert reply.status_code == 500 and set(reply.get_json()) == {"error", "cause"}
                else:
                    assert reply.status_code == 200 and reply.get_json() == json.loads(json.dumps(call["returned"]))
                delivered.add((unit, "step"))
            else:
                if kind in ("topic", "schedule"):
                    topic = spec["event_trigger"]["pubsub_topic"]
                    job = jobs.get(topic)
                    payload = _message(PAYLOAD) if job is None else {
                        "data": job["pubsub_target"]["data"], "messageId": "probe-1",
                        "attributes": job["pubsub_target"].get("attributes") or {}}
                    attributes = {"type": "google.cloud.pubsub.topic.v1.messagePublished",
                                  "source": f"//pubsub.googleapis.com/{topic}", "id": "probe-1",
                                  "time": "2026-01-01T00:00:00Z"}
                    data = {"message": payload, "subscription": "projects/p/subscriptions/eventarc-probe"}
                    want = ("sls.schedule.tick" if job else "sls.topic.message", None if job else PAYLOAD)
                elif kind == "bucket":
                    trigger = next(t for t in fn.triggers if isinstance(t, ir.BucketTrigger)
                                   and physical_bucket[t.bucket] in json.dumps(spec["event_trigger"]))
                    event_type = spec["event_trigger"]["event_type"]
                    key = f"{trigger.prefix or ''}probe{trigger.suffix or '.txt'}"
                    bucket = physical_bucket[trigger.bucket]
                    attributes = {"type": event_type, "id": "probe-1", "subject": f"objects/{key}",
                                  "source": f"//storage.googleapis.com/projects/_/buckets/{bucket}"}
                    data = {"bucket": bucket, "name": key, "size": "2", "etag": "e"}
                    created = event_type.endswith("finalized")
                    want = ("sls.bucket.object.created" if created else "sls.bucket.object.deleted",
                            {"bucket": trigger.bucket, "key": key, "size": 2, "etag": "e"})
                elif kind == "queue":
                    # the queue's own subscription, and one per topic that fans out into the queue
                    subscriptions = [s for s in deployment["subscriptions"].values()
                                     if (s.get("push_config") or {}).get("push_endpoint", "").endswith("/" + unit)]
                    assert subscriptions, unit
                    for subscription in subscriptions:
                        push = {"message": _message(PAYLOAD), "subscription": subscription["path"]}
                        reply = client.post("/", json=push)
                        call = probe.take()
                        assert (call["obj"].type, call["obj"].data) == ("sls.queue.message", PAYLOAD), unit
                        assert call["obj"].subject == subscription["queue"]
                        assert reply.status_code == (500 if "raised" in call else 200)
                    attributes = {"type": "google.cloud.pubsub.topic.v1.messagePublished", "id": "probe-2",
                                  "source": f"//pubsub.googleapis.com/{subscriptions[0]['topic']}"}
                    data = {"message": _message(PAYLOAD)}
                    want = ("sls.queue.message", PAYLOAD)
                    delivered.add((unit, "push"))
                else:
                    raise AssertionError(f"unit {unit} of kind {kind} is not exercised")
                for mode in ("binary", "structured"):
                    reply = post_event(client, CloudEvent(attributes, data), mode)
                    call = probe.take()
                    event = call["obj"]
                    assert event.type == want[0], (unit, mode)
                    if want[1] is not None:
                        assert event.data == want[1], (unit, mode)
                    assert reply.status_code == (500 if "raised" in call else 200), (unit, mode, call)
                    delivered.add((unit, mode))
    finally:
        install_backend(None)
    units = {u for u, s in deployment["functions"].items()}
    assert {u for u, _ in delivered} == units  # every generated function answered
    assert not probe.calls


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_one_real_functions_framework_server_answers_http(reference, tmp_path):
    out, deployment = reference
    name, spec = unit(deployment, "api")
    port = _free_port()
    script = Path(sys.executable).with_name("functions-framework")
    folder = unzipped(out, spec["build"]["source"])
    env = process_env(deployment, name, folder)
    where = subprocess.run([sys.executable, "-c", "import sls_neutral.runtime.adapters.gcp as m; print(m.__file__)"],
                           env=env, cwd=folder, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).resolve().is_relative_to(folder.resolve())
    proc = subprocess.Popen([str(script), "--target", "http_entry", "--source", str(folder / "main.py"),
                             "--host", "127.0.0.1", "--port", str(port)], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/photos/7", timeout=2) as reply:
                    assert reply.status == 200 and json.loads(reply.read()) == {"id": "7"}
                    break
            except (ConnectionError, OSError):
                if proc.poll() is not None or time.time() > deadline:
                    raise AssertionError(proc.stderr.read().decode() if proc.poll() is not None else "timeout")
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_one_real_functions_framework_server_answers_cloudevents(reference):
    """The topic consumer served by a functions-framework process on 127.0.0.1: binary and structured
    CloudEvents over real HTTP reach the unchanged handler (audit.py logs; it touches no cloud resource)."""
    out, deployment = reference
    name, spec = unit(deployment, "audit")
    topic = spec["event_trigger"]["pubsub_topic"]
    port = _free_port()
    folder = unzipped(out, spec["build"]["source"])
    env = process_env(deployment, name, folder)
    script = Path(sys.executable).with_name("functions-framework")
    proc = subprocess.Popen([str(script), "--target", spec["build"]["entry_point"], "--source",
                             str(folder / "main.py"), "--host", "127.0.0.1", "--port", str(port)], cwd=folder,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    statuses = []
    try:
        for mode in ("binary", "structured"):
            event = CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished", "id": f"m-{mode}",
                                "source": f"//pubsub.googleapis.com/{topic}"},
                               {"message": {"data": b64json({"mode": mode}), "messageId": f"m-{mode}",
                                            "attributes": {"slsn-correlation-id": f"corr-{mode}"}}})
            headers, body = to_binary(event) if mode == "binary" else to_structured(event)
            request = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body, headers=headers, method="POST")
            deadline = time.time() + 30
            while True:
                try:
                    with urllib.request.urlopen(request, timeout=5) as reply:
                        statuses.append(reply.status)
                        break
                except urllib.error.HTTPError:
                    raise
                except (ConnectionError, OSError):
                    if proc.poll() is not None or time.time() > deadline:
                        raise AssertionError(proc.stderr.read().decode() if proc.poll() is not None else "timeout")
                    time.sleep(0.2)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert statuses == [200, 200]
    lines = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    audits = {line["correlation_id"]: line["data"] for line in lines if line.get("message") == "audit"}
    assert audits == {"corr-binary": {"mode": "binary"}, "corr-structured": {"mode": "structured"}}


# ---------------------------------------------------------------- other examples, end to end through the framework
def test_http_api_crud_and_cors_preflight(tmp_path, backend, monkeypatch):
    _, deployment = build(EXAMPLES / "http-api", tmp_path)
    client = client_for(tmp_path, deployment, "items", monkeypatch)
    created = client.post("/items", json={"name": "pen"})
    assert created.status_code == 201 and created.headers["location"].startswith("/items/")
    assert created.headers["access-control-allow-origin"] == "*"  # cors: true on this route
    item = created.get_json()["id"]
    assert client.get(f"/items/{item}").get_json() == {"name": "pen"}
    assert client.put(f"/items/{item}", json={"name": "ink"}).status_code == 200
    assert client.get("/items?limit=5").get_json() == {"items": [item]}
    assert client.delete(f"/items/{item}").status_code == 204
    assert client.get(f"/items/{item}").status_code == 404
    preflight = client.options("/items")
    assert preflight.status_code == 204 and "POST" in preflight.headers["access-control-allow-methods"]


def test_fan_out_publish_then_deliver_to_topic_and_queue_subscribers(tmp_path, backend, monkeypatch):
    _, deployment = build(EXAMPLES / "fan-out", tmp_path)
    client = client_for(tmp_path, deployment, "signup", monkeypatch)
    reply = client.post("/signups", json={"email": "ada@example.com"}, headers={"x-correlation-id": "c-1"})
    assert reply.status_code == 202
    [(kind, name, body, attributes)] = backend.sent
    assert (kind, name) == ("topic", "signups") and attributes["slsn-correlation-id"] == "c-1"
    topic = next(t["path"] for t in deployment["topics"].values() if t["neutral"] == "signups")
    message = {"data": base64.b64encode(body).decode(), "messageId": "p-1", "attributes": attributes}
    event = CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished",
                        "source": f"//pubsub.googleapis.com/{topic}", "id": "p-1"}, {"message": message})
    client = client_for(tmp_path, deployment, "crm-sync", monkeypatch)
    assert post_event(client, event, "binary").status_code == 200
    assert json.loads(backend.objects[("crm", "contacts/ada@example.com.json")]) == {"email": "ada@example.com",
                                                                                      "name": ""}
    subscription = next(s for s in deployment["subscriptions"].values() if s["topic"] == topic)
    client = client_for(tmp_path, deployment, "send-welcome", monkeypatch)
    push = {"message": message, "subscription": subscription["path"]}
    assert client.post("/", json=push).status_code == 200
    assert backend.objects[("crm", "welcomed/ada@example.com")] == b"sent"
