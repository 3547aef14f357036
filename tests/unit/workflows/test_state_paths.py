"""State paths and templates: reads fail on missing paths, writes create parents, templates resolve deeply."""

from __future__ import annotations

import pytest

from sls_neutral.core.workflows.state import PathError, is_path, read, resolve, write


def test_read_objects_and_lists():
    state = {"a": {"b": [10, {"c": "x"}]}}
    assert read(state, "$.a.b[1].c") == "x"
    assert read(state, "$") is state
    with pytest.raises(PathError, match=r"\$\.a\.z does not exist"):
        read(state, "$.a.z")
    with pytest.raises(PathError):
        read(state, "$.a.b[5]")


def test_write_creates_parents_and_appends():
    assert write({}, "$.a.b.c", 1) == {"a": {"b": {"c": 1}}}
    assert write({"l": [1, 2]}, "$.l[1]", 9) == {"l": [1, 9]}
    assert write({"l": [1, 2]}, "$.l[2]", 3) == {"l": [1, 2, 3]}
    assert write({"a": 5}, "$.a.b", 1) == {"a": {"b": 1}}  # a scalar parent is replaced by an object
    assert write({"x": 1}, "$", [1]) == [1]
    with pytest.raises(PathError, match="past the end"):
        write({"l": []}, "$.l[3]", 1)
    assert write({"l": {"k": 1}}, "$.l[0]", 1) == {"l": [1]}  # a parent of the wrong kind is replaced
    with pytest.raises(PathError, match="not an object"):
        write([1], "$.a", 1)


def test_templates_resolve_paths_recursively_and_copy():
    state = {"order": {"id": "o1", "tags": ["a"]}}
    value = resolve({"id": "$.order.id", "nested": [{"t": "$.order.tags"}, "lit", 3], "price": "$5"}, state)
    assert value == {"id": "o1", "nested": [{"t": ["a"]}, "lit", 3], "price": "$5"}
    value["nested"][0]["t"].append("b")
    assert state["order"]["tags"] == ["a"]  # resolved values are copies
    assert is_path("$") and is_path("$[0]") and not is_path("$5") and not is_path("x")
