"""The adapter's queue and blob paths against Azurite (the real Storage emulator, started on 127.0.0.1).

Skips with the reason when node/npm are absent or Azurite cannot be installed into tests/.cache/azurite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.functional, pytest.mark.conformance]


def needs_runtime() -> None:
    import sls_neutral.runtime as runtime

    if not hasattr(runtime, "Event"):
        pytest.skip("the neutral runtime (sls_neutral.runtime.Event) is not installed yet")


@pytest.fixture
def storage(azurite):
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueServiceClient

    blobs = BlobServiceClient.from_connection_string(azurite)
    queues = QueueServiceClient.from_connection_string(azurite)
    suffix = os.urandom(3).hex()
    names = {"container": f"photos{suffix}", "queue": f"jobs{suffix}", "start": f"slsn-start-wf{suffix}"}
    blobs.create_container(names["container"])
    queues.create_queue(names["queue"])
    queues.create_queue(names["start"])
    return blobs, queues, names


@pytest.fixture
def backend(azurite, storage):
    from sls_neutral.runtime.adapters import azure as adapter

    _, _, names = storage
    adapter.reset_config({
        "format": 1, "service": "photo-app", "stage": "dev", "workflows": ["wf"],
        "functions": {"api": {"handler": "src.api:handle", "grants": [], "group": "API", "timeout_ms": 10000,
                              "secret_env": {}, "resources": {"bucket:photos": names["container"],
                                                              "queue:jobs": f"storage:{names['queue']}",
                                                              "workflow:wf": names["start"]}}},
        "queues": {"jobs": {"physical": names["queue"], "service_bus": False, "fifo": False}},
        "retention_s": {"jobs": 345600}})
    yield adapter.AzureBackend("API", env={"SLSN_AZURE_STORAGE_CONNECTION_STRING": azurite,
                                           "SLSN_AZURE_HOST_STORAGE_CONNECTION_STRING": azurite})
    adapter.reset_config(None)


def test_bucket_operations_on_blob_storage(backend, storage):
    blobs, _, names = storage
    backend.bucket_put("photos", "uploads/a.jpg", b"\xff\xd8jpeg", "image/jpeg")
    backend.bucket_put("photos", "other/b.txt", b"text", None)
    assert backend.bucket_get("photos", "uploads/a.jpg") == b"\xff\xd8jpeg"
    props = blobs.get_blob_client(names["container"], "uploads/a.jpg").get_blob_properties()
    assert props.content_settings.content_type == "image/jpeg"
    assert backend.bucket_list("photos", "uploads/") == ["uploads/a.jpg"]
    assert backend.bucket_list("photos", "") == ["other/b.txt", "uploads/a.jpg"]
    backend.bucket_delete("photos", "uploads/a.jpg")
    backend.bucket_delete("photos", "uploads/a.jpg")  # deleting twice is fine
    assert backend.bucket_list("photos", "uploads/") == []
    runtime = pytest.importorskip("sls_neutral.runtime")
    if not hasattr(runtime, "NotFound"):
        pytest.skip("the neutral runtime's NotFound is not installed yet")
    with pytest.raises(runtime.NotFound):
        backend.bucket_get("photos", "uploads/a.jpg")


def test_queue_send_carries_attributes_and_delay(backend, storage):
    import azure.functions as func

    from sls_neutral.runtime.adapters import azure as adapter

    needs_runtime()
    _, queues, names = storage
    client = queues.get_queue_client(names["queue"])
    message_id = backend.queue_send("jobs", b'{"key": "uploads/a.jpg"}', 0, {"slsn-correlation-id": "corr-1"})
    delayed = backend.queue_send("jobs", b"later", 60, {})
    assert message_id and delayed
    visible = list(client.receive_messages(max_messages=10, visibility_timeout=5))
    assert [m.id for m in visible] == [message_id]  # the delayed one stays invisible
    raw = visible[0].content
    body, attributes = adapter.unwrap_body(raw.encode())
    assert json.loads(body) == {"key": "uploads/a.jpg"} and attributes == {"slsn-correlation-id": "corr-1"}
    # what the queue trigger hands to the adapter: the same text, as func.QueueMessage
    event, correlation = adapter.queue_event(func.QueueMessage(id=visible[0].id, body=raw.encode()), "jobs")
    assert event.type == "sls.queue.message" and event.data == {"key": "uploads/a.jpg"}
    assert correlation == "corr-1"


def test_workflow_start_enqueues_on_the_start_queue(backend, storage):
    _, queues, names = storage
    instance = backend.workflow_start("wf", {"order": {"id": 1}})
    message = next(iter(queues.get_queue_client(names["start"]).receive_messages(max_messages=1)))
    assert json.loads(message.content) == {"instance_id": instance, "input": {"order": {"id": 1}}}


def test_blob_trigger_stream_becomes_a_bucket_event(backend, storage):
    import azure.functions as func

    from sls_neutral.runtime.adapters import azure as adapter

    needs_runtime()
    blobs, _, names = storage
    backend.bucket_put("photos", "uploads/c.jpg", b"12345", "image/jpeg")
    props = blobs.get_blob_client(names["container"], "uploads/c.jpg").get_blob_properties()
    stream = func.blob.InputStream(name=f"{names['container']}/uploads/c.jpg", length=props.size, data=b"12345",
                              uri="http://127.0.0.1/x", blob_properties={"ETag": props.etag})
    event = adapter.blob_event_from_stream(stream, "photos")
    assert event.type == "sls.bucket.object.created" and event.subject == "uploads/c.jpg"
    assert event.data == {"bucket": "photos", "key": "uploads/c.jpg", "size": 5, "etag": props.etag.strip('"')}


E2E_SCRIPT = r"""
import json, sys
sys.path.insert(0, ".")
import azure.functions as func
import function_app
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient
conn = sys.argv[1]
blobs = BlobServiceClient.from_connection_string(conn)
queues = QueueServiceClient.from_connection_string(conn)
for name in ("photos",):
    try: blobs.create_container(name)
    except Exception: pass
