"""The pydantic-free manifest check (core/manifest/plain.py) declares the same fields and defaults as the
pydantic models (core/manifest/schema.py); its verdicts are compared in tests/functional/test_plain_manifest.py."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from sls_neutral.core.manifest import plain, rules, schema


def normalized(value):
    """A value with its type, so 30 and 30.0 differ; models and blocks as (name, fields, fields given)."""
    if isinstance(value, BaseModel):
        return (type(value).__name__, {k: normalized(getattr(value, k)) for k in type(value).model_fields},
                frozenset(value.model_fields_set))
    if isinstance(value, plain.Block):
        fields = {k: v for k, v in vars(value).items() if k not in ("model_fields_set", "model_name")}
        return (value.model_name, {k: normalized(v) for k, v in fields.items()}, frozenset(value.model_fields_set))
    if isinstance(value, dict):
        return {normalized(k): normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return (type(value).__name__, value)


def test_every_model_has_a_table():
    models = {name for name, obj in vars(schema).items()
              if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == schema.__name__
              and obj is not schema.Strict}
    assert {m.name for m in plain.MODELS} == models


@pytest.mark.parametrize("table", plain.MODELS, ids=lambda m: m.name)
def test_fields_required_aliases_and_defaults_match_the_model(table):
    model = getattr(schema, table.name)
    assert set(table.fields) == set(model.model_fields)
    for name, info in model.model_fields.items():
        _, default = table.fields[name]
        assert (default is plain.REQUIRED) == info.is_required(), name
        assert info.alias == plain.ALIASES.get(name), name
        if info.is_required():
            continue
        expected = info.default_factory() if info.default_factory is not None else info.default
        assert expected is not PydanticUndefined
        actual = default() if callable(default) else default
        assert normalized(actual) == normalized(expected), name


def test_the_block_tables_fill_defaults_like_the_models():
    from pydantic import ValidationError

    checked = 0
    for table in plain.MODELS:
        model = getattr(schema, table.name)
        try:
            expected = model.model_validate({})
        except ValidationError:  # a required field, or a model rule such as "exactly one of cron or rate"
            with pytest.raises(plain.Unsure):
                table({})
            continue
        assert normalized(table({})) == normalized(expected), table.name
        checked += 1
    assert checked >= 10


def test_top_level_keys_are_the_manifest_fields():
    assert rules.TOP_LEVEL_KEYS == tuple(schema.Manifest.model_fields)


def test_a_step_block_answers_like_a_step_model():
    data = {"try": [{"a": {"set": {"$.x": 1}}}], "catch": [{"errors": ["all"]}]}
    block, model = plain.StepBody(data), schema.StepBody.model_validate(data)
    assert (block.kind, block.has("try"), block.has("catch"), block.has("retry"), block._present()) == \
           (model.kind, model.has("try"), model.has("catch"), model.has("retry"), model._present())
    assert block.try_[0]["a"].set == {"$.x": 1}


@pytest.mark.parametrize("data", [
    {"method": "get", "path": "/a"}, {"path": "/users/{id}"}, {"method": "ANY", "path": "/", "cors": True},
])
def test_valid_blocks_are_accepted_with_the_same_values(data):
    assert normalized(plain.HttpTrigger(data)) == normalized(schema.HttpTrigger.model_validate(data))


@pytest.mark.parametrize("data", [
    {"path": "a"}, {"method": "FETCH", "path": "/a"}, {"path": "/a", "cors": "yes"}, {"path": "/a", "bogus": 1},
    {"method": 1, "path": "/a"}, {}, [], None,
])
def test_anything_doubtful_is_left_to_pydantic(data):
    with pytest.raises(plain.Unsure):
        plain.HttpTrigger(data)


def test_a_flat_settings_block_fills_defaults_or_declines():
    fields = {"region": (plain.pattern(r"^[a-z]+-\d$"), "us-1"), "tags": (plain.dict_of(plain.text, plain.text), dict)}
    assert plain.check_flat(fields, {}) == {"region": "us-1", "tags": {}}
    assert plain.check_flat(fields, {"tags": {"a": "b"}}) == {"region": "us-1", "tags": {"a": "b"}}
    assert plain.check_flat(fields, {"region": "US"}) is None
    assert plain.check_flat(fields, {"regoin": "us-1"}) is None
