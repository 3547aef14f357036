"""core/remote.py: the shapes the cloud providers' invoke/logs/workflow commands share."""

from __future__ import annotations

import datetime as dt
import io
import json

from sls_neutral.core import remote


def test_failure_is_an_error_name_with_its_cause():
    assert remote.failure({"error": "PaymentDeclined", "cause": "card"}) == ("PaymentDeclined", "card")
    assert remote.failure({"error": "Timeout"}) == ("Timeout", "")
    assert remote.failure({"status": 500, "body": {"error": "x"}}) is None  # a body is not the result's error
    assert remote.failure({"ok": True}) is None and remote.failure(["x"]) is None


def test_history_text_is_one_aligned_line_per_event_with_json_details():
    events = [{"seq": 1, "time": "2026-01-01T00:00:00.000Z", "type": "ExecutionStarted", "step": None,
               "detail": {"input": {"order": "o1"}}},
              {"seq": 2, "time": "2026-01-01T00:00:01.000Z", "type": "StepFailed", "step": "charge",
               "detail": {"error": "PaymentDeclined", "cause": "x" * 300}},
              {"seq": 10, "time": 1767225602.0, "type": "ExecutionFailed", "step": "", "detail": "as text"}]
    lines = remote.history_text(events).splitlines()
    assert lines[0].split() == ["SEQ", "TIME", "TYPE", "STEP", "DETAIL"]
    assert lines[1].split(None, 4) == ["1", "2026-01-01T00:00:00.000Z", "ExecutionStarted", "-",
                                       '{"input": {"order": "o1"}}']
    assert lines[2].index(" charge ") == lines[1].index(" - ") and lines[2].endswith("...") and len(lines[2]) < 240
    assert lines[3].split()[:3] == ["10", "2026-01-01T00:00:02.000Z", "ExecutionFailed"]
    assert lines[3].endswith("as text") and all("{'" not in line for line in lines)
    assert remote.history_text([]) == "(no events)"


def test_log_lines_are_json_objects_that_keep_ctx_log_fields():
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    own = json.loads(remote.log_line(when, '{"level": "warning", "message": "m", "function": "f"}\n', "g",
                                     request="r1"))
    assert own == {"level": "warning", "message": "m", "function": "f", "time": "2026-01-01T00:00:00.000Z",
                   "request": "r1"}
    plain = json.loads(remote.log_line(0, "START RequestId: 1", "api", level=None, stream=None))
    assert plain == {"level": "info", "message": "START RequestId: 1", "function": "api",
                     "time": "1970-01-01T00:00:00.000Z"}


def test_follow_prints_new_lines_until_ctrl_c():
    batches = [["a", "b"], [], ["c"]]
    out = io.StringIO()
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise KeyboardInterrupt

    remote.follow(lambda: batches.pop(0), 0.5, out=out, sleep=sleep)
    assert out.getvalue() == "a\nb\nc\n" and sleeps == [0.5, 0.5, 0.5]


def test_envelope_is_hidden_and_seen_ids_are_bounded(monkeypatch):
    assert remote.without_envelope({"a": 1, "_slsn": {"correlation_id": "c"}}) == {"a": 1}
    assert remote.without_envelope({"input": [1], "_slsn": {}}) == [1]
    assert remote.without_envelope([1]) == [1]
    seen = remote.Seen(limit=4)
    assert [seen.add(k) for k in "aab"] == [True, False, True]
    for k in "cdef":
        seen.add(k)
    assert seen.add("f") is False and seen.add("a") is True  # the oldest were forgotten
    monkeypatch.setenv("SLSN_POLL_INTERVAL", "0.05")
    assert remote.poll_interval(None) == 0.05
    monkeypatch.delenv("SLSN_POLL_INTERVAL")
    assert remote.poll_interval("http://127.0.0.1:1") == 0.2 and remote.poll_interval(None, real=5) == 5


def test_parse_since_takes_a_duration_back_from_now_or_an_iso_time():
    import pytest

    now = 2_000_000_000.0
    assert remote.parse_since("90s", now) == now - 90
    assert remote.parse_since("10m", now) == now - 600
    assert remote.parse_since("2h", now) == now - 7200
    assert remote.parse_since("3d", now) == now - 3 * 86400
    at_ten = dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC).timestamp()
    assert remote.parse_since("2026-12-05T10:00:00Z", now) == at_ten
    assert remote.parse_since("2026-12-05T11:00:00+01:00", now) == at_ten  # an offset counts
    assert remote.parse_since("2026-12-05T10:00:00", now) == at_ten  # naive means UTC
    for bad in ("yesterday", "10 minutes", "-5m", "2026-13-05T10:00:00Z", ""):
        with pytest.raises(ValueError, match=r"a duration back from now \(90s, 10m, 2h, 3d\) or an ISO-8601 time"):
            remote.parse_since(bad, now)


def test_logs_since_is_the_option_or_the_last_hour():
    from types import SimpleNamespace

    given = SimpleNamespace(options={remote.LOGS_SINCE: 1234.5})
    assert remote.logs_since(given) == 1234.5
    before = dt.datetime.now(dt.UTC).timestamp()
    default = remote.logs_since(SimpleNamespace(options={}))
    assert before - remote.LOG_WINDOW_S - 1 <= default <= before - remote.LOG_WINDOW_S + 60
    assert remote.logs_since(SimpleNamespace(options={}), window_s=60) > default
