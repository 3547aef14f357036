"""Workflows on a running local deployment: the http trigger answers 202 with an execution id, and a
handler's ctx.workflow(...).start() is picked up by the runtime's engine."""

import json

import pytest

from local_helpers import http, wait_for

pytestmark = [pytest.mark.functional]

MANIFEST = """service: flows
runtime: python3.12
provider: local
functions:
  double:
    handler: src/steps.py:double
  kick:
    handler: src/steps.py:kick
    permissions: [workflow:calc:start]
    triggers:
      - http: {method: POST, path: /kick}
workflows:
  calc:
    triggers:
      - http: {method: POST, path: /calc}
    steps:
      - twice: {call: double, result: $.doubled}
      - done: {return: {value: $.doubled.value}}
"""
STEPS = """def double(input, ctx):
    return {"value": input["value"] * 2}


def kick(request, ctx):
    return {"execution_id": ctx.workflow("calc").start({"value": 21})}
"""


def test_workflow_http_trigger_and_start_from_a_handler(tmp_path, deployed, cli):
    pytest.importorskip("sls_neutral.core.workflows.engine", reason="the workflow engine is not installed")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "steps.py").write_text(STEPS)
    (tmp_path / "sls-neutral.yaml").write_text(MANIFEST)
    port, _ = deployed(tmp_path, "--no-lint")

    status, body = http(port, "POST", "/calc", body=b'{"value": 5}')
    assert status == 202, body
    first = json.loads(body)["execution_id"]
    status, body = http(port, "POST", "/kick")
    assert status == 200, body
    second = json.loads(body)["execution_id"]

    def finished(execution_id):
        def check():
            out = cli("workflow", "status", execution_id, "--output", "json", cwd=tmp_path)
            data = json.loads(out.stdout) if out.returncode == 0 else {}
            return data if data.get("status") in ("SUCCEEDED", "FAILED", "TIMED_OUT") else None
        return check

    assert wait_for(finished(first), 30, 0.3, "the http-started execution")["output"] == {"value": 10}
    assert wait_for(finished(second), 30, 0.3, "the handler-started execution")["output"] == {"value": 42}
