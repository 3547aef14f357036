"""The generated orchestrator of the reference example's process-order, pinned as a golden file."""

from __future__ import annotations

from sls_neutral.core.workflows.durable import compile_durable, render_orchestrator_module

from .compiled_workflows import REPO, reference_workflow


def test_golden_reference_process_order(golden):
    source = compile_durable(reference_workflow(), "slsn-step")
    assert render_orchestrator_module(reference_workflow(), "slsn-step") == source
    golden(REPO / "tests" / "golden" / "workflows" / "process-order.durable.py", source)


def test_activity_name_may_be_a_function_of_the_step_function():
    source = compile_durable(reference_workflow(), lambda function: "slsn-step")
    assert "ACTIVITY = 'slsn-step'" in source
