"""The local Backend against a fake of the LocalStore interface (the real store is covered functionally)."""

from __future__ import annotations

import pytest

from sls_neutral.runtime import Context, NotFound
from sls_neutral.runtime.adapters.local import LocalBackend
from sls_neutral.runtime.errors import SlsnRuntimeError


class FakeStore:
    def __init__(self):
        self.objects: dict[tuple[str, str], bytes] = {}
        self.sent: list[tuple] = []

    def queue_send(self, queue, body, delay=0, attributes=None):
        self.sent.append(("queue", queue, body, delay, attributes))
        return "msg-1"

    def topic_publish(self, topic, body, attributes=None):
        self.sent.append(("topic", topic, body, attributes))
        return "pub-1"

    def bucket_put(self, bucket, key, data, content_type=None):
        self.objects[(bucket, key)] = data
        return {"bucket": bucket, "key": key, "size": len(data), "etag": "x"}

    def bucket_get(self, bucket, key):
        return self.objects[(bucket, key)]

    def bucket_delete(self, bucket, key):
        return self.objects.pop((bucket, key), None) is not None

    def bucket_list(self, bucket, prefix=""):
        return sorted(k for b, k in self.objects if b == bucket and k.startswith(prefix))

    def secret_read(self, name):
        if name != "api-key":
            raise KeyError(name)
        return "s3cr3t"

    def workflow_start(self, workflow, input):
        self.sent.append(("workflow", workflow, input))
        return "exec-1"


GRANTS = ("bucket:files:read,bucket:files:write,bucket:files:delete,bucket:files:list,queue:jobs:send,"
          "topic:news:publish,secret:api-key:read,secret:other:read,workflow:orders:start")


@pytest.fixture
def ctx_store():
    store = FakeStore()
    ctx = Context("r", function_name="f", correlation_id="c", grants=GRANTS, backend=LocalBackend(store=store))
    return ctx, store


def test_bucket_operations_map_to_the_store(ctx_store):
    ctx, store = ctx_store
    bucket = ctx.bucket("files")
    assert bucket.put("a/b.txt", "hi") is None
    assert bucket.get("a/b.txt") == b"hi"
    assert bucket.list("a/") == ["a/b.txt"]
    assert bucket.delete("a/b.txt") is None
    with pytest.raises(NotFound, match="'a/b.txt' not found in bucket 'files'"):
        bucket.get("a/b.txt")


def test_messages_secrets_and_workflows(ctx_store):
    ctx, store = ctx_store
    assert ctx.queue("jobs").send({"n": 1}, delay=2) == "msg-1"
    assert ctx.topic("news").publish("x") == "pub-1"
    assert ctx.workflow("orders").start({"id": 1}) == "exec-1"
    assert store.sent == [("queue", "jobs", b'{"n":1}', 2.0, {"slsn-correlation-id": "c"}),
                          ("topic", "news", b"x", {"slsn-correlation-id": "c"}),
                          ("workflow", "orders", {"id": 1, "_slsn": {"correlation_id": "c"}})]
    assert ctx.secret("api-key") == "s3cr3t"
    with pytest.raises(NotFound):
        ctx.secret("other")


def test_without_a_state_dir_the_backend_says_how_to_run(monkeypatch):
    monkeypatch.delenv("SLSN_STATE_DIR", raising=False)
    with pytest.raises(SlsnRuntimeError, match="SLSN_STATE_DIR is not set"):
        LocalBackend().bucket_list("files", "")
