"""ASL output: accepted by cfn-lint (E3601 family) and asl-validator, and shaped as docs/workflows.md says."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sls_neutral.core import ir
from sls_neutral.core.workflows.asl import asl_error_names, compile_asl, workflow_limit_diagnostics

from .compiled_workflows import REPO, all_workflows, lambda_arn_ref

CACHE = REPO / "tests" / ".cache" / "asl"
WORKFLOWS = all_workflows()


def _template(definitions: dict[str, dict]) -> str:
    resources = {"Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"},
                                               "Action": "sts:AssumeRole"}]}}}}
    for i, (name, definition) in enumerate(sorted(definitions.items())):
        refs = sorted({f for f in json.dumps(definition).split("${")[1:]})
        subs = {r.split("}")[0]: f"arn:aws:lambda:us-east-1:123456789012:function:{r.split('}')[0]}" for r in refs}
        props = {"Definition": definition, "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]}}
        if subs:
            props["DefinitionSubstitutions"] = subs
        resources[f"Machine{i}"] = {"Type": "AWS::StepFunctions::StateMachine", "Properties": props}
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources})


def _definitions() -> dict[str, dict]:
    return {name: compile_asl(wf, lambda_arn_ref) for name, wf in WORKFLOWS.items()}


def test_cfn_lint_accepts_every_definition():
    from cfnlint.api import lint

    matches = lint(_template(_definitions()), regions=["us-east-1"])
    assert [(m.rule.id, m.message) for m in matches] == []


def test_cfn_lint_would_catch_a_broken_definition():
    """The lint above is not vacuous: a state of an unknown type and a bad retrier are E3601 findings."""
    from cfnlint.api import lint

    broken = compile_asl(WORKFLOWS["retry-succeeds-third-attempt"], lambda_arn_ref)
    first = broken["StartAt"]
    broken["States"][first]["Retry"][0]["IntervalSeconds"] = "soon"
    ids = {m.rule.id for m in lint(_template({"broken": broken}), regions=["us-east-1"])}
    assert any(i.startswith("E36") for i in ids), ids


def _asl_validator() -> Path:
    binary = CACHE / "node_modules" / ".bin" / "asl-validator"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("node/npm are not installed: asl-validator (npm) cannot run")
    CACHE.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), "asl-validator@3"],
                            capture_output=True, text=True, timeout=240)
    if result.returncode != 0 or not binary.exists():
        pytest.skip(f"asl-validator could not be installed from npm: {result.stderr[-300:]}")
    return binary


def test_asl_validator_accepts_every_definition(tmp_path):
    binary = _asl_validator()
    args = [str(binary)]
    for name, definition in sorted(_definitions().items()):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(definition))
        args += ["--json-path", str(path)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_asl_validator_rejects_unreachable_states(tmp_path):
    binary = _asl_validator()
    definition = compile_asl(WORKFLOWS["sequence"], lambda_arn_ref)
    definition["States"]["Orphan"] = {"Type": "Pass", "End": True}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(definition))
    assert subprocess.run([str(binary), "--json-path", str(path)], capture_output=True, timeout=60).returncode != 0


def test_definitions_are_deterministic():
    assert json.dumps(_definitions(), sort_keys=True) == json.dumps(_definitions(), sort_keys=True)


def test_task_invokes_the_lambda_arn_with_named_errors_and_retry():
    d = compile_asl(WORKFLOWS["reference-process-order"], lambda_arn_ref)
    both = d["States"]["fulfil"]["Branches"][0]["States"]["both"]["Branches"][0]["States"]["charge"]
    assert both["Resource"] == "${ChargeCardFunctionArn}"
    assert both["Parameters"] == {"id.$": "$.order.id", "amount.$": "$.order.amount"}
    assert both["ResultPath"] == "$"  # a lone call in a branch gives the branch its result
    assert both["Retry"][0] == {"ErrorEquals": ["PaymentTimeout"], "IntervalSeconds": 2, "MaxAttempts": 4,
                                "BackoffRate": 2.0, "MaxDelaySeconds": 30, "JitterStrategy": "FULL"}
    assert d["TimeoutSeconds"] == 3600


def test_parallel_result_selector_and_try_wrapper():
    d = compile_asl(WORKFLOWS["reference-process-order"], lambda_arn_ref)
    fulfil = d["States"]["fulfil"]
    assert fulfil["Type"] == "Parallel" and fulfil["OutputPath"] == "$[0]"
    assert fulfil["Catch"][0]["ErrorEquals"] == ["PaymentDeclined"] and fulfil["Catch"][0]["ResultPath"] == "$.error"
    inner = fulfil["Branches"][0]["States"]["both"]
    assert inner["ResultSelector"] == {"charge.$": "$[0]", "reserve.$": "$[1]"}
    assert inner["ResultPath"] == "$.fulfilment"


def test_map_item_selector_and_concurrency():
    d = compile_asl(WORKFLOWS["map-nested-parallel"], lambda_arn_ref)
    each = d["States"]["each"]
    assert each["ItemSelector"] == {"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"}
    assert each["MaxConcurrency"] == 2 and each["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}


def test_error_names():
    assert asl_error_names(["all"]) == ["States.ALL"]
    assert asl_error_names(["X", "all", "Y"]) == ["States.ALL"]
    assert asl_error_names(["Timeout"])[0] == "States.Timeout"
    assert "TaskFailed" in asl_error_names(["TaskFailed"]) and "States.TaskFailed" not in asl_error_names(
        ["TaskFailed"])  # States.TaskFailed would also catch every named StepError


def test_return_inside_try_leaves_through_a_marker():
    step = ir.TryStep(name="t", steps=(ir.ReturnStep(name="r", value={"x": "$.a"}),),
                      catches=(ir.Catch(errors=("all",), result=None, steps=()),))
    d = compile_asl(ir.Workflow(name="w", steps=(step, ir.SetStep(name="after", assignments=(("$.b", 1),)))),
                    lambda_arn_ref)
    assert d["States"]["t"]["Next"] == "t.returned"
    assert d["States"]["t.return"] == {"Type": "Pass", "OutputPath": "$.__slsn_return", "End": True}


def test_limit_diagnostics():
    step = ir.MapStep(name="m", items="$.xs", steps=(ir.SetStep(name="s", assignments=(("$.y", 1),)),),
                      max_concurrency=80)
    found = workflow_limit_diagnostics(ir.Workflow(name="w", steps=(step,)))
    concurrency = [d for d in found if d.code == "aws-map-concurrency"]
    assert len(concurrency) == 1 and concurrency[0].severity == "warning"
    timeout = ir.CallStep(name="c", function="f", result=None, timeout=0.5)
    assert [d.code for d in workflow_limit_diagnostics(ir.Workflow(name="w", steps=(timeout,)))] == [
        "aws-timeout-seconds"]


def test_golden_reference_process_order(golden):
    definition = compile_asl(WORKFLOWS["reference-process-order"], lambda_arn_ref)
    golden(REPO / "tests" / "golden" / "workflows" / "process-order.asl.json",
           json.dumps(definition, indent=2, sort_keys=False) + "\n")


def test_statelint_accepts_every_definition():
    """statelint's Python port (PyPI 'statelint', the Ruby gem's rules) on every definition."""
    linter = pytest.importorskip("statelint.linter")
    from statelint.config import Config
    from statelint.problem import ProblemType

    problems = {}
    for name, definition in sorted(_definitions().items()):
        # Resources are ${...} DefinitionSubstitutions placeholders here, not URIs: skip only that rule
        found = linter.Linter.validate(definition, Config({ProblemType.URI}))
        # statelint's Reference Path names exclude '-' (the ASL spec's name grammar); step names may have one
        # and their default result path is $['step-name'], which Step Functions and moto accept
        found = [p for p in found if not re.search(r"""is "\$\['[^']*-[^']*'\]" but should be a Reference Path""", p)]
        if found:
            problems[name] = found
    assert problems == {}


def test_statelint_would_catch_a_broken_definition():
    linter = pytest.importorskip("statelint.linter")
    from statelint.config import Config
    from statelint.problem import ProblemType

    broken = compile_asl(WORKFLOWS["sequence"], lambda_arn_ref)
    broken["States"][broken["StartAt"]]["Next"] = "Nowhere"
    assert linter.Linter.validate(broken, Config({ProblemType.URI}))
