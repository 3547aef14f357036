"""Cloud Workflows output: valid against ../shared/schemas/gcp-workflows.schema.json, deterministic, as documented."""

from __future__ import annotations

import json

import pytest

from sls_neutral.core import ir
from sls_neutral.core.workflows.gcp import compile_gcp, gcp_approximations, to_yaml

from .compiled_workflows import shared_path
from .compiled_workflows import REPO, all_workflows, function_url

WORKFLOWS = all_workflows()


def _load(text: str):
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(text)


@pytest.fixture(scope="module")
def validator():
    import jsonschema

    schema = json.loads(shared_path("schemas", "gcp-workflows.schema.json").read_text())
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_every_compiled_workflow_validates_against_the_schema(name, validator):
    text = to_yaml(compile_gcp(WORKFLOWS[name], function_url))
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(_load(text))]
    assert errors == []


def test_the_schema_check_is_not_vacuous(validator):
    definition = _load(to_yaml(compile_gcp(WORKFLOWS["sequence"], function_url)))
    definition["main"]["steps"][1]["first"]["bogus"] = 1
    assert list(validator.iter_errors(definition))


def test_yaml_is_deterministic():
    wf = WORKFLOWS["reference-process-order"]
    assert to_yaml(compile_gcp(wf, function_url)) == to_yaml(compile_gcp(wf, function_url))


def test_call_is_an_oidc_post_whose_errors_are_normalised():
    d = compile_gcp(WORKFLOWS["sequence"], function_url)
    first = d["main"]["steps"][1]["first"]
    assert first["try"]["call"] == "http.post"
    assert first["try"]["args"]["auth"] == {"type": "OIDC"}
    assert first["try"]["args"]["url"] == function_url("inc")
    assert first["try"]["args"]["body"] == {"n": '${state["n"]}'}
    assert first["except"]["steps"][0]["first_normalize"]["call"] == "slsn_error"
    assert d["main"]["steps"][2] == {"first_result": {"assign": [{'state["a"]': "${first_response.body}"}]}}


def test_retry_uses_a_name_predicate_and_backoff():
    d = compile_gcp(WORKFLOWS["retry-succeeds-third-attempt"], function_url)
    text = to_yaml(d)
    retry = next(v for s in d["main"]["steps"] for v in s.values() if isinstance(v, dict) and "retry" in v)["retry"]
    assert retry["max_retries"] >= 1 and set(retry["backoff"]) == {"initial_delay", "max_delay", "multiplier"}
    predicate = retry["predicate"][2:-1]
    assert predicate in d and "err.error in" in text


def test_approximations_are_reported_for_lint():
    notes = gcp_approximations(WORKFLOWS["reference-process-order"])
    assert any("jitter" in n for n in notes)
    assert any("fail-fast" in n for n in notes)
    plain = ir.Workflow(name="w", steps=(ir.SetStep(name="s", assignments=(("$.a", 1),)),), timeout=0)
    assert gcp_approximations(plain) == []


def test_golden_reference_process_order(golden):
    golden(REPO / "tests" / "golden" / "workflows" / "process-order.gcp.yaml",
           to_yaml(compile_gcp(WORKFLOWS["reference-process-order"], function_url)))


def test_limit_diagnostics_include_limits_and_approximations():
    from sls_neutral.core.workflows.gcp import workflow_limit_diagnostics

    wide = ir.ParallelStep(name="p", branches=tuple(
        ir.Branch(f"b{i}", (ir.SetStep(name=f"s{i}", assignments=(("$.x", i),)),)) for i in range(11)), result=None)
    found = workflow_limit_diagnostics(ir.Workflow(name="w", steps=(wide,)), "gcp")
    codes = [d.code for d in found]
    assert "gcp-parallel-branches" in codes and "gcp-approximation" in codes
    assert all(d.severity == "info" for d in found if d.code == "gcp-approximation")
