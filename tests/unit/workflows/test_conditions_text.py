"""Condition grammar: precedence, evaluation rules and the canonical printer."""

from __future__ import annotations

import pytest

from sls_neutral.core.workflows.conditions import (And, Compare, ConditionError, ConditionEvalError, Literal,
                                                   Not, Or, PathRef, evaluate_condition, parse_condition,
                                                   to_text)


def test_precedence_or_and_not_compare():
    tree = parse_condition("not $.a == 1 or $.b and ($.c or $.d)")
    assert tree == Or((Not(Compare("==", PathRef("$.a"), Literal(1))),
                       And((PathRef("$.b"), Or((PathRef("$.c"), PathRef("$.d")))))))
    assert to_text(tree) == "not $.a == 1 or $.b and ($.c or $.d)"


@pytest.mark.parametrize("text,state,verdict", [
    ("$.n == 1.0", {"n": 1}, True),
    ("$.n != '1'", {"n": 1}, True),
    ("$.s < 'b'", {"s": "a"}, True),
    ("$.v == null", {"v": None}, True),
    ("exists($.a[1]) and $.a[1] >= 2", {"a": [0]}, False),
    ("not exists($.x)", {}, True),
    ("$.t == true or $.missing", {"t": True}, True),  # or stops at the first true operand
])
def test_evaluation(text, state, verdict):
    assert evaluate_condition(parse_condition(text), state) is verdict


@pytest.mark.parametrize("text,state,message", [
    ("$.missing > 1", {}, "does not exist"),
    ("$.n < 'a'", {"n": 1}, "both sides"),
    ("$.n", {"n": 3}, "true or false"),
    ("not $.s", {"s": "x"}, "true or false"),
])
def test_evaluation_errors(text, state, message):
    with pytest.raises(ConditionEvalError, match=message):
        evaluate_condition(parse_condition(text), state)


@pytest.mark.parametrize("text,message", [
    ("", "empty"), ("$.a ==", "ends too early"), ("1 < $.a < 3", "chained"), ("$.a == yes", "unknown word"),
    ("exists(1)", "state path"), ("($.a", "ends too early"),
])
def test_parse_errors(text, message):
    with pytest.raises(ConditionError, match=message):
        parse_condition(text)


def test_printer_escapes_strings_and_keeps_float_kind():
    tree = Compare("==", PathRef("$.s"), Literal("it's \\ ok"))
    assert to_text(tree) == "$.s == 'it\\'s \\\\ ok'"
    assert parse_condition(to_text(tree)) == tree
    assert to_text(Literal(2.0)) == "2.0" and isinstance(parse_condition("2.0").value, float)
    with pytest.raises(ConditionError):
        to_text(Literal(float("nan")))
