"""Unit tests of the GCP adapter's pure parts: routes, message decoding, storage filters, the Backend mapping."""

from __future__ import annotations

import base64
import json

import pytest

from sls_neutral.runtime.adapters import gcp

ROUTES = [{"method": "GET", "path": "/photos/{id}"}, {"method": "GET", "path": "/photos/latest"},
          {"method": "ANY", "path": "/files/{path+}"}, {"method": "POST", "path": "/photos"}]


def test_literal_beats_parameter_and_greedy_tails():
    route, params, _ = gcp.match_route(ROUTES, "GET", "/photos/latest")
    assert route["path"] == "/photos/latest" and params == {}
    route, params, _ = gcp.match_route(ROUTES, "GET", "/photos/42")
    assert params == {"id": "42"}
    route, params, _ = gcp.match_route(ROUTES, "DELETE", "/files/a/b/c.txt")
    assert params == {"path": "a/b/c.txt"}
    assert gcp.match_route(ROUTES, "PUT", "/photos") == (None, {}, True)  # path known: 405
    assert gcp.match_route(ROUTES, "GET", "/nope") == (None, {}, False)  # 404


def test_message_data_is_json_or_text():
    assert gcp.decode_data(b'{"a": 1}') == {"a": 1}
    assert gcp.decode_data(b"plain") == "plain"
    assert gcp.decode_data(b"\xff\xfe") == b"\xff\xfe"


class _Event(dict):
    def __init__(self, attributes, data):
        super().__init__(attributes)
        self.data = data


def storage_event(name, kind="finalized"):
    return _Event({"type": f"google.cloud.storage.object.v1.{kind}", "id": "e1", "subject": f"objects/{name}",
                   "source": "//storage.googleapis.com/projects/_/buckets/phys"},
                  {"bucket": "phys", "name": name, "size": "10", "etag": "t"})


CFG = {"buckets": [{"bucket": "phys", "name": "photos", "events": ["created"], "prefix": "in/", "suffix": ".jpg"}],
       "sources": {"projects/p/topics/t": {"kind": "topic", "name": "events"}}}


def test_storage_events_are_filtered_by_prefix_suffix_and_event_type():
    evt = gcp.bucket_event(storage_event("in/a.jpg"), CFG)
    assert evt.type == "sls.bucket.object.created" and evt.data == {"bucket": "photos", "key": "in/a.jpg",
                                                                     "size": 10, "etag": "t"}
    assert gcp.bucket_event(storage_event("out/a.jpg"), CFG) is None
    assert gcp.bucket_event(storage_event("in/a.png"), CFG) is None
    assert gcp.bucket_event(storage_event("in/a.jpg", "deleted"), CFG) is None


def test_pubsub_messages_and_topics():
    message = {"data": base64.b64encode(b'{"x": 1}').decode(), "messageId": "m", "attributes": {"k": "v"}}
    event = _Event({"type": gcp.PUBSUB_PUBLISHED, "source": "//pubsub.googleapis.com/projects/p/topics/t"},
                   {"message": message})
    got, topic = gcp.pubsub_message(event)
    assert topic == "projects/p/topics/t" and gcp.message_body(got) == b'{"x": 1}'
    with pytest.raises(ValueError):
        gcp.pubsub_message(_Event({"type": "x", "source": ""}, {"nope": 1}))


def test_early_delayed_messages_are_nacked():
    message = {"data": "", "messageId": "m", "attributes": {gcp.NOT_BEFORE_ATTRIBUTE: "99999999999"}}
    event = _Event({"type": gcp.PUBSUB_PUBLISHED, "source": ""}, {"message": message})
    with pytest.raises(gcp.NotYetDue):
        gcp.handle_queue(event, {"sources": {"projects/p/topics/q": {"kind": "queue", "name": "q"}}})


class _Future:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class _Publisher:
    def __init__(self):
        self.calls = []

    def publish(self, topic, data, ordering_key="", **attrs):
        self.calls.append((topic, data, ordering_key, attrs))
        return _Future("id-1")


def test_backend_maps_neutral_names_through_slsn_resources():
    publisher = _Publisher()
    env = {"SLSN_RESOURCES": json.dumps({"queue:jobs": "projects/p/topics/q", "topic:events": "projects/p/topics/t"})}
    backend = gcp.GcpBackend(env=env, clients={"publisher": publisher})
    assert backend.topic_publish("events", b"x", {"slsn-correlation-id": "c"}) == "id-1"
    backend.queue_send("jobs", b"y", 30, {})
    (t1, _, key1, a1), (t2, _, key2, a2) = publisher.calls
    assert (t1, key1, a1) == ("projects/p/topics/t", "", {"slsn-correlation-id": "c"})
    assert t2 == "projects/p/topics/q" and float(a2[gcp.NOT_BEFORE_ATTRIBUTE]) > 0
    from sls_neutral.runtime import PermissionDenied

    with pytest.raises(PermissionDenied):
        backend.topic_publish("other", b"x", {})


def test_route_is_the_manifest_trigger_as_method_and_path(monkeypatch):
    """request.route is "METHOD /path/{param}" on every provider (the local server's and AWS's route keys)."""
    flask = pytest.importorskip("flask")
    seen = []

    def handler(request, ctx):
        seen.append((request.route, request.path, request.path_params))
        return {"ok": True}

    monkeypatch.setattr(gcp, "_user_handler", lambda: handler)
    monkeypatch.setattr(gcp, "_context", lambda request_id, correlation=None: None)
    app = flask.Flask("route-test")
    for method, path in (("GET", "/photos/42"), ("GET", "/photos/latest"), ("PUT", "/files/a/b.txt")):
        with app.test_request_context(path, method=method):
            _, status, _ = gcp.handle_http(flask.request, {"routes": ROUTES})
            assert status == 200
    assert seen == [("GET /photos/{id}", "/photos/42", {"id": "42"}), ("GET /photos/latest", "/photos/latest", {}),
                    ("ANY /files/{path+}", "/files/a/b.txt", {"path": "a/b.txt"})]


# ---------------------------------------------------------------- configuration from the environment
def test_configuration_comes_from_slsn_function_config():
    config = {"function": "api", "routes": [{"method": "GET", "path": "/x", "cors": False}]}
    try:
        got = gcp.configure_from_env({gcp.CONFIG_ENV: json.dumps(config)})
        assert got == config and gcp.config() == config
    finally:
        gcp.configure({})


@pytest.mark.parametrize("env, says", [
    ({}, "is not set"),
    ({"SLSN_FUNCTION_CONFIG": ""}, "is not set"),
    ({"SLSN_FUNCTION_CONFIG": "{routes: []"}, "is not valid JSON"),
    ({"SLSN_FUNCTION_CONFIG": "[1, 2]"}, "must be a JSON object"),
    ({"SLSN_FUNCTION_CONFIG": '{"routes": []}'}, "must be a JSON object with a 'function' name"),
], ids=["missing", "empty", "not-json", "not-an-object", "no-function"])
def test_a_missing_or_malformed_configuration_fails_the_cold_start_with_a_named_cause(env, says):
    with pytest.raises(gcp.ConfigurationError) as caught:
        gcp.configure_from_env(env)
    message = str(caught.value)
    assert "SLSN_FUNCTION_CONFIG" in message and says in message
    assert "sls-neutral deploy -p gcp" in message and "deployment.json" in message  # how to fix it
