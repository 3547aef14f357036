"""Context: permission checks for every client kind, key validation, correlation ids, log lines."""

from __future__ import annotations

import io
import json

import pytest

from sls_neutral.runtime import Context, NotFound, PermissionDenied
from sls_neutral.runtime.adapters import Backend
from sls_neutral.runtime.context import Grants, validate_key
from sls_neutral.runtime.errors import InvalidKey


class RecordingBackend(Backend):
    """An in-memory backend recording every call, so tests see what reached it."""

    provider = "test"

    def __init__(self):
        self.calls: list[tuple] = []
        self.objects: dict[tuple[str, str], bytes] = {}
        self.secrets = {"stripe-key": "sk_test"}

    def bucket_put(self, bucket, key, data, content_type):
        self.calls.append(("bucket_put", bucket, key, data, content_type))
        self.objects[(bucket, key)] = data

    def bucket_get(self, bucket, key):
        self.calls.append(("bucket_get", bucket, key))
        try:
            return self.objects[(bucket, key)]
        except KeyError:
            raise NotFound(key) from None

    def bucket_delete(self, bucket, key):
        self.calls.append(("bucket_delete", bucket, key))
        self.objects.pop((bucket, key), None)

    def bucket_list(self, bucket, prefix):
        self.calls.append(("bucket_list", bucket, prefix))
        return sorted(k for b, k in self.objects if b == bucket and k.startswith(prefix))

    def queue_send(self, queue, body, delay, attributes):
        self.calls.append(("queue_send", queue, body, delay, attributes))
        return "q-1"

    def topic_publish(self, topic, body, attributes):
        self.calls.append(("topic_publish", topic, body, attributes))
        return "t-1"

    def secret_read(self, name):
        self.calls.append(("secret_read", name))
        return self.secrets[name]

    def workflow_start(self, workflow, input):
        self.calls.append(("workflow_start", workflow, input))
        return "e-1"


ALL = ("bucket:photos:read,bucket:photos:write,bucket:photos:delete,bucket:photos:list,queue:jobs:send,"
       "topic:events:publish,secret:stripe-key:read,workflow:orders:start")


def make(grants: str = ALL, **kw) -> tuple[Context, RecordingBackend]:
    backend = RecordingBackend()
    ctx = Context("req-1", function_name="api", service="svc", stage="dev", provider="test",
                  correlation_id=kw.pop("correlation_id", "corr-9"), grants=grants, backend=backend, **kw)
    return ctx, backend


USES = {
    "bucket:photos:write": lambda c: c.bucket("photos").put("a.txt", "x"),
    "bucket:photos:read": lambda c: c.bucket("photos").get("a.txt"),
    "bucket:photos:delete": lambda c: c.bucket("photos").delete("a.txt"),
    "bucket:photos:list": lambda c: c.bucket("photos").list(),
    "queue:jobs:send": lambda c: c.queue("jobs").send({"n": 1}),
    "topic:events:publish": lambda c: c.topic("events").publish("hi"),
    "secret:stripe-key:read": lambda c: c.secret("stripe-key"),
    "workflow:orders:start": lambda c: c.workflow("orders").start({}),
}


@pytest.mark.parametrize("scope", sorted(USES))
def test_every_client_refuses_without_its_scope_before_the_backend(scope):
    others = ",".join(s for s in USES if s != scope)
    ctx, backend = make(others)
    with pytest.raises(PermissionDenied, match=scope.replace("*", r"\*")) as info:
        USES[scope](ctx)
    assert isinstance(info.value, PermissionError)
    assert "permissions in sls-neutral.yaml" in str(info.value)
    assert backend.calls == []


@pytest.mark.parametrize("scope", sorted(USES))
def test_every_client_works_with_its_scope(scope):
    ctx, backend = make(scope)
    backend.objects[("photos", "a.txt")] = b"x"
    USES[scope](ctx)
    assert len(backend.calls) == 1


def test_wildcards_only_where_the_grant_says_so():
    grants = Grants("bucket:*:read,queue:jobs:*")
    assert grants.allows("bucket", "anything", "read")
    assert not grants.allows("bucket", "anything", "write")
    assert grants.allows("queue", "jobs", "send") and grants.allows("queue", "jobs", "consume")
    assert not grants.allows("queue", "other", "send")
    # a literal grant never matches a '*' request, and clients refuse '*' names outright
    assert not Grants("bucket:photos:read").allows("bucket", "*", "read")
    ctx, _ = make("bucket:*:read")
    with pytest.raises(ValueError, match="declared bucket"):
        ctx.bucket("*")


