"""invoke -p azure reports a failed function (HTTP 500+) and exits 1 - on the FAKE control plane (not Azure).

The fake's app host answers a queued status and body for a path (``app_answers``), as a function that raised
would (the host answers 500). Logs and workflows of Azure are tested in test_azure_deploy.py and
test_azure_runtime_api.py.
"""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.functional]


def test_invoke_of_a_failing_http_function_reports_the_error_and_exits_1(cli, small_service, fake_azure):
    from sls_neutral.core.cli.main import run

    args = ("-p", "azure", "--endpoint-url", fake_azure.url)
    assert run(["deploy", *args, "-c", str(small_service / "sls-neutral.yaml")]) == 0

    from sls_neutral.core.pipeline import Project
    from sls_neutral.core.provider import DeployContext

    project = Project(config=small_service / "sls-neutral.yaml", stage=None, options={})
    provider, app = project.provider("azure"), project.app_for("azure")
    ctx = DeployContext(root=small_service, state_dir=small_service / ".s", build_dir=small_service / ".b",
                        endpoint_url=fake_azure.url)
    fake_azure.app_answers["/photos/42"] = [(500, {"error": "TaskFailed", "cause": "KeyError: 'id'"}),
                                            (502, None)]
    failed = provider.invoke(app, "api", {"path": "/photos/42"}, ctx)
    assert (failed["status"], failed["error"], failed["cause"]) == (500, "TaskFailed", "KeyError: 'id'")
    failed = provider.invoke(app, "api", {"path": "/photos/42"}, ctx)
    assert failed["error"] == "FunctionError" and failed["cause"].startswith("HTTP 502 from api")
    assert provider.invoke(app, "api", {"path": "/photos/42"}, ctx)["status"] == 200  # answers are used once

    fake_azure.app_answers["/photos/7"] = [(500, "Internal Server Error")]
    result = cli("invoke", "api", "--data", '{"path": "/photos/7"}', *args, "--output", "json", cwd=small_service)
    assert result.returncode == 1, result.stderr
    assert "error: function 'api' failed: FunctionError: HTTP 500 from api" in result.stderr
    assert json.loads(result.stdout)["status"] == 500 and "Traceback" not in result.stderr
