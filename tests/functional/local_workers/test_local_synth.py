"""synthesize/invoke_in_process: the payload each trigger would send, and one in-process run."""

from __future__ import annotations

import json
import os
import sys

import pytest

from sls_neutral.core.errors import SlsnError
from sls_neutral.providers.local.synth import invoke_in_process, synthesize


def test_http_uses_the_first_route_and_fills_path_params(app):
    kind, payload = synthesize(app, "items", {"id": 7, "name": "x"})
    assert kind == "http"
    assert payload["path"] == "/items/7" and payload["path_params"] == {"id": "7"}
    assert payload["route"] == "GET /items/{id}" and payload["method"] == "GET"
    assert payload["headers"]["content-type"] == "application/json"


def test_http_route_param_missing_is_a_user_error(app):
    with pytest.raises(SlsnError, match="needs id") as info:
        synthesize(app, "items", {})
    assert "--data" in info.value.hint


@pytest.mark.parametrize("function, data, event_type, source_end", [
    ("consume", {"n": 1}, "sls.queue.message", "/queues/jobs"),
    ("tick", None, "sls.schedule.tick", "/schedules/tick"),
    ("upload", {"key": "a.txt"}, "sls.bucket.object.created", "/buckets/files"),
])
def test_events_carry_the_trigger_type(app, function, data, event_type, source_end):
    kind, payload = synthesize(app, function, data)
    assert kind == "event"
    event = payload["event"]
    assert event["type"] == event_type and event["source"].endswith(source_end) and event["specversion"] == "1.0"
    if function == "upload":
        assert event["data"] == {"bucket": "files", "key": "a.txt", "size": 0, "etag": ""}
    elif function == "consume":
        assert event["data"] == {"n": 1}


def test_bucket_event_needs_a_key(app):
    with pytest.raises(SlsnError, match="needs the object key"):
        synthesize(app, "upload", {"nope": 1})


def test_function_without_trigger_gets_a_step_input(app):
    assert synthesize(app, "step", {"n": 2}) == ("step", {"input": {"n": 2}, "correlation_id": None})


def test_unknown_function_suggests_a_name(app):
    with pytest.raises(SlsnError, match="not declared") as info:
        synthesize(app, "helo", None)
    assert "hello" in info.value.hint


def test_invoke_in_process_runs_and_restores_the_process(app, service, state_dir):
    env_before, cwd_before, path_before = dict(os.environ), os.getcwd(), list(sys.path)
    result = invoke_in_process(app, "hello", None, state_dir)
    assert result["status"] == 200
    assert result["body"]["env"]["GREETING"] == "hi" and result["body"]["pid"] == os.getpid()
    assert result["body"]["cwd"] == str(service.resolve())
    assert dict(os.environ) == env_before and os.getcwd() == cwd_before and sys.path == path_before
    assert not any(name == "src.handlers" for name in sys.modules)


def test_invoke_in_process_steps_events_and_errors(app, state_dir):
    assert invoke_in_process(app, "step", {"n": 4}, state_dir=state_dir)["result"]["doubled"] == 8
    assert invoke_in_process(app, "step", {"fail": True, "sku": 1}, state_dir) == \
        {"error": "OutOfStock", "cause": "sku 1"}
    assert invoke_in_process(app, "upload", {"key": "a.txt"}, state_dir) == {"ok": True}


def test_invoke_in_process_uses_the_local_store_and_enforces_grants(app, service, state_dir):
    from sls_neutral.providers.local.store import LocalStore

    result = invoke_in_process(app, "writer", {"key": "notes/a.txt", "text": "hello"}, state_dir, root=service)
    assert result == {"result": "hello"}
    assert LocalStore(state_dir).bucket_get("files", "notes/a.txt") == b"hello"
    denied = invoke_in_process(app, "writer", {"key": "b.txt", "text": "x", "sneaky": True}, state_dir)
    assert denied["error"] == "TaskFailed"
    assert "PermissionDenied" in denied["cause"] and "queue:jobs:send" in denied["cause"]


def test_invoke_in_process_times_out(app, state_dir):
    result = invoke_in_process(app, "slow", {"sleep": 5}, state_dir)
    assert result["error"] == "Timeout" and "1 s" in result["cause"]


@pytest.mark.functional
def test_cli_invoke_local_runs_the_handler_with_synthesized_input(cli, service):
    done = cli("invoke", "-p", "local", "items", "--data", '{"id": 5}', "--output", "json", cwd=service)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == 201 and result["body"]["id"] == "5" and result["body"]["route"] == "GET /items/{id}"
    missing = cli("invoke", "-p", "local", "items", "--data", "{}", cwd=service)
    assert missing.returncode == 1 and "needs id" in missing.stderr + missing.stdout
    assert "Traceback" not in missing.stderr
