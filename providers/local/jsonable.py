"""``core.ir.to_jsonable`` with a fast path for the plain data a deployment description is made of.

``to_jsonable`` asks every value whether it is a dataclass, then a ``Mapping`` (an ABC check through
``typing``), then a list: at a thousand functions that is ~20,000 calls and most of the local emit.
Here exact ``str``/``int``/``bool``/``None``/``float``/``dict``/``list``/``tuple`` values are dispatched on
their type, and a dataclass's field names are looked up once per class; anything else goes to
``to_jsonable`` itself, so the result is equal to ``to_jsonable``'s, key order included
(``tests/unit/local/test_jsonable.py`` compares the two).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sls_neutral.core import ir

_SKIPPED = ("source", "root", "condition")  # the fields to_jsonable leaves out (positions, paths)
_FIELDS: dict[type, tuple[tuple[str, ...], dict[str, str]] | None] = {}


def plain_jsonable(value: Any) -> Any:
    """What ``ir.to_jsonable(value)`` returns, computed without its per-value ABC checks."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict:
        if all(type(key) is str for key in value):
            return {key: plain_jsonable(value[key]) for key in sorted(value)}
        return {str(k): plain_jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if kind is list or kind is tuple:
        return [plain_jsonable(v) for v in value]
    shape = _FIELDS[kind] if kind in _FIELDS else _dataclass_shape(kind)
    if shape is None:
        return ir.to_jsonable(value)  # Mappings other than dict, Paths, subclasses of the plain types
    names, head = shape
    out = dict(head)
    for name in names:
        out[name] = plain_jsonable(getattr(value, name))
    return out


def _dataclass_shape(kind: type) -> tuple[tuple[str, ...], dict[str, str]] | None:
    """A dataclass's serialized field names and its leading ``type`` entry (workflow steps), once per class."""
    shape = None
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind) if f.name not in _SKIPPED)
        shape = (names, {"type": kind.__name__} if issubclass(kind, ir.Step) else {})
    _FIELDS[kind] = shape
    return shape
