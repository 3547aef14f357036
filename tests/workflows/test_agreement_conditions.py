"""The three condition targets agree with the Python evaluator on random condition trees and states.

Where the DSL raises (a missing path, or ``<`` across kinds), the targets may only differ as documented in
docs/workflows.md: a missing path is an error everywhere; ``<`` across kinds is an error locally and on Cloud
Workflows, and false on Step Functions (ASL comparisons of the wrong type are false).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from sls_neutral.core.workflows import conditions as c
from sls_neutral.core.workflows.asl import choice_rule
from sls_neutral.core.workflows.durable import encode_condition
from sls_neutral.core.workflows.gcp import condition_expr, condition_program

from .behaviours import Behaviours
from .condition_evaluators import TargetError, eval_asl_rule, eval_gcp_expr
from .gcp_interpreter import Interpreter
from .condition_strategies import conditions, states


def _python(tree, state):
    try:
        return ("ok", c.evaluate(tree, state))
    except c.ConditionEvalError as exc:
        return ("error", str(exc))


def _target(fn):
    try:
        return ("ok", fn())
    except TargetError as exc:
        return ("error", str(exc))


def _gcp_program(tree, state):
    """A switch with and/or on Cloud Workflows: the condition computed by steps, run by the test interpreter."""
    steps = [{"init": {"assign": [{"state": "${args}"}]}}, *condition_program(tree, "verdict", "state"),
             {"done": {"return": "${verdict}"}}]
    run = Interpreter({"main": {"params": ["args"], "steps": steps}}, Behaviours({}), {}).run(state)
    return ("ok", run.output) if run.error is None else ("error", str(run.error))


def _durable(tree, state):
    """The evaluator embedded in every generated orchestrator, on the encoded tree it ships."""
    from sls_neutral.core.workflows import durable_runtime as rt

    try:
        return ("ok", rt._truthy(rt.evaluate(encode_condition(tree), state)))
    except rt.StepFailure as exc:
        return ("error", exc.cause)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=conditions, state=states())
def test_condition_targets_agree(text, state):
    tree = c.parse_condition(text)
    expected = _python(tree, state)
    if expected[0] == "ok" and not isinstance(expected[1], bool):
        expected = ("error", "not a boolean")  # a bare literal/path as a condition must be a boolean
    asl = _target(lambda: eval_asl_rule(choice_rule(tree), state))
    gcp = _target(lambda: eval_gcp_expr(condition_expr(tree, "state"), {"state": state}))
    durable = _durable(tree, state)
    program = _gcp_program(tree, state)
    if program[0] == "ok" and not isinstance(program[1], bool):
        program = ("error", "not a boolean")
    if expected[0] == "ok":
        assert program == expected, (text, state)
        assert asl == expected, (text, state)
        assert gcp == expected, (text, state)
        assert durable == expected, (text, state)
    else:
        assert program[0] == "error", (text, state)
        assert durable[0] == "error", (text, state)
        assert gcp[0] == "error", (text, state)
        if "does not exist" in expected[1]:
            assert asl[0] == "error", (text, state)


def test_documented_asl_difference_is_only_for_kind_mismatches():
    tree = c.parse_condition("$.a < 3")
    assert _python(tree, {"a": "x"})[0] == "error"
    assert eval_asl_rule(choice_rule(tree), {"a": "x"}) is False
