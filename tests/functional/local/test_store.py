"""LocalStore against a real SQLite file: visibility, DLQ, FIFO, delay, fan-out, buckets, secrets."""

import json
import multiprocessing
import time

import pytest

from sls_neutral.core import ir
from sls_neutral.providers.local.store import InvalidKey, LocalStore, SecretNotFound


def _fn(name, *triggers):
    return ir.Function(name=name, handler=f"src/{name}.py:h", handler_file=f"src/{name}.py", handler_function="h",
                       module=f"src.{name}", runtime="python3.12", memory=128, timeout=5.0, environment={},
                       secret_environment={}, requirements=None, grants=(), triggers=tuple(triggers))


@pytest.fixture
def store(tmp_path):
    app = ir.App(
        service="s", stage="dev", runtime="python3.12", default_provider="local",
        functions={"a": _fn("a", ir.TopicTrigger("events")), "b": _fn("b", ir.TopicTrigger("events")),
                   "up": _fn("up", ir.BucketTrigger("photos", ("created", "deleted"), "uploads/", ".jpg"))},
        queues={"jobs": ir.Queue("jobs", visibility_timeout=0.3, dead_letter="jobs-dlq", max_receives=2),
                "jobs-dlq": ir.Queue("jobs-dlq"), "ordered": ir.Queue("ordered", fifo=True),
                "slow": ir.Queue("slow", delay=0.3), "fed": ir.Queue("fed", subscribed_topics=("events",))},
        topics={"events": ir.Topic("events", queues=("fed",))}, buckets={"photos": ir.Bucket("photos")},
        secrets={}, workflows={})
    s = LocalStore(tmp_path / "state")
    s.configure(app)
    return s


def test_wal_mode_and_location(store, tmp_path):
    assert (tmp_path / "state" / "state.db").exists()
    assert store._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_unacked_message_comes_back_after_visibility_then_dead_letters(store):
    store.queue_send("jobs", b"m1")
    first = store.receive("jobs", 10)
    assert [m.body for m in first] == [b"m1"] and store.receive("jobs", 10) == []
    time.sleep(0.35)
    second = store.receive("jobs", 10)
    assert second[0].receive_count == 2
    assert store.ack(first[0].receipt) is False  # a stale receipt cannot delete the redelivered message
    assert store.fail(second[0].receipt, 0) == "dead_letter"
    assert [m["body"] for m in store.peek("jobs-dlq")] == [b"m1"] and store.depth("jobs")["total"] == 0


def test_crashed_consumer_past_max_receives_is_dead_lettered_on_next_receive(store):
    store.queue_send("jobs", b"crashy")
    for _ in range(2):
        assert store.receive("jobs", 1, visibility=0)
    assert store.receive("jobs", 1) == []
    assert store.depth("jobs-dlq")["total"] == 1


def test_ack_many_and_retry_backoff(store):
    store.queue_send_many("jobs", [b"1", b"2", b"3"])
    msgs = store.receive("jobs", 10)
    assert store.fail(msgs[0].receipt, backoff=0.2) == "retry"
    assert store.ack_many([m.receipt for m in msgs[1:]]) == 2
    assert store.receive("jobs", 10) == []
    time.sleep(0.25)
    assert [m.body for m in store.receive("jobs", 10)] == [b"1"]


def test_delay_per_message_and_per_queue(store):
    store.queue_send("jobs", b"later", delay=0.3)
    store.queue_send("slow", b"queue-delay")
    assert store.receive("jobs", 10) == [] and store.receive("slow", 10) == []
    time.sleep(0.35)
    assert store.receive("jobs", 10)[0].body == b"later"
    assert store.receive("slow", 10)[0].body == b"queue-delay"


def test_fifo_keeps_order_and_blocks_behind_an_in_flight_head(store):
    store.queue_send_many("ordered", [b"1", b"2", b"3"])
    batch = store.receive("ordered", 2)
    assert [m.body for m in batch] == [b"1", b"2"]
    assert store.receive("ordered", 10) == []  # nothing overtakes the in-flight head
    store.ack(batch[0].receipt)
    store.release(batch[1].receipt)
    again = store.receive("ordered", 10)
    assert [m.body for m in again] == [b"2", b"3"] and again[0].receive_count == 1


def test_topic_fans_out_to_each_subscriber_and_subscribed_queue(store):
    store.topic_publish("events", b'{"x": 1}', {"slsn-correlation-id": "c"})
    for q in ("~topic/events/a", "~topic/events/b", "fed"):
        msgs = store.peek(q)
        assert len(msgs) == 1 and msgs[0]["body"] == b'{"x": 1}'
        assert msgs[0]["attributes"]["slsn-correlation-id"] == "c"
    # one subscriber failing does not touch the other's copy
    a = store.receive("~topic/events/a", 1)[0]
    store.fail(a.receipt, 0)
    assert store.depth("~topic/events/b")["total"] == 1


def test_bucket_atomic_files_and_filtered_events(store, tmp_path):
    info = store.bucket_put("photos", "uploads/a.jpg", b"img")
    store.bucket_put("photos", "uploads/a.png", b"png")
    store.bucket_put("photos", "thumbs/a.jpg", b"t")
    assert info["size"] == 3 and len(info["etag"]) == 32
    assert (tmp_path / "state" / "buckets" / "photos" / "uploads" / "a.jpg").read_bytes() == b"img"
    assert store.bucket_list("photos") == ["thumbs/a.jpg", "uploads/a.jpg", "uploads/a.png"]
    assert store.bucket_list("photos", "uploads/") == ["uploads/a.jpg", "uploads/a.png"]
    assert store.bucket_delete("photos", "uploads/a.jpg") is True
    assert store.bucket_delete("photos", "uploads/a.jpg") is False
    events = [(m["attributes"]["slsn-bucket-event"], json.loads(m["body"])["key"])
              for m in store.peek("~bucket/photos/up")]
    assert events == [("created", "uploads/a.jpg"), ("deleted", "uploads/a.jpg")]
    with pytest.raises(KeyError):
        store.bucket_get("photos", "uploads/a.jpg")
    assert list((tmp_path / "state" / "tmp").iterdir()) == []


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../../x"])
def test_bucket_keys_cannot_escape(store, key):
    with pytest.raises(InvalidKey):
        store.bucket_put("photos", key, b"x")


def test_secrets_from_env_then_file(store, tmp_path, monkeypatch):
    with pytest.raises(SecretNotFound) as err:
        store.secret_read("api-key")
    assert "SLSN_SECRET_API_KEY" in str(err.value)
    (tmp_path / "state" / "secrets.json").write_text('{"api-key": "from-file"}')
    assert store.secret_read("api-key") == "from-file"
    monkeypatch.setenv("SLSN_SECRET_API_KEY", "from-env")
    assert store.secret_read("api-key") == "from-env"


def _consume(state_dir, out):
    s = LocalStore(state_dir)
    got = []
    while True:
        msgs = s.receive("jobs", 5, visibility=30)
        if not msgs:
            break
        got += [m.body.decode() for m in msgs]
        s.ack_many([m.receipt for m in msgs])
    out.put(got)


def test_concurrent_consumers_in_separate_processes_never_share_a_message(store, tmp_path):
    store.queue_send_many("jobs", [str(i).encode() for i in range(400)])
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_consume, args=(tmp_path / "state", out)) for _ in range(3)]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(10)
    seen = [x for r in results for x in r]
    assert sorted(seen, key=int) == [str(i) for i in range(400)]  # each exactly once
