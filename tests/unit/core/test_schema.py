import pytest
from pydantic import ValidationError

from sls_neutral.core.manifest.schema import Manifest, StepBody


def test_trigger_union_names_one_variant():
    with pytest.raises(ValidationError) as info:
        Manifest.model_validate({"service": "s", "functions": {"f": {"handler": "a.py:h",
                                                                     "triggers": [{"queue": {"nam": "q"}}]}}})
    locs = [e["loc"] for e in info.value.errors()]
    assert all("http" not in loc for loc in locs), locs


def test_step_needs_one_kind():
    with pytest.raises(ValidationError):
        StepBody.model_validate({"call": "f", "wait": {"seconds": 1}})
    assert StepBody.model_validate({"call": "f", "result": None}).has("result")


def test_step_qualifiers_must_fit_the_kind():
    with pytest.raises(ValidationError) as info:
        StepBody.model_validate({"set": {"$.a": 1}, "retry": [{}]})
    assert "do not take" in str(info.value)


def test_defaults_are_parsed_once():
    m = Manifest.model_validate({"service": "s", "defaults": {"memory": "1GB", "timeout": "2m"}})
    assert m.defaults.memory == 1024 and m.defaults.timeout == 120.0