def test_grants_ignore_blank_and_malformed_scopes():
    assert Grants(" , bucket:photos , :x:y").scopes == frozenset()


@pytest.mark.parametrize("key", ["../etc/passwd", "a/../b", "..", "/abs", "a\x00b", "a\\b", "k" * 1025, "", 7])
def test_bad_keys_are_refused_before_the_backend(key):
    ctx, backend = make()
    with pytest.raises(InvalidKey):
        ctx.bucket("photos").put(key, b"x")
    with pytest.raises(InvalidKey):
        ctx.bucket("photos").get(key)
    with pytest.raises(InvalidKey):
        ctx.bucket("photos").delete(key)
    assert backend.calls == []


@pytest.mark.parametrize("key", ["a.txt", "photos/2026/01/x.jpg", "a..b/c", "k" * 1024, "dots.../x"])
def test_good_keys_pass(key):
    assert validate_key(key) == key


def test_list_prefix_is_validated_but_may_be_empty():
    ctx, backend = make()
    assert ctx.bucket("photos").list() == []
    with pytest.raises(InvalidKey):
        ctx.bucket("photos").list("../")


def test_bucket_bodies_and_content_types():
    ctx, backend = make()
    bucket = ctx.bucket("photos")
    bucket.put("b", b"\x00")
    bucket.put("t", "é")
    bucket.put("j", {"a": 1})
    bucket.put("c", b"<p/>", content_type="text/html")
    assert [c[3:] for c in backend.calls] == [(b"\x00", "application/octet-stream"),
                                              ("é".encode(), "text/plain; charset=utf-8"),
                                              (b'{"a":1}', "application/json"), (b"<p/>", "text/html")]
    assert bucket.get("j") == b'{"a":1}'
    assert bucket.list("") == ["b", "c", "j", "t"]
    bucket.delete("j")
    with pytest.raises(NotFound):
        bucket.get("j")


def test_correlation_id_travels_in_message_attributes_and_workflow_input():
    ctx, backend = make()
    assert ctx.queue("jobs").send({"n": 1}, delay=5) == "q-1"
    assert ctx.topic("events").publish([1], attributes={"kind": "x", "n": 2}) == "t-1"
    assert ctx.workflow("orders").start({"order": 1, "_slsn": {"other": True}}) == "e-1"
    assert ctx.workflow("orders").start("plain") == "e-1"
    send, publish, start, start_plain = backend.calls
    assert send == ("queue_send", "jobs", b'{"n":1}', 5.0, {"slsn-correlation-id": "corr-9"})
    assert publish == ("topic_publish", "events", b"[1]",
                       {"kind": "x", "n": "2", "slsn-correlation-id": "corr-9"})
    assert start[2] == {"order": 1, "_slsn": {"other": True, "correlation_id": "corr-9"}}
    assert start_plain[2] == {"input": "plain", "_slsn": {"correlation_id": "corr-9"}}


def test_queue_delay_must_be_a_non_negative_number():
    ctx, backend = make()
    with pytest.raises(ValueError):
        ctx.queue("jobs").send("x", delay=-1)
    assert backend.calls == []


def test_correlation_id_defaults_to_the_request_id():
    ctx = Context("req-7")
    assert ctx.correlation_id == "req-7"


def test_log_line_shape():
    stream = io.StringIO()
    ctx, _ = make(log_stream=stream)
    ctx.log.info("resized", width=640, request_id="spoofed")
    ctx.log.error("boom")
    first, second = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert set(first) == {"level", "message", "function", "request_id", "correlation_id", "time", "width"}
    assert first["level"] == "info" and first["message"] == "resized" and first["width"] == 640
    assert first["function"] == "api" and first["request_id"] == "req-1" and first["correlation_id"] == "corr-9"
    assert first["time"].endswith("Z") and len(first["time"]) == 24
    assert second["level"] == "error"


def test_log_goes_to_stderr_by_default(capsys):
    ctx, _ = make()
    ctx.log.warning("careful")
    assert json.loads(capsys.readouterr().err)["level"] == "warning"


def test_remaining_time(monkeypatch):
    import sls_neutral.runtime.context as context

    monkeypatch.setattr(context.time, "time", lambda: 1000.0)
    assert Context("r", deadline=1002.5).remaining_time_ms() == 2500
    assert Context("r", deadline=999.0).remaining_time_ms() == 0
    assert Context("r").remaining_time_ms() == context.NO_DEADLINE_MS
