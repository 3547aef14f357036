"""A small deterministic YAML emitter for CloudFormation/SAM templates.

Block style, two-space indent, keys in the order given (the template builder
sorts them), strings quoted JSON-style whenever a plain scalar could be read
as something else. The same data always gives the same bytes, independent of
any YAML library's version.

Speed matters (a 1000-function service writes ~80,000 lines): templates repeat
the same keys and values thousands of times, so each string's scalar is worked
out once per dump (:class:`_Scalars`), and the most common shapes (a string
value, a one-entry map such as ``Ref: X``) are written without a call per node.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z_/$][A-Za-z0-9_./:$@+-]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}
# what json.dumps(text, ensure_ascii=False) returns for a str, without building an encoder per call
_quoted = json.encoder.encode_basestring


def scalar(value: Any) -> str:
    if type(value) is str:  # the common case first
        text = value
    elif value is None:
        return "null"
    elif value is True:
        return "true"
    elif value is False:
        return "false"
    elif isinstance(value, int):
        return str(value)
    elif isinstance(value, float):
        return repr(value)  # 2.0 stays a float (ASL wants BackoffRate as a float)
    else:
        text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and not text.endswith(":"):
        return text
    return _quoted(text)


class _Scalars(dict):
    """string -> its scalar, worked out on first use (``text[s]`` is one C-level lookup afterwards)."""

    __slots__ = ()

    def __missing__(self, value: str) -> str:
        out = self[value] = scalar(value)
        return out


def dump(data: Any) -> str:
    lines: list[str] = []
    text = _Scalars()
    if isinstance(data, (dict, list)):
        _emit(data, "", "", lines, text)
    else:
        lines.append(_inline(data, text))
    return "\n".join(lines) + "\n"


def _emit(value: dict | list, pad: str, lead: str, lines: list[str], text: _Scalars) -> None:
    """The lines of a container whose entries are indented by ``pad``.

    ``lead`` starts the first line instead of ``pad``: a container that is a list item begins on the
    item's ``- `` line, so its first line is written there directly rather than built and re-cut.
    """
    inner = pad + "  "
    if isinstance(value, dict):
        for key, item in value.items():
            name = text[key] if type(key) is str else text[str(key)]
            kind = type(item)
            if kind is str:
                lines.append(f"{lead}{name}: {text[item]}")
            elif kind is dict and len(item) == 1:  # Ref: X, Fn::Sub: ...: no call when the entry is a string
                lines.append(f"{lead}{name}:")
                ((only_key, only_value),) = item.items()
                if type(only_key) is str and type(only_value) is str:
                    lines.append(f"{inner}{text[only_key]}: {text[only_value]}")
                else:
                    _emit(item, inner, inner, lines, text)
            elif item and isinstance(item, (dict, list)):
                lines.append(f"{lead}{name}:")
                _emit(item, inner, inner, lines, text)
            else:
                lines.append(f"{lead}{name}: {_inline(item, text)}")
            lead = pad
    else:
        for item in value:
            if type(item) is str:
                lines.append(f"{lead}- {text[item]}")
            elif item and isinstance(item, (dict, list)):
                _emit(item, inner, lead + "- ", lines, text)
            else:
                lines.append(f"{lead}- {_inline(item, text)}")
            lead = pad


def _inline(value: Any, text: _Scalars) -> str:
    if type(value) is str:
        return text[value]
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)
