"""examples/scheduled-cleanup: a cron in a time zone, an hourly rate, a secret and per-stage settings.

The jobs run through `sls-neutral invoke` (the synthesized schedule tick), and the deployed runtime fires the
rate schedule by itself; then the service is packaged for every cloud.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from examples_helpers import check_aws, check_azure, check_gcp, resource_types, trigger_types
from local_helpers import state_dir, wait_for

pytestmark = [pytest.mark.functional]


def day(days_ago: int) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days_ago)).strftime("%Y-%m-%d")


def seed(root, stage: str) -> list[str]:
    """Uploads whose keys carry their upload date (as the purge expects), in the stage's local bucket."""
    from sls_neutral.providers.local.store import LocalStore

    keys = [f"{day(400)}/old.jpg", f"{day(10)}/ten-days.jpg", f"{day(0)}/today.jpg", "readme.txt"]
    store = LocalStore(state_dir(root, stage))
    try:
        for key in keys:
            store.bucket_put("uploads", key, b"x")
    finally:
        store.close()
    return keys


def remaining(root, stage: str) -> list[str]:
    bucket = state_dir(root, stage) / "buckets" / "uploads"
    return sorted(p.relative_to(bucket).as_posix() for p in bucket.rglob("*") if p.is_file())


def log_records(text: str, message: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{") and f'"message": "{message}"' in line]


def test_jobs_stages_and_the_secret_through_invoke(service_copy, cli):
    root = service_copy("scheduled-cleanup")
    dev_keys, prod_keys = seed(root, "dev"), seed(root, "prod")

    # the nightly purge, run now: dev keeps 7 days (params), prod 30 (stages.prod.params)
    out = cli("invoke", "purge", "--output", "json", cwd=root)
    assert out.returncode == 0 and json.loads(out.stdout) == {"ok": True}, out.stdout + out.stderr
    assert log_records(out.stderr, "purged")[0]["removed"] == 2
    assert remaining(root, "dev") == sorted([dev_keys[2], dev_keys[3]])
    out = cli("invoke", "purge", "--stage", "prod", "--output", "json", cwd=root)
    assert log_records(out.stderr, "purged")[0]["removed"] == 1
    assert remaining(root, "prod") == sorted(prod_keys[1:])

    # the report reads REPORT_TOKEN from the secret report-token at cold start; without a local value it fails
    # and says where to put one
    out = cli("invoke", "report", "--output", "json", cwd=root)
    failure = json.loads(out.stdout)
    assert failure.get("error") == "TaskFailed", out.stdout + out.stderr  # once flaky under load: show why
    assert "SLSN_SECRET_REPORT_TOKEN" in failure["cause"] and "secrets.json" in failure["cause"]
    out = cli("invoke", "report", "--output", "json", cwd=root, env={"SLSN_SECRET_REPORT_TOKEN": "t0k3n"})
    assert json.loads(out.stdout) == {"ok": True}, out.stdout + out.stderr
    report = log_records(out.stderr, "report")[0]
    assert report["objects"] == 2 and report["token_configured"] is True
    assert "t0k3n" not in out.stderr  # the secret's value is never logged


def test_the_runtime_fires_the_rate_schedule_and_shows_the_cron(service_copy, deployed, cli):
    from sls_neutral.providers.local.store import LocalStore

    root = service_copy("scheduled-cleanup")
    seed(root, "dev")
    (state_dir(root) / "secrets.json").write_text('{"report-token": "from-the-file"}')
    # A runtime resumes a rate schedule from its last recorded tick (missed ticks are not replayed): with an
    # hourly tick recorded 59 min 57 s before the runtime reads it, the report is due 3 s after the start
    # instead of in an hour. The record is kept that fresh while the runtime starts, however long that takes.
    starting = threading.Event()

    def keep_the_last_tick_an_hour_ago():
        store = LocalStore(state_dir(root))
        try:
            while not starting.is_set():
                store.schedule_set_tick("function:report:0", time.time() - 3600 + 3)
                starting.wait(0.1)
        finally:
            store.close()

    recorder = threading.Thread(target=keep_the_last_tick_an_hour_ago, daemon=True)
    recorder.start()
    try:
        deployed(root)
    finally:
        starting.set()
        recorder.join()

    def ticked():
        log = state_dir(root) / "logs" / "report.log"
        lines = [json.loads(l) for l in log.read_text().splitlines()] if log.exists() else []
        return [l for l in lines if l.get("source") == "schedule #0" and l.get("outcome") == "ok"]
    tick = wait_for(ticked, 30, 0.2, "the hourly report's tick")[0]
    out = cli("logs", "report", "--output", "json", cwd=root)
    lines = [json.loads(l) for l in json.loads(out.stdout)]
    report = next(l for l in lines if l.get("message") == "report")
    assert report["request_id"] == tick["request_id"]
    assert report["objects"] == 4 and report["token_configured"] is True

    info = json.loads(cli("info", "--output", "json", cwd=root).stdout)
    schedules = {s["target"]: s for s in info["schedules"]}
    purge, hourly = schedules["function:purge"], schedules["function:report"]
    assert (purge["cron"], purge["timezone"]) == ("30 2 * * *", "Europe/Berlin")
    nightly = datetime.fromisoformat(purge["next_tick"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert (nightly.hour, nightly.minute) == (2, 30)  # 02:30 Berlin time, summer or winter
    assert 0 < (nightly - datetime.now(timezone.utc)).total_seconds() <= 86400
    assert hourly["rate"] == 3600
    after_tick = datetime.fromisoformat(hourly["next_tick"]) - datetime.now(timezone.utc)
    assert 3000 < after_tick.total_seconds() <= 3600  # the next report is an hour after the one that ran


def test_package_all_passes_each_providers_checks(packaged):
    result = packaged("scheduled-cleanup")
    template = check_aws(result.out, {"purge": "src/cleanup.py", "report": "src/cleanup.py"})
    types = resource_types(template)
    assert types["AWS::Scheduler::Schedule"] == 2 and types["AWS::Lambda::Function"] == 2
    schedules = sorted(r["Properties"]["ScheduleExpression"] for r in template["Resources"].values()
                       if r["Type"] == "AWS::Scheduler::Schedule")
    assert schedules == ["cron(30 2 * * ? *)", "rate(1 hour)"]
    zones = {r["Properties"].get("ScheduleExpressionTimezone") for r in template["Resources"].values()
             if r["Type"] == "AWS::Scheduler::Schedule"}
    assert "Europe/Berlin" in zones
    gcp = check_gcp(result.out)
    jobs = sorted((j["schedule"], j["time_zone"]) for j in gcp["scheduler_jobs"].values())
    assert jobs == [("0 * * * *", "UTC"), ("30 2 * * *", "Europe/Berlin")]  # Cloud Scheduler keeps the zone
    assert [s["secret"] for s in gcp["secrets"].values()] == ["report-token"]  # a reference, never a value
    # Azure timers have no time zone: the Berlin cron becomes an hourly timer at :30 that the adapter filters
    indexed = check_azure(result.out)
    assert trigger_types(indexed) == {"timerTrigger": 2}
    assert {n: b[0]["schedule"] for n, b in indexed.items()} == {"purge": "0 30 * * * *", "report": "0 0 * * * *"}
