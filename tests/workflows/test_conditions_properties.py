"""Property tests: the condition printer round-trips and evaluation fails only with ConditionEvalError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from sls_neutral.core.workflows.conditions import (ConditionEvalError, evaluate, evaluate_condition,
                                                   parse_condition, to_text)

from .strategies import conditions, states

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(conditions)
def test_printed_conditions_reparse_to_the_same_tree(tree):
    assert parse_condition(to_text(tree)) == tree


@SETTINGS
@given(conditions, states)
def test_evaluation_only_fails_with_condition_eval_error(tree, state):
    try:
        verdict = evaluate_condition(tree, state)
    except ConditionEvalError:
        return
    assert isinstance(verdict, bool)
    assert verdict == evaluate(tree, state)
