"""The GCP Backend with the real google-cloud clients (storage JSON API, Secret Manager over REST)
against the fake control plane's data-plane routes (tests/fakes/gcp_control_plane.py - not GCP)."""

from __future__ import annotations

import json

import pytest

from sls_neutral.runtime.adapters.gcp import NOT_BEFORE_ATTRIBUTE, GcpBackend


@pytest.fixture
def backend(fake_gcp):
    state = fake_gcp.state
    state.buckets["p-photos"] = {"name": "p-photos"}
    state.topics["projects/p/topics/q"] = {"name": "projects/p/topics/q"}
    state.topics["projects/p/topics/t"] = {"name": "projects/p/topics/t"}
    state.secret_values["projects/p/secrets/svc-dev-key"] = b"s3cr3t"
    env = {"SLSN_GCP_ENDPOINT_URL": fake_gcp.url, "SLSN_GCP_PROJECT": "p",
           "SLSN_RESOURCES": json.dumps({"bucket:photos": "p-photos", "queue:jobs": "projects/p/topics/q",
                                         "topic:events": "projects/p/topics/t",
                                         "secret:key": "projects/p/secrets/svc-dev-key"})}
    return GcpBackend(env=env)


def test_bucket_operations_through_the_storage_client(backend, fake_gcp):
    from sls_neutral.runtime import NotFound

    backend.bucket_put("photos", "in/a b.jpg", b"\xff\xd8data", "image/jpeg")
    backend.bucket_put("photos", "in/c.jpg", b"c", None)
    assert fake_gcp.state.objects[("p-photos", "in/a b.jpg")] == (b"\xff\xd8data", "image/jpeg")
    assert backend.bucket_get("photos", "in/a b.jpg") == b"\xff\xd8data"
    assert backend.bucket_list("photos", "in/") == ["in/a b.jpg", "in/c.jpg"]
    backend.bucket_delete("photos", "in/c.jpg")
    backend.bucket_delete("photos", "in/never-there.jpg")  # idempotent
    assert backend.bucket_list("photos", "") == ["in/a b.jpg"]
    with pytest.raises(NotFound):
        backend.bucket_get("photos", "missing.jpg")


def test_secrets_through_the_rest_client(backend, fake_gcp):
    """Pub/Sub publishing is unit-tested with a stand-in publisher: its batching thread and this fake's
    HTTP/1.0 server do not always agree, so it is left out here rather than made flaky."""
    assert backend.secret_read("key") == "s3cr3t"
    assert ("GET", "/v1/projects/p/secrets/svc-dev-key/versions/latest:access") in fake_gcp.state.calls
