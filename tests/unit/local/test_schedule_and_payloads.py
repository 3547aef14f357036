import json
from datetime import datetime, timezone

from sls_neutral.core import ir
from sls_neutral.providers.local import payloads
from sls_neutral.providers.local.dev import classify
from sls_neutral.providers.local.schedule import next_tick
from sls_neutral.providers.local.store import Message

NOON_UTC = datetime(2026, 1, 15, 12, 0, 30, tzinfo=timezone.utc).timestamp()


def test_cron_in_a_timezone():
    trig = ir.ScheduleTrigger(cron="0 9 * * *", rate=None, timezone="Europe/Paris")
    nxt = datetime.fromtimestamp(next_tick(trig, NOON_UTC), timezone.utc)
    assert nxt == datetime(2026, 1, 16, 8, 0, tzinfo=timezone.utc)  # 09:00 in Paris (UTC+1 in January)


def test_missed_ticks_are_not_replayed():
    trig = ir.ScheduleTrigger(cron="* * * * *", rate=None)
    day_ago = NOON_UTC - 86400
    # The last recorded tick was a day ago: the next tick is the next minute after now, not the missed ones.
    assert next_tick(trig, NOON_UTC, day_ago) == datetime(2026, 1, 15, 12, 1, tzinfo=timezone.utc).timestamp()
    rate = ir.ScheduleTrigger(cron=None, rate=60.0)
    assert next_tick(rate, NOON_UTC, day_ago) == NOON_UTC + 60
    assert next_tick(rate, NOON_UTC, NOON_UTC - 10) == NOON_UTC + 50  # keeps cadence when recent


def test_queue_event_decodes_json_and_carries_correlation():
    m = Message("m1", "jobs", b'{"a": 1}', {"slsn-correlation-id": "c-1"}, 2, "1:x", NOON_UTC)
    p = payloads.queue_event("svc", "jobs", m)
    assert p["correlation_id"] == "c-1"
    e = p["event"]
    assert (e["type"], e["data"], e["id"], e["specversion"]) == ("sls.queue.message", {"a": 1}, "m1", "1.0")
    assert e["time"].startswith("2026-01-15T12:00:30")


def test_text_body_and_bucket_event():
    m = Message("m2", "q", b"plain", {}, 1, "1:x", NOON_UTC)
    assert payloads.queue_event("svc", "q", m)["event"]["data"] == "plain"
    info = {"bucket": "photos", "key": "uploads/a.jpg", "size": 3, "etag": "e"}
    b = Message("m3", "~bucket/photos/f", json.dumps(info).encode(), {"slsn-bucket-event": "deleted"}, 1, "1:y",
                NOON_UTC)
    e = payloads.bucket_event("svc", "photos", b)["event"]
    assert e["type"] == "sls.bucket.object.deleted" and e["data"] == info and e["subject"] == "uploads/a.jpg"


def test_reload_classification():
    base = (1, {"a.py": 1})
    assert classify(base, (2, {"a.py": 1})) == "manifest"
    assert classify(base, (1, {"a.py": 2})) == "code"
    assert classify(base, (1, {"a.py": 1, "b.py": 1})) == "code"
    assert classify(base, base) is None
