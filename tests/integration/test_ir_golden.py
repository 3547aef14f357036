"""Manifest -> IR (as JSON) goldens for several services, plus what must hold regardless of the goldens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sls_neutral.core import ir
from sls_neutral.core.compiler import compile_app
from sls_neutral.core.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "ir"
CASES = {
    "reference-dev": (REPO / "examples" / "reference", None, {}),
    "reference-prod": (REPO / "examples" / "reference", "prod", {}),
    "minimal": (GOLDEN / "minimal", None, {}),
    "variables-dev": (GOLDEN / "variables", None, {}),
    "variables-prod": (GOLDEN / "variables", "prod", {"region": "eu-west-3"}),
}


def compile_case(name: str) -> ir.App:
    folder, stage, options = CASES[name]
    env = {"AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000"}
    return compile_app(load_manifest(folder / "sls-neutral.yaml", stage=stage, options=options, env=env))


@pytest.mark.parametrize("name", sorted(CASES))
def test_ir_golden(name, golden):
    app = compile_case(name)
    text = json.dumps(ir.to_jsonable(app), indent=2, sort_keys=True) + "\n"
    golden(GOLDEN / "expected" / f"{name}.json", text)


def test_ir_has_no_absolute_paths():
    text = json.dumps(ir.to_jsonable(compile_case("reference-dev")))
    assert str(REPO) not in text


def test_stage_overrides_and_params():
    dev, prod = compile_case("variables-dev"), compile_case("variables-prod")
    assert dev.functions["worker"].environment["LOG_LEVEL"] == "INFO"
    assert prod.functions["worker"].environment["LOG_LEVEL"] == "WARNING"
    assert prod.functions["worker"].timeout == 120.0 and dev.functions["worker"].timeout == 10.0
    assert prod.functions["worker"].memory == 1024 and dev.functions["worker"].memory == 256
    assert prod.functions["worker"].environment["MODE"] == "fast"
    assert prod.functions["worker"].environment["REGION"] == "eu-west-3"
    assert dev.functions["worker"].environment["PREFIX"] == "vars-demo-dev"
    assert dev.functions["worker"].environment["FROM_FILE"] == "42"
    assert dev.functions["worker"].environment["SELF"] == "2m"


def test_secrets_are_references_and_imply_read():
    worker = compile_case("variables-dev").functions["worker"]
    assert "API_KEY" not in worker.environment
    assert worker.secret_environment == {"API_KEY": "api-key"}
    assert ir.Grant("secret", "api-key", "read", implied=True) in worker.grants
    assert ir.Grant("queue", "jobs", "consume", implied=True) in worker.grants


def test_dead_letter_queue_is_created_and_wired():
    app = compile_case("variables-dev")
    assert app.queues["jobs"].dead_letter == "jobs-dlq" and app.queues["jobs"].max_receives == 4
    assert app.queues["jobs-dlq"].dead_letter_for == "jobs" and app.queues["jobs-dlq"].fifo
    assert app.queues["jobs"].subscribed_topics == ("events",)


def test_reference_workflow_tree():
    app = compile_case("reference-dev")
    wf = app.workflows["process-order"]
    assert wf.functions == ("charge-card", "reserve-stock", "validate-order")
    kinds = [s.kind for s in wf.steps]
    assert kinds == ["call", "switch", "try", "return"]
    parallel = wf.steps[2].steps[0]
    assert isinstance(parallel, ir.ParallelStep) and parallel.result == "$.fulfilment"
    assert [b.name for b in parallel.branches] == ["charge", "reserve"]
    charge = parallel.branches[0].steps[0]
    assert charge.retry[0].jitter == "full" and charge.retry[0].max_delay == 30.0
    assert app.functions["charge-card"].workflow_step and not app.functions["api"].workflow_step


def test_positions_point_at_the_manifest():
    app = compile_case("reference-dev")
    assert app.functions["api"].source.line > 1
    assert app.workflows["process-order"].steps[1].source.line > app.workflows["process-order"].source.line