try: queues.create_queue("resize-jobs")
except Exception: pass
blobs.get_blob_client("photos", "uploads/a.jpg").upload_blob(b"x" * 4000, overwrite=True)
functions = {f.get_function_name(): f.get_user_function() for f in function_app.app.get_functions()}
out = {}
functions["resize"](func.QueueMessage(id="m-1", body=b'{"bucket": "photos", "key": "uploads/a.jpg"}'))
out["thumb"] = len(blobs.get_blob_client("photos", "thumbs/a.jpg").download_blob().readall())
try:
    functions["on-upload"](func.blob.InputStream(name="photos/uploads/a.jpg", length=4000, data=b"x" * 4000))
    out["upload"] = "ok"
except Exception as exc:
    out["upload"] = type(exc).__name__
msgs = list(queues.get_queue_client("resize-jobs").receive_messages(max_messages=5))
out["queued"] = [m.content for m in msgs]
print(json.dumps(out))
"""


def test_queue_and_blob_functions_run_end_to_end(cli, small_service, tmp_path, azurite):
    try:
        from sls_neutral.runtime import dispatch  # noqa: F401
    except ImportError:
        pytest.skip("the neutral runtime (sls_neutral.runtime.dispatch) is not installed yet")
    result = cli("package", "-p", "azure", "-o", str(tmp_path / "out"), cwd=small_service)
    assert result.returncode == 0, result.stderr
    env = {**os.environ, "SLSN_AZURE_STORAGE_CONNECTION_STRING": azurite,
           "SLSN_AZURE_HOST_STORAGE_CONNECTION_STRING": azurite}
    run = subprocess.run([sys.executable, "-c", E2E_SCRIPT, azurite], cwd=tmp_path / "out" / "app",
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["thumb"] == 1024  # resize.py keeps the first KiB
    # meta.on_upload sends to resize-jobs, then publishes to a topic this function has no grant for
    assert out["upload"] == "PermissionDenied"
    from sls_neutral.runtime.adapters.azure import unwrap_body

    bodies = [json.loads(unwrap_body(m.encode())[0]) for m in out["queued"]]
    assert {"bucket": "photos", "key": "uploads/a.jpg"} in bodies
