"""``validate -p X`` reports each provider's workflow limits at the step's file:line.

Errors fail (exit 1); warnings print on stderr and still exit 0, and appear in ``--output json``.
"""

from __future__ import annotations

import json

BRANCHES = "\n".join(f"            - b{i}: {{call: f}}" for i in range(11))
MANIFEST = f"""service: limits
runtime: python3.12
functions:
  f:
    handler: src/h.py:h
workflows:
  wf:
    steps:
      - wide:
          parallel:
{BRANCHES}
      - many:
          map: {{items: $.xs, max_concurrency: 50, steps: [{{one: {{call: f}}}}]}}
"""


def _service(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "h.py").write_text("def h(event, ctx):\n    return event\n")
    (tmp_path / "sls-neutral.yaml").write_text(MANIFEST)
    return tmp_path


def test_gcp_refuses_eleven_branches_and_concurrency_fifty(cli, tmp_path):
    result = cli("validate", "-p", "gcp", cwd=_service(tmp_path))
    assert result.returncode == 1
    assert "sls-neutral.yaml:9:9: error: workflow 'wf', step 'wide': Cloud Workflows runs at most 10 parallel " \
           "branches (11 declared)" in result.stderr
    assert "sls-neutral.yaml:22:9: error: workflow 'wf', step 'many': Cloud Workflows runs at most 20" in result.stderr
    assert "Traceback" not in result.stderr


def test_aws_warns_about_inline_map_concurrency_and_still_passes(cli, tmp_path):
    result = cli("validate", "-p", "aws", cwd=_service(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "sls-neutral.yaml:22:9: warning: workflow 'wf', step 'many': an inline Map runs at most 40" in result.stderr

    as_json = cli("validate", "-p", "aws", "--output", "json", cwd=tmp_path)
    data = json.loads(as_json.stdout)
    assert any(w["severity"] == "warning" and w["line"] == 22 for w in data["warnings"])
