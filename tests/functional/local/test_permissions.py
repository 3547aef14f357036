"""A handler touching a resource it did not declare gets PermissionDenied: HTTP 500 and a clear log line."""

import json

import pytest

from local_helpers import http, state_dir

pytestmark = [pytest.mark.functional]

MANIFEST = """service: perms
runtime: python3.12
provider: local
queues:
  allowed: {}
  secret-jobs: {}
functions:
  api:
    handler: src/api.py:handle
    permissions: [queue:allowed:send]
    triggers:
      - http: {method: POST, path: /allowed}
      - http: {method: POST, path: /sneaky}
"""
HANDLER = """from sls_neutral.runtime import PermissionDenied


def handle(request, ctx):
    name = "allowed" if request.path == "/allowed" else "secret-jobs"
    return {"id": ctx.queue(name).send({"x": 1})}
"""


def test_undeclared_resource_is_denied(tmp_path, deployed):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "api.py").write_text(HANDLER)
    (tmp_path / "sls-neutral.yaml").write_text(MANIFEST)
    port, _ = deployed(tmp_path, "--no-lint")
    status, body = http(port, "POST", "/allowed")
    assert status == 200 and json.loads(body)["id"]
    status, body = http(port, "POST", "/sneaky")
    assert status == 500 and json.loads(body)["error"] == "PermissionDenied"
    log = (state_dir(tmp_path) / "logs" / "api.log").read_text()
    denied = [json.loads(l) for l in log.splitlines() if "PermissionDenied" in l]
    assert denied and "secret-jobs" in denied[-1]["cause"]
    from sls_neutral.providers.local.store import LocalStore

    assert LocalStore(state_dir(tmp_path)).depth("secret-jobs")["total"] == 0
