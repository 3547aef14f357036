"""The local provider through the CLI, without starting a runtime: package, plan, info, errors."""

import json
import socket

import pytest

pytestmark = [pytest.mark.functional]


def test_package_is_byte_stable_and_plan_lists_the_deployment(service_copy, cli):
    root = service_copy("photo-pipeline")
    assert cli("package", cwd=root).returncode == 0
    artifact = root / ".sls-neutral" / "build" / "dev" / "local" / "local" / "deployment.json"
    first = artifact.read_bytes()
    assert cli("package", cwd=root).returncode == 0
    assert artifact.read_bytes() == first
    data = json.loads(first)
    assert str(root) not in first.decode()
    assert sorted(data["topics"]["photo-events"]["functions"]) == ["audit", "notify"]

    plan = cli("plan", cwd=root)
    assert plan.returncode == 0, plan.stderr
    assert "create  local.queue" in plan.stdout and "resize-jobs-dlq" in plan.stdout
    assert "GET /photos/{id}" in plan.stdout


def test_info_before_deploy_and_remove_of_nothing(service_copy, cli):
    root = service_copy("photo-pipeline")
    info = cli("info", "--output", "json", cwd=root)
    assert info.returncode == 0, info.stderr
    data = json.loads(info.stdout)
    assert data["status"] == "not deployed" and data["routes"][0]["url"] is None
    assert {q["name"] for q in data["queues"]} == {"resize-jobs", "resize-jobs-dlq"}
    removed = cli("remove", cwd=root)
    assert removed.returncode == 0 and "nothing deployed locally" in removed.stdout


def test_port_in_use_is_exit_1_with_a_hint(service_copy, cli):
    root = service_copy("photo-pipeline")
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        port = holder.getsockname()[1]
        result = cli("deploy", "--port", str(port), cwd=root)
    finally:
        holder.close()
    assert result.returncode == 1
    assert "already in use" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_logs_of_an_unknown_function(service_copy, cli):
    root = service_copy("photo-pipeline")
    result = cli("logs", "resise", cwd=root)
    assert result.returncode == 1 and "resize" in result.stderr


def test_logs_with_nothing_to_show_print_nothing_and_say_so(service_copy, cli):
    root = service_copy("photo-pipeline")
    text = cli("logs", "resize", "--since", "2026-01-01T00:00:00Z", cwd=root)
    assert text.returncode == 0, text.stderr
    assert text.stdout == ""  # no blank line that reads like a log line
    assert "no log lines for function 'resize' since 2026-01-01T00:00:00" in text.stderr
    as_json = cli("logs", "resize", "--output", "json", cwd=root)
    assert as_json.returncode == 0 and as_json.stdout.strip() == "[]"


def test_foreground_deploy_serves_until_ctrl_c(service_copy):
    pytest.importorskip("sls_neutral.providers.local.workers", reason="the worker pool is not installed")
    import signal
    import subprocess
    import sys

    from local_helpers import free_port, http, wait_for

    root = service_copy("photo-pipeline")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sls_neutral", "deploy", "--port", str(port)], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def up():
            try:
                return http(port, "GET", "/photos/" + "0" * 32, timeout=3)[0] == 404
            except OSError:
                return False
        wait_for(up, 30, 0.1, "the foreground deployment")
        assert (root / ".sls-neutral" / "local" / "dev" / "runtime.json").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert f"http://127.0.0.1:{port}/photos" in out and "stopped" in out
    assert not (root / ".sls-neutral" / "local" / "dev" / "runtime.json").exists()
