"""A small deterministic YAML emitter for CloudFormation/SAM templates.

Block style, two-space indent, keys in the order given (the template builder
sorts them), strings quoted JSON-style whenever a plain scalar could be read
as something else. The same data always gives the same bytes, independent of
any YAML library's version.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z_/$][A-Za-z0-9_./:$@+-]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # 2.0 stays a float (ASL wants BackoffRate as a float)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and not text.endswith(":"):
        return text
    return json.dumps(text, ensure_ascii=False)


def dump(data: Any) -> str:
    lines: list[str] = []
    text: dict[str, str] = {}  # string -> its scalar: templates repeat the same keys and values thousands of times
    if isinstance(data, (dict, list)):
        _emit(data, "", "", lines, text)
    else:
        lines.append(_inline(data, text))
    return "\n".join(lines) + "\n"


def _emit(value: dict | list, pad: str, lead: str, lines: list[str], text: dict[str, str]) -> None:
    """The lines of a container whose entries are indented by ``pad``.

    ``lead`` starts the first line instead of ``pad``: a container that is a list item begins on the
    item's ``- `` line, so its first line is written there directly rather than built and re-cut.
    """
    inner = pad + "  "
    if isinstance(value, dict):
        for key, item in value.items():
            key = str(key)
            name = text.get(key)
            if name is None:
                name = text[key] = scalar(key)
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{lead}{name}:")
                _emit(item, inner, inner, lines, text)
            else:
                lines.append(f"{lead}{name}: {_inline(item, text)}")
            lead = pad
    else:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                _emit(item, inner, lead + "- ", lines, text)
            else:
                lines.append(f"{lead}- {_inline(item, text)}")
            lead = pad


def _inline(value: Any, text: dict[str, str]) -> str:
    if type(value) is str:
        out = text.get(value)
        if out is None:
            out = text[value] = scalar(value)
        return out
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)
