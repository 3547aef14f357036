"""invoke and workflow start/status/history against a deployed app - on the FAKE control plane.

The fake's app host runs nothing; these tests pin the calls: keys from ARM listkeys, the admin endpoint with
the master key for non-HTTP functions, the route for HTTP functions, the Durable HTTP API with its system key.
"""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.functional]


def _deployed(cli, root, fake):
    result = cli("deploy", "-p", "azure", "--endpoint-url", fake.url, "--output", "json", cwd=root)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["results"][0]


def test_invoke_http_and_queue_functions(cli, small_service, fake_azure):
    _deployed(cli, small_service, fake_azure)
    args = ("-p", "azure", "--endpoint-url", fake_azure.url, "--output", "json")
    http = cli("invoke", "api", "--data", '{"path": "/photos/42"}', *args, cwd=small_service)
    assert http.returncode == 0, http.stderr
    assert json.loads(http.stdout)["body"] == {"method": "POST", "path": "/photos/42"}
    queue = cli("invoke", "resize", "--data", '{"bucket": "photos", "key": "a.jpg"}', *args, cwd=small_service)
    assert queue.returncode == 0, queue.stderr
    method, path, body, _, key = fake_azure.app_calls[-1]
    assert (method, path, key) == ("POST", "/admin/functions/resize", "fake-master-key")
    assert json.loads(json.loads(body)["input"]) == {"bucket": "photos", "key": "a.jpg"}
    params = cli("invoke", "api", *args, cwd=small_service)  # the first route has no parameters: fine
    assert params.returncode == 0, params.stderr


def test_workflow_start_status_history(cli, service_copy, fake_azure, azure_env):
    try:
        from sls_neutral.core.workflows.durable import compile_durable  # noqa: F401
    except ImportError:
        pytest.skip("the Durable compiler is not installed yet")
    root = service_copy("reference")
    _deployed(cli, root, fake_azure)
    args = ("-p", "azure", "--endpoint-url", fake_azure.url, "--output", "json")
    started = cli("workflow", "start", "process-order", "--input", '{"order": {"id": "o1", "amount": 5}}', *args,
                  cwd=root)
    assert started.returncode == 0, started.stderr
    execution = json.loads(started.stdout)["execution_id"]
    method, path, body, query, _ = fake_azure.app_calls[-1]
    assert (method, path, query["code"]) == ("POST", "/runtime/webhooks/durabletask/orchestrators/process-order",
                                             "fake-durabletask-key")
    sent = json.loads(body)
    assert sent["order"] == {"id": "o1", "amount": 5} and sent["_slsn"]["correlation_id"]
    status = cli("workflow", "status", execution, *args, cwd=root)
    assert json.loads(status.stdout)["status"] == "SUCCEEDED"
    history = cli("workflow", "history", execution, *args, cwd=root)
    assert [e["type"] for e in json.loads(history.stdout)] == ["ExecutionStarted", "ExecutionCompleted"]
    waited = cli("workflow", "start", "process-order", "--wait", *args, cwd=root)
    assert waited.returncode == 0 and json.loads(waited.stdout)["status"] == "SUCCEEDED"
