"""Unit tests of the Azure adapter's conversions (no network: backends are replaced by in-memory fakes)."""

from __future__ import annotations

import json

import pytest

from sls_neutral.runtime.adapters import azure as adapter

CONFIG = {"format": 1, "service": "svc", "stage": "dev", "workflows": [],
          "functions": {"api": {"handler": "json:dumps", "grants": ["secret:stripe-key:read"], "group": "API",
                                "timeout_ms": 5000, "secret_env": {"SLSN_TEST_STRIPE": "stripe-key"},
                                "resources": {"secret:stripe-key": "stripe-key"}}},
          "queues": {}, "retention_s": {}}


class MemoryBackend(adapter.AzureBackend):
    def __init__(self):
        super().__init__("API", env={})
        self.reads = []

    def secret_read(self, name):
        self.reads.append(name)
        return "s3cr3t"


@pytest.fixture
def configured(monkeypatch):
    adapter.reset_config(json.loads(json.dumps(CONFIG)))
    backend = MemoryBackend()
    monkeypatch.setitem(adapter._backends, "API", backend)
    monkeypatch.delenv("SLSN_TEST_STRIPE", raising=False)
    adapter._secrets_done.clear()
    yield backend
    adapter.reset_config(None)
    adapter._secrets_done.clear()


def test_secret_environment_is_filled_once_at_first_use(configured, monkeypatch):
    import os

    handler = adapter._handler("api")
    assert handler is json.dumps
    assert os.environ["SLSN_TEST_STRIPE"] == "s3cr3t"
    adapter._handler("api")
    assert configured.reads == ["stripe-key"]
    monkeypatch.delenv("SLSN_TEST_STRIPE")


def test_function_env_follows_the_contract(configured):
    env = adapter.function_env("api")
    assert env["SLSN_PROVIDER"] == "azure" and env["SLSN_FUNCTION"] == "api"
    assert env["SLSN_GRANTS"] == "secret:stripe-key:read"
    assert json.loads(env["SLSN_RESOURCES"]) == {"secret:stripe-key": "stripe-key"}
    ctx = adapter._context("api", "req-1", "corr-1")
    assert (ctx.request_id, ctx.function_name, ctx.correlation_id) == ("req-1", "api", "corr-1")
    assert 0 < ctx.remaining_time_ms() <= 5000


@pytest.mark.parametrize("body,attributes", [(b'{"a": 1}', {}), (b"plain", {"slsn-correlation-id": "c"}),
                                             (b"\xff\x00binary", {}), (b"\xff", {"k": "v"})])
def test_queue_envelope_round_trip(body, attributes):
    text = adapter.wrap_body(body, attributes)
    assert adapter.unwrap_body(text.encode()) == (body, attributes)


def test_foreign_messages_pass_through():
    assert adapter.unwrap_body(b'{"hello": "world"}') == (b'{"hello": "world"}', {})
    assert adapter.decode_data(b'{"hello": "world"}') == {"hello": "world"}
    assert adapter.decode_data(b"just text") == "just text"


def test_service_bus_and_event_grid_conversions(configured):
    import datetime as dt

    import azure.functions as func

    msg = func.ServiceBusMessage(body=b'{"uploaded": "a.jpg"}')
    event, _ = adapter.service_bus_event(msg, "topic", "photo-events")
    assert event.type == "sls.topic.message" and event.data == {"uploaded": "a.jpg"}
    grid = func.EventGridEvent(id="e1", data={"contentLength": 12, "eTag": '"0x1"'}, topic="t",
                               subject="/blobServices/default/containers/photos/blobs/in/x.jpg",
                               event_type="Microsoft.Storage.BlobDeleted",
                               event_time=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), data_version="1")
    event = adapter.blob_event_from_event_grid(grid, "photos")
    assert event.type == "sls.bucket.object.deleted" and event.subject == "in/x.jpg"
    assert event.data == {"bucket": "photos", "key": "in/x.jpg", "size": 12, "etag": "0x1"}
    assert event.time == "2026-01-01T00:00:00Z"


def test_http_request_conversion_keeps_repeated_query_values(configured):
    import azure.functions as func

    req = func.HttpRequest("GET", "https://x.example/photos/42?tag=a&tag=b", headers={"X-Trace": "t"},
                           route_params={"id": "42"}, body=b"")
    request = adapter.to_request(req, "/photos/{id}")
    assert request.path == "/photos/42" and request.path_params == {"id": "42"}
    assert request.query == {"tag": ["a", "b"]} and request.headers.get("x-trace") == "t"
    assert request.route == "/photos/{id}"
