"""`sls-neutral logs FUNCTION --tail` follows the local log file as lines are appended."""

import json
import queue
import subprocess
import sys
import threading
import time

import pytest

pytestmark = [pytest.mark.functional]


def test_logs_tail_follows_new_lines(service_copy):
    root = service_copy("photo-pipeline")
    log = root / ".sls-neutral" / "local" / "dev" / "logs" / "resize.log"
    log.parent.mkdir(parents=True)
    log.write_text(json.dumps({"message": "old line"}) + "\\n")
    proc = subprocess.Popen([sys.executable, "-m", "sls_neutral", "logs", "resize", "--tail"], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout], daemon=True).start()
    try:
        assert "old line" in lines.get(timeout=20)
        time.sleep(0.3)
        with open(log, "a") as fh:
            fh.write(json.dumps({"message": "new line"}) + "\\n")
        assert "new line" in lines.get(timeout=10)
    finally:
        proc.kill()
        proc.communicate(timeout=10)


def _write_aged_log(root):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    log = root / ".sls-neutral" / "local" / "dev" / "logs" / "resize.log"
    log.parent.mkdir(parents=True)
    lines = [{"time": (now - timedelta(days=2)).isoformat().replace("+00:00", "Z"), "message": "two days ago"},
             "a print without a time",
             {"time": (now - timedelta(hours=2)).isoformat().replace("+00:00", "Z"), "message": "two hours ago"},
             {"time": (now - timedelta(minutes=1)).isoformat().replace("+00:00", "Z"), "message": "a minute ago"}]
    log.write_text("".join((json.dumps(l) if isinstance(l, dict) else l) + "\n" for l in lines))
    return now


def _messages(stdout: str) -> list[str]:
    return [json.loads(l)["message"] if l.startswith("{") else l for l in stdout.splitlines() if l]


def test_logs_since_leaves_out_older_lines(service_copy, cli):
    from datetime import timedelta, timezone

    root = service_copy("photo-pipeline")
    now = _write_aged_log(root)
    everything = cli("logs", "resize", cwd=root)  # without --since: the whole file, as before
    assert everything.returncode == 0, everything.stderr
    assert _messages(everything.stdout) == ["two days ago", "a print without a time", "two hours ago", "a minute ago"]
    recent = cli("logs", "resize", "--since", "30m", cwd=root)
    assert recent.returncode == 0, recent.stderr
    assert _messages(recent.stdout) == ["a print without a time", "a minute ago"]  # a line without a time is kept
    since = (now - timedelta(days=1)).replace(tzinfo=None).isoformat(timespec="seconds")  # naive: UTC
    iso = cli("logs", "resize", "--since", since, "--output", "json", cwd=root)
    assert iso.returncode == 0, iso.stderr
    assert _messages("\n".join(json.loads(iso.stdout))) == ["a print without a time", "two hours ago", "a minute ago"]
    offset = (now - timedelta(hours=3)).astimezone(timezone(timedelta(hours=5)))
    assert _messages(cli("logs", "resize", "--since", offset.isoformat(), cwd=root).stdout) == [
        "a print without a time", "two hours ago", "a minute ago"]


def test_logs_since_with_a_bad_value_is_a_usage_error(service_copy, cli):
    root = service_copy("photo-pipeline")
    result = cli("logs", "resize", "--since", "last tuesday", cwd=root)
    assert result.returncode == 2, result.stderr
    assert "Invalid value for '--since'" in result.stderr and "Usage: sls-neutral logs" in result.stderr
    assert "a duration back from now (90s, 10m, 2h, 3d) or an ISO-8601 time" in result.stderr
    assert "Traceback" not in result.stderr


def test_logs_tail_since_sets_where_following_starts(service_copy):
    root = service_copy("photo-pipeline")
    _write_aged_log(root)
    proc = subprocess.Popen([sys.executable, "-m", "sls_neutral", "logs", "resize", "--tail", "--since", "3h"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout], daemon=True).start()
    try:
        # the line two days old is skipped; following starts with the two-hour-old one
        assert [lines.get(timeout=20).rstrip("\n") for _ in range(3)] == _file_lines(root)[1:]
    finally:
        proc.kill()
        proc.communicate(timeout=10)


def _file_lines(root) -> list[str]:
    return (root / ".sls-neutral" / "local" / "dev" / "logs" / "resize.log").read_text().splitlines()
