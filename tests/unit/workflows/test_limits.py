"""Provider limits of workflows, each reported at the step's position."""

from __future__ import annotations

from sls_neutral.core import ir
from sls_neutral.core.errors import Position
from sls_neutral.core.workflows.build import workflow_limit_diagnostics


def call(name):
    return ir.CallStep(name=name, function="f", result=f"$.{name}")


def workflow(*steps):
    return ir.Workflow(name="w", steps=tuple(steps), source=Position("sls-neutral.yaml", 1, 1))


def test_gcp_parallel_branches_and_concurrency():
    fan = ir.ParallelStep(name="fan", branches=tuple(ir.Branch(f"b{i}", (call(f"c{i}"),)) for i in range(11)),
                          source=Position("sls-neutral.yaml", 12, 7))
    each = ir.MapStep(name="each", items="$.xs", steps=(call("one"),), max_concurrency=25,
                      source=Position("sls-neutral.yaml", 30, 7))
    found = workflow_limit_diagnostics(workflow(fan, each), "gcp")
    assert [(d.code, d.severity, d.position.line) for d in found] == [
        ("gcp-parallel-branches", "error", 12), ("gcp-concurrency", "error", 30)]
    assert "11 declared" in found[0].message


def test_gcp_within_limits_is_clean():
    fan = ir.ParallelStep(name="fan", branches=tuple(ir.Branch(f"b{i}", (call(f"c{i}"),)) for i in range(10)))
    each = ir.MapStep(name="each", items="$.xs", steps=(call("one"),), max_concurrency=20, result=None)
    assert workflow_limit_diagnostics(workflow(fan, each), "gcp") == []


def test_aws_map_concurrency_warning_and_payload_hint():
    each = ir.MapStep(name="each", items="$.xs", steps=(call("one"),), max_concurrency=50, result="$.out",
                      source=Position("sls-neutral.yaml", 9, 7))
    found = workflow_limit_diagnostics(workflow(each), "aws")
    assert [(d.code, d.severity) for d in found] == [("aws-map-concurrency", "warning"), ("aws-payload", "info")]
    assert all(d.position.line == 9 for d in found)
    discarded = ir.MapStep(name="each", items="$.xs", steps=(call("one"),), max_concurrency=40, result=None)
    assert workflow_limit_diagnostics(workflow(discarded), "aws") == []


def test_azure_and_local_have_no_extra_limits():
    each = ir.MapStep(name="each", items="$.xs", steps=(call("one"),), max_concurrency=500, result="$.o")
    assert workflow_limit_diagnostics(workflow(each), "azure") == []
    assert workflow_limit_diagnostics(workflow(each), "local") == []
