"""Deploy end to end against the FAKE ARM control plane (tests/fakes/azure_control_plane.py).

The real SDK clients (azure-mgmt-resource-deployments, azure-mgmt-web) and our Kudu calls talk HTTP to a
local server that implements ARM deployments with async-operation polling, what-if, sites/functions and zip
deploy. What is proven: the order and idempotence of our calls, not Azure's behaviour.
"""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.functional]


def _deploy(cli, root, fake, *extra):
    result = cli("deploy", "-p", "azure", "--endpoint-url", fake.url, "--output", "json", *extra, cwd=root)
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)["results"][0]


def _puts(fake):
    return [p for m, p in fake.mutating_calls() if m == "PUT"]


def _uploads(fake):
    return [p for m, p in fake.mutating_calls() if m == "POST" and p.startswith("/scm/")]


def test_first_unchanged_changed_handler_and_removed_function(cli, small_service, fake_azure):
    # first deploy: infrastructure without Event Grid subscriptions, code, then the subscriptions
    result = _deploy(cli, small_service, fake_azure)
    app = result["function_app"]
    assert result["infrastructure"] == "deployed" and result["code"] == "uploaded"
    assert len(_puts(fake_azure)) == 2 and len(_uploads(fake_azure)) == 1
    assert any(m == "POST" and p.endswith("/whatIf") for m, p in fake_azure.calls)  # the plan is ARM's what-if
    expected = ["api-get-photos-id", "api-post-photos", "cleanup", "on-upload", "resize"]
    assert fake_azure.packages[app]["functions"] == expected
    assert result["functions"] == expected
    types = {t for t, _ in fake_azure.resources}
    assert {"Microsoft.Web/sites", "Microsoft.Storage/storageAccounts",
            "Microsoft.EventGrid/systemTopics/eventSubscriptions", "Microsoft.Authorization/roleAssignments"} <= types

    # unchanged: reads and nothing else
    fake_azure.reset_calls()
    result = _deploy(cli, small_service, fake_azure)
    assert fake_azure.mutating_calls() == []
    assert result["infrastructure"] == "unchanged" and result["code"] == "unchanged"
    # the deployment's template tag matches: a GET decides, no what-if needed
    assert not any(p.endswith("/whatIf") for _, p in fake_azure.calls)
    plan = cli("plan", "-p", "azure", "--endpoint-url", fake_azure.url, "--output", "json", cwd=small_service)
    assert plan.returncode == 0, plan.stderr
    assert [a for a in json.loads(plan.stdout)["plans"][0]["actions"] if a["op"] not in ("noop", "skip")] == []

    # a changed handler: only the package is uploaded
    handler = small_service / "src" / "jobs.py"
    handler.write_text(handler.read_text() + "\n# tuned\n")
    fake_azure.reset_calls()
    result = _deploy(cli, small_service, fake_azure)
    assert _puts(fake_azure) == [] and len(_uploads(fake_azure)) == 1
    assert result["infrastructure"] == "unchanged" and result["code"] == "uploaded"

    # a removed function: its identity leaves the template (ARM) and the app no longer indexes it
    manifest = small_service / "sls-neutral.yaml"
    text = manifest.read_text()
    manifest.write_text(text[:text.index("  cleanup:")])
    fake_azure.reset_calls()
    plan = cli("plan", "-p", "azure", "--endpoint-url", fake_azure.url, "--output", "json", cwd=small_service)
    ops = {a["op"] for a in json.loads(plan.stdout)["plans"][0]["actions"]}
    assert "upload" in ops and fake_azure.mutating_calls() == []
    result = _deploy(cli, small_service, fake_azure)
    assert len(_puts(fake_azure)) == 1 and len(_uploads(fake_azure)) == 1
    assert "cleanup" not in fake_azure.packages[app]["functions"]
    assert result["functions"] == ["api-get-photos-id", "api-post-photos", "on-upload", "resize"]


def test_deploy_without_subscription_is_a_user_error(cli, small_service, fake_azure):
    manifest = small_service / "sls-neutral.yaml"
    manifest.write_text(manifest.read_text().replace('subscription_id: "00000000-0000-0000-0000-000000000001", ', ""))
    result = cli("deploy", "-p", "azure", "--endpoint-url", fake_azure.url, cwd=small_service)
    assert result.returncode == 1
    assert "subscription_id" in result.stderr and "Traceback" not in result.stderr
    assert fake_azure.mutating_calls() == []


def test_failed_arm_deployment_is_a_user_error_and_info_reads_state(cli, small_service, fake_azure):
    fake_azure.fail_next_deployment = "StorageAccountAlreadyTaken: the name is taken"
    result = cli("deploy", "-p", "azure", "--endpoint-url", fake_azure.url, cwd=small_service)
    assert result.returncode == 1, result.stdout
    assert "StorageAccountAlreadyTaken" in result.stderr and "Traceback" not in result.stderr
    assert _uploads(fake_azure) == []  # no code goes out when the infrastructure failed
    info = cli("info", "-p", "azure", "--endpoint-url", fake_azure.url, "--output", "json", cwd=small_service)
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["deployed"] is False

    _deploy(cli, small_service, fake_azure)
    info = cli("info", "-p", "azure", "--endpoint-url", fake_azure.url, "--output", "json", cwd=small_service)
    data = json.loads(info.stdout)
    assert data["deployed"] is True and "resize" in data["functions"] and len(data["package_sha256"]) == 64


