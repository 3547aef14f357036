"""The main job: `sls-neutral deploy --detach` of examples/photo-pipeline, driven through HTTP.

Every stage is observed: original in the bucket, bucket trigger -> resize job, thumbnail written, both
photo-events subscribers ran (their objects and log lines), and a poisoned photo lands in the DLQ after
max_receives (3).
"""

import json

import pytest

from sls_neutral.providers.local.store import LocalStore

from local_helpers import http, state_dir, wait_for

pytestmark = [pytest.mark.functional]
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20


def test_photo_pipeline_end_to_end(service_copy, deployed, cli):
    root = service_copy("photo-pipeline")
    port, result = deployed(root)
    assert f"http://127.0.0.1:{port}" in result.stdout

    status, body = http(port, "POST", "/photos", body=JPEG, headers={"content-type": "image/jpeg"})
    assert status == 201, body
    photo_id = json.loads(body)["id"]
    bucket = state_dir(root) / "buckets" / "photos"
    assert (bucket / "uploads" / f"{photo_id}.jpg").read_bytes() == JPEG

    def done():
        status, body = http(port, "GET", f"/photos/{photo_id}")
        return status == 200 and json.loads(body)["done"] and json.loads(body)
    final = wait_for(done, 30, what="every stage of the pipeline")
    assert final == {"id": photo_id, "uploaded": True, "thumbnail": True, "audited": True, "notified": True,
                     "done": True}
    assert (bucket / "thumbs" / f"{photo_id}.jpg").read_bytes() == JPEG[:1024]
    audit = json.loads((bucket / "audit" / f"{photo_id}.json").read_text())
    assert audit["thumbnail"] == f"thumbs/{photo_id}.jpg"
    notification = json.loads((bucket / "notifications" / f"{photo_id}.json").read_text())
    assert notification["text"] == f"your photo {photo_id} is ready"

    # Each function logged its invocation; `logs` reads the same files.
    for function in ("api", "on-upload", "resize", "audit", "notify"):
        out = cli("logs", function, "--output", "json", cwd=root)
        assert out.returncode == 0, out.stderr
        assert any('"outcome": "ok"' in line for line in json.loads(out.stdout)), function

    # A poisoned upload (not a JPEG) fails in resize 3 times, then sits in the dead-letter queue.
    status, body = http(port, "POST", "/photos", body=b"not a jpeg at all")
    poisoned = json.loads(body)["id"]
    store = LocalStore(state_dir(root))
    dead = wait_for(lambda: store.peek("resize-jobs-dlq"), 30, what="the poisoned job in resize-jobs-dlq")
    assert json.loads(dead[0]["body"])["id"] == poisoned and dead[0]["receive_count"] == 3
    assert store.depth("resize-jobs")["total"] == 0
    status, body = http(port, "GET", f"/photos/{poisoned}")
    assert json.loads(body)["thumbnail"] is False
    failures = [json.loads(l) for l in (state_dir(root) / "logs" / "resize.log").read_text().splitlines()
                if '"failed"' in l]
    assert len(failures) == 3 and "is not a JPEG" in failures[-1]["cause"]

    info = cli("info", "--output", "json", cwd=root)
    data = json.loads(info.stdout)
    assert data["status"] == "running"
    assert {r["url"] for r in data["routes"]} == {f"http://127.0.0.1:{port}/photos",
                                                 f"http://127.0.0.1:{port}/photos/{{id}}"}
    dlq = next(q for q in data["queues"] if q["name"] == "resize-jobs-dlq")
    assert dlq["depth"]["total"] == 1

    removed = cli("remove", cwd=root)
    assert removed.returncode == 0 and "stopped" in removed.stdout
    assert not state_dir(root).exists()
    with pytest.raises(OSError):
        http(port, "GET", f"/photos/{photo_id}", timeout=2)
