"""`sls-neutral invoke -p local` exits 1 when the function failed, naming the error and its cause."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.functional]

SERVICE = """\
service: boom
runtime: python3.12
provider: local
functions:
  charge:
    handler: src/app.py:charge
"""

HANDLER = """\
from sls_neutral.runtime import StepError


def charge(input, ctx):
    if input.get("amount", 0) > 100:
        raise StepError("PaymentDeclined", "over the limit")
    return {"charged": input.get("amount", 0)}
"""


def test_invoke_exits_1_with_the_error_name_and_cause(cli, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    (tmp_path / "sls-neutral.yaml").write_text(SERVICE)
    ok = cli("invoke", "charge", "--data", '{"amount": 5}', "--output", "json", cwd=tmp_path)
    assert ok.returncode == 0 and json.loads(ok.stdout) == {"result": {"charged": 5}}, ok.stderr
    failed = cli("invoke", "charge", "--data", '{"amount": 500}', cwd=tmp_path)
    assert failed.returncode == 1
    assert "error: function 'charge' failed: PaymentDeclined: over the limit" in failed.stderr
    assert json.loads(failed.stdout) == {"error": "PaymentDeclined", "cause": "over the limit"}