def test_remove_deletes_the_stage_but_keeps_the_data(cli, small_service, fake_azure):
    result = _deploy(cli, small_service, fake_azure)
    removed = cli("remove", "-p", "azure", "--endpoint-url", fake_azure.url, "--output", "json", cwd=small_service)
    assert removed.returncode == 0, removed.stderr
    data = json.loads(removed.stdout)["results"][0]
    left = {(t, json.loads(n)) for t, n in fake_azure.resources}
    assert ("Microsoft.Web/sites", result["function_app"]) not in left
    assert not any(t == "Microsoft.ManagedIdentity/userAssignedIdentities" for t, _ in left)
    kept = [n for t, n in left if t == "Microsoft.Storage/storageAccounts"]
    assert len(kept) == 1 and any(kept[0] in r for r in data["retained"])  # the data account stays
    assert fake_azure.deployments == {}
    # removing again is harmless
    again = cli("remove", "-p", "azure", "--endpoint-url", fake_azure.url, cwd=small_service)
    assert again.returncode == 0, again.stderr


def _row(ts, name, kind, text, severity=1, op="op-1"):
    return {"timestamp": ts, "itemType": kind, "severityLevel": severity, "operation_Name": name,
            "operation_Id": op, "text": text}


def test_logs_read_application_insights_for_every_azure_function_of_one_function(cli, small_service, fake_azure):
    before = cli("logs", "api", "-p", "azure", "--endpoint-url", fake_azure.url, cwd=small_service)
    assert before.returncode == 1 and "deploy first" in before.stderr and "Traceback" not in before.stderr
    _deploy(cli, small_service, fake_azure)
    fake_azure.telemetry += [
        _row("2026-01-01T00:00:01.0000000Z", "api-post-photos", "trace",
             json.dumps({"level": "info", "message": "stored", "correlation_id": "c-1"})),
        _row("2026-01-01T00:00:02.0000000Z", "api-get-photos-id", "exception", "KeyError: 'id'", 3, "op-2"),
        _row("2026-01-01T00:00:03.0000000Z", "api-get-photos-id", "request", "invocation failed (500) in 12 ms",
             1, "op-2"),
        _row("2026-01-01T00:00:04.0000000Z", "resize", "trace", "not this function's"),
    ]
    fake_azure.reset_calls()
    result = cli("logs", "api", "-p", "azure", "--endpoint-url", fake_azure.url, "--output", "json",
                 cwd=small_service)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in json.loads(result.stdout)]
    assert [(l["azure_function"], l["message"]) for l in lines] == [
        ("api-post-photos", "stored"), ("api-get-photos-id", "KeyError: 'id'"),
        ("api-get-photos-id", "invocation failed (500) in 12 ms")]
    assert lines[0]["correlation_id"] == "c-1" and lines[0]["time"] == "2026-01-01T00:00:01.0000000Z"
    assert lines[1]["level"] == "error" and lines[1]["invocation_id"] == "op-2" and lines[1]["function"] == "api"
    # one query, over both Azure functions the manifest's 'api' became
    assert "operation_Name in ('api-get-photos-id', 'api-post-photos')" in fake_azure.queries[-1]
    assert fake_azure.mutating_calls() == []  # reading logs changes nothing
    text = cli("logs", "resize", "-p", "azure", "--endpoint-url", fake_azure.url, cwd=small_service)
    assert text.returncode == 0 and "not this function's" in text.stdout


def test_logs_since_leaves_out_older_lines(cli, small_service, fake_azure):
    import datetime as dt

    from sls_neutral.core import remote

    _deploy(cli, small_service, fake_azure)
    now = dt.datetime.now(dt.UTC)
    fake_azure.telemetry += [_row(remote.iso(now - dt.timedelta(days=2)), "resize", "trace", "two days ago"),
                             _row(remote.iso(now - dt.timedelta(minutes=5)), "resize", "trace", "five minutes ago")]

    def messages(*since):
        result = cli("logs", "resize", "-p", "azure", "--endpoint-url", fake_azure.url, *since, cwd=small_service)
        assert result.returncode == 0, result.stderr
        return [json.loads(line)["message"] for line in result.stdout.splitlines() if line]

    assert messages() == ["two days ago", "five minutes ago"]  # without --since: Azure's 7 days, as before
    assert "timestamp >=" not in fake_azure.queries[-1]
    assert messages("--since", "1h") == ["five minutes ago"]
    assert "timestamp >= datetime(" in fake_azure.queries[-1]
    assert messages("--since", remote.iso(now - dt.timedelta(days=3))) == ["two days ago", "five minutes ago"]
    assert messages("--since", "2m") == []


def test_logs_tail_follows_new_lines(small_service, fake_azure, cli):
    import os
    import subprocess
    import sys
    import time

    _deploy(cli, small_service, fake_azure)
    fake_azure.telemetry.append(_row("2026-01-01T00:00:01Z", "resize", "trace", "first"))
    proc = subprocess.Popen([sys.executable, "-m", "sls_neutral", "logs", "resize", "--tail", "-p", "azure",
                             "--endpoint-url", fake_azure.url], cwd=small_service, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ})
    try:
        first = json.loads(proc.stdout.readline())
        assert first["message"] == "first"
        fake_azure.telemetry.append(_row("2026-01-01T00:00:01Z", "resize", "trace", "same second", op="op-9"))
        fake_azure.telemetry.append(_row("2026-01-01T00:00:05Z", "resize", "trace", "later"))
        started = time.monotonic()
        following = [json.loads(proc.stdout.readline())["message"] for _ in range(2)]
        assert following == ["same second", "later"] and time.monotonic() - started < 30
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert len([q for q in fake_azure.queries if "timestamp >= datetime(" in q]) >= 1
