"""plain_jsonable must return exactly what ir.to_jsonable returns (values, types and key order)."""

import json
from pathlib import Path
from types import MappingProxyType

from sls_neutral.core import ir
from sls_neutral.providers.local.jsonable import plain_jsonable
from sls_neutral.providers.local.provider import deployment_description


def same(value):
    expected = ir.to_jsonable(value)
    got = plain_jsonable(value)
    assert got == expected
    assert json.dumps(got) == json.dumps(expected)  # key order and int/float kinds too


def test_plain_values_dicts_and_dataclasses_match_to_jsonable(photo_app):
    same({"b": 1.0, "a": [1.5, (2.0, None)], "c": {"z": True, "y": "s"}})
    same({2: "int key", "1": "str key", 1.0: "float key"})
    same(MappingProxyType({"b": 1, "a": 2.0}))
    same([Path("a/b"), ir.ScheduleTrigger(cron=None, rate=60.0, data={"k": 1.0})])
    same(ir.CallStep("resize", "resize", input={"b": 2.0}, retry=(ir.Retry(max_delay=30.0),)))  # "type" first
    for fn in photo_app.functions.values():
        same(fn)


def test_the_description_is_to_jsonable_of_its_parts(photo_app):
    description = deployment_description(photo_app)
    same(description)
    assert json.dumps(description) == json.dumps(description, sort_keys=True)  # every mapping sorted, as before
    assert description["functions"]["audit"]["triggers"] == [{"kind": "topic", "topic": "photo-events"}]
