"""The malformed-manifest corpus: every case exits 1 at the right file:line, with no traceback.

Cases live in tests/golden/errors/<case>.yaml (written by make_cases.py there);
the rendered diagnostics are goldens (<case>.expected, rewritten by
--update-goldens). EXPECTED_LINE is the reviewed line of the first diagnostic:
a golden says the output changed, this table says where the error must point.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sls_neutral.core.cli.main import run

CASES_DIR = Path(__file__).resolve().parent.parent / "golden" / "errors"
CASES = sorted(p.stem for p in CASES_DIR.glob("*.yaml"))

EXPECTED_LINE = {
    "bad-cron-fields": 6,
    "bad-cron-value": 6,
    "bad-duration": 5,
    "bad-duration-negative": 5,
    "bad-duration-nan": 5,
    "bad-handler-format": 4,
    "bad-http-method": 6,
    "bad-http-path": 6,
    "bad-http-path-param": 6,
    "bad-plugin": 2,
    "bad-rate": 6,
    "bad-runtime": 2,
    "bad-schedule-both": 6,
    "bad-scope-action": 7,
    "bad-scope-format": 5,
    "bad-scope-kind": 5,
    "bad-service-name": 1,
    "bad-size": 5,
    "bad-size-fraction": 5,
    "bad-timezone": 6,
    "batch-size-range": 8,
    "dlq-max-receives": 4,
    "dlq-name-clash": 5,
    "duplicate-route": 10,
    "env-bad-name": 6,
    "handler-escapes-root": 4,
    "handler-file-missing": 4,
    "handler-function-missing": 4,
    "lint-ignore-no-reason": 6,
    "missing-service": 1,
    "secret-embedded": 8,
    "stage-undeclared-function": 8,
    "topic-undeclared-queue": 4,
    "typo-defaults-key": 3,
    "typo-function-key": 5,
    "typo-queue-key": 4,
    "typo-stage-block": 4,
    "typo-top-level": 2,
    "typo-trigger-key": 6,
    "typo-trigger-kind": 6,
    "typo-workflow-step-kind": 8,
    "undeclared-bucket-trigger": 6,
    "undeclared-queue-trigger": 8,
    "undeclared-scope": 7,
    "undeclared-secret-env": 6,
    "undeclared-topic-trigger": 6,
    "var-env-unset": 6,
    "var-file-missing": 6,
    "var-param-undefined": 6,
    "var-self-missing": 6,
    "var-unknown-source": 6,
    "var-unterminated": 6,
    "workflow-bad-condition": 10,
    "workflow-bad-path": 8,
    "workflow-duplicate-step": 9,
    "workflow-no-steps": 4,
    "workflow-retry-range": 8,
    "workflow-return-in-parallel": 11,
    "workflow-two-kinds": 8,
    "workflow-undeclared-call": 8,
    "workflow-wait-until": 5,
    "yaml-duplicate-function": 5,
    "yaml-duplicate-key": 6,
    "yaml-empty": 1,
    "yaml-not-mapping": 1,
    "yaml-syntax-unclosed-flow": 3,
    "yaml-tab-indent": 3
}


def test_corpus_is_large_and_fully_reviewed():
    assert len(CASES) >= 40
    assert set(CASES) == set(EXPECTED_LINE), "every case needs a reviewed line in EXPECTED_LINE"


@pytest.mark.parametrize("case", CASES)
def test_malformed_manifest(case, monkeypatch, capsys, golden):
    monkeypatch.chdir(CASES_DIR)
    monkeypatch.delenv("SLSN_DEBUG", raising=False)
    monkeypatch.delenv("SLSN_TEST_SURELY_UNSET", raising=False)
    code = run(["validate", "-c", f"{case}.yaml"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err
    first = err.splitlines()[0]
    match = re.match(rf"{re.escape(case)}\.yaml:(\d+):(\d+): error: ", first)
    assert match, first
    assert int(match.group(1)) == EXPECTED_LINE[case], first
    golden(CASES_DIR / f"{case}.expected", err)


def test_subprocess_renders_one_message_without_traceback(cli):
    result = cli("validate", "-c", str(CASES_DIR / "typo-function-key.yaml"), cwd=CASES_DIR)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "typo-function-key.yaml:5:5: error: unknown key 'memroy'" in result.stderr
    assert "did you mean 'memory'?" in result.stderr


def test_debug_shows_traceback(cli):
    result = cli("validate", "-c", str(CASES_DIR / "typo-function-key.yaml"), cwd=CASES_DIR,
                 env={"SLSN_DEBUG": "1"})
    assert result.returncode == 1
    assert "Traceback" in result.stderr
