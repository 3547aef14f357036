"""YAML 1.2 loading that keeps positions.

ruamel.yaml's round-trip loader implements YAML 1.2 (``no``/``on``/``yes`` stay
strings) and refuses duplicate keys. We convert its tree into plain Python data
plus a position table keyed by the path to each node, so later stages (variable
resolution, pydantic validation) work on plain data and still point at
file:line:col.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sls_neutral.core.errors import Diagnostic, ManifestError, Position, caret_snippet

PathKey = tuple  # tuple[str | int, ...]


@dataclass
class SourceDoc:
    """Plain data plus where each node came from."""

    data: Any
    file: str
    text: str
    value_pos: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_pos: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: PathKey, *, key: bool = False) -> Position:
        """Nearest known position for ``path``: the node itself, else its closest parent."""
        path = tuple(path)
        table = self.key_pos if key else self.value_pos
        probe = path
        while True:
            if probe in table:
                line, col = table[probe]
                return Position(self.file, line, col)
            if key and probe in self.value_pos:
                line, col = self.value_pos[probe]
                return Position(self.file, line, col)
            if not probe:
                return Position(self.file, 1, 1)
            probe = probe[:-1]
            table = self.key_pos if probe in self.key_pos else self.value_pos

    def snippet(self, pos: Position) -> str | None:
        return caret_snippet(self.text, pos.line, pos.col)


def load_yaml_text(text: str, file: str) -> SourceDoc:
    """Parse one YAML document; syntax errors become diagnostics with positions.

    The block-YAML subset manifests are written in is read line by line (:mod:`yamlblock`, no YAML library
    imported). Other plain documents (no tags, anchors, merge keys, duplicate keys, or scalars whose type
    YAML 1.1 and 1.2 could read differently) are read by libyaml through PyYAML's C composer, ~20x faster
    than ruamel's pure-Python round-trip loader; everything else, and every error, goes through ruamel. All
    three give the same data and positions (tests/unit/core/test_yaml_block.py, test_yaml_fast.py).
    """
    from sls_neutral.core.manifest.yamlblock import load_block

    doc = load_block(text, file)
    if doc is None:
        doc = _fast_load(text, file)
    if doc is not None:
        return doc
    return _ruamel_load(text, file)


def _ruamel_load(text: str, file: str) -> SourceDoc:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        hint = None
        if "duplicate key" in str(exc).lower() or "found duplicate key" in problem:
            problem = _duplicate_key_message(exc)
            hint = "each key may appear once in a mapping; merge the two entries"
        elif "\t" in text and ("tab" in problem or "\\t" in problem):
            hint = "YAML indentation uses spaces, never tabs"
        elif "found character '\\t'" in str(exc):
            hint = "YAML indentation uses spaces, never tabs"
        pos = Position(file, line, col)
        raise ManifestError([Diagnostic(f"YAML syntax error: {problem}", pos, hint, code="yaml",
                                        snippet=caret_snippet(text, line, col))]) from None
    except YAMLError as exc:  # pragma: no cover - ruamel raises marked errors for syntax
        raise ManifestError([Diagnostic(f"YAML error: {exc}", Position(file, 1, 1), code="yaml")]) from None
    doc = SourceDoc(data=None, file=file, text=text)
    doc.data = _convert(tree, (), doc)
    return doc


def load_yaml_file(path: Path, display: str | None = None) -> SourceDoc:
    display = display or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError([Diagnostic(f"file not found: {display}", Position(display), code="missing-file",
                                        hint="pass -c/--config PATH or run in the service folder")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError([Diagnostic(f"not UTF-8 text: {exc}", Position(display), code="encoding")]) from None
    text = text.replace("\r\n", "\n")
    from sls_neutral.core import headstart

    parsed = headstart.manifest_data(str(path), text)  # parsed by the helper process, for this very text
    if parsed is not None:
        data, value_pos, key_pos = parsed
        return SourceDoc(data=data, file=display, text=text, value_pos=value_pos, key_pos=key_pos)
    return load_yaml_text(text, display)


def _duplicate_key_message(exc: Exception) -> str:
    text = str(exc)
    for line in text.splitlines():
        if "found duplicate key" in line:
            return line.strip().rstrip(".")
    return "duplicate key"


def _convert(node: Any, path: PathKey, doc: SourceDoc) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import ScalarString
    from ruamel.yaml.scalarfloat import ScalarFloat
    from ruamel.yaml.scalarint import ScalarInt
    from ruamel.yaml.scalarbool import ScalarBoolean

    if isinstance(node, CommentedMap):
        if path not in doc.value_pos and getattr(node, "lc", None) is not None and node.lc.line is not None:
            doc.value_pos[path] = (node.lc.line + 1, node.lc.col + 1)
        out: dict[str, Any] = {}
        for key in node:
            skey = key if isinstance(key, str) else _scalar_key(key)
            child = path + (skey,)
            try:
                kl, kc = node.lc.key(key)
                doc.key_pos[child] = (kl + 1, kc + 1)
                vl, vc = node.lc.value(key)
                doc.value_pos[child] = (vl + 1, vc + 1)
            except (KeyError, TypeError, AttributeError):
                pass
            out[skey] = _convert(node[key], child, doc)
        return out
    if isinstance(node, CommentedSeq):
        if path not in doc.value_pos and node.lc.line is not None:
            doc.value_pos[path] = (node.lc.line + 1, node.lc.col + 1)
        items = []
        for index, item in enumerate(node):
            child = path + (index,)
            try:
                il, ic = node.lc.item(index)
                doc.value_pos[child] = (il + 1, ic + 1)
            except (KeyError, TypeError, AttributeError):
                pass
            items.append(_convert(item, child, doc))
        return items
    if isinstance(node, ScalarBoolean) or isinstance(node, bool):
        return bool(node)
    if isinstance(node, ScalarString):
        return str(node)
    if isinstance(node, ScalarInt):
        return int(node)
    if isinstance(node, ScalarFloat):
        return float(node)
    if node is None or isinstance(node, (str, int, float)):
        return node
    # timestamps and other tagged scalars: keep their source text
    return str(node)


def _scalar_key(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


# ------------------------------------------------------------ fast path (libyaml)
class _Fallback(Exception):
    """Not a plain document: let ruamel read it."""


_PLAIN = "slsn:plain"
_QUOTED = "slsn:quoted"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_INT = None
_FLOAT = None
_TYPED = None
_LOADER = None


def _fast_loader():
    global _LOADER
    if _LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", None)
        if base is None:
            _LOADER = False
            return False

        class PlainLoader(base):  # type: ignore[misc, valid-type]
            def resolve(self, kind, value, implicit):  # noqa: ANN001
                if kind is yaml.ScalarNode:
                    return _PLAIN if implicit[0] else _QUOTED
                return _MAP if kind is yaml.MappingNode else _SEQ

        _LOADER = PlainLoader
    return _LOADER


def _scalar_patterns() -> None:
    """Compiled on first use: the block reader (:mod:`yamlblock`) reads scalars without importing yaml."""
    import re

    global _TYPED, _INT, _FLOAT
    # ruamel's YAML 1.2 implicit float, int and timestamp patterns
    _TYPED = re.compile(r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN)
        |[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+
        |[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
         (?:[Tt]|[ \t]+)[0-9][0-9]?
         :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
         (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""", re.X)
    _INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
    _FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+\Z")


_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


def _plain_scalar(value: str) -> Any:
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return _BOOLS[value]
    first = value[0]
    if first in "0123456789-+.":
        if _INT is None:
            _scalar_patterns()
        if _INT.match(value):
            return int(value)
        if _FLOAT.match(value):
            return float(value)
        if _TYPED.match(value):
            raise _Fallback(value)  # octal, hex, exponents, .inf, dates...: ruamel decides
        return value  # "10s", "256MB", "1h", a UUID: text
    if value in ("<<", "="):
        raise _Fallback(value)
    return value


def _fast_load(text: str, file: str) -> SourceDoc | None:
    try:
        loader = _fast_loader()
    except ImportError:
        return None
    if not loader:
        return None
    import yaml

    try:
        root = yaml.compose(text, Loader=loader)
        doc = SourceDoc(data=None, file=file, text=text)
        doc.data = None if root is None else _convert_node(root, (), doc, set())
        return doc
    except (_Fallback, yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None


def _convert_node(node: Any, path: PathKey, doc: SourceDoc, seen: set) -> Any:
    # the nodes themselves (identity-hashed), not id(node): id() raises an audit event, which a recorded
    # build (core/buildrecord.py) pays for on every call
    if node in seen:
        raise _Fallback("alias")
    seen.add(node)
    tag = node.tag
    if tag == _MAP:
        if path not in doc.value_pos:
            doc.value_pos[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _QUOTED:
                key = key_node.value
            elif key_node.tag == _PLAIN:
                key = _plain_scalar(key_node.value)
                if not isinstance(key, str):
                    raise _Fallback("non-string key")
            else:
                raise _Fallback("complex or tagged key")
            if key in out:
                raise _Fallback("duplicate key")  # ruamel words the error
            child = path + (key,)
            doc.key_pos[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            doc.value_pos[child] = _value_mark(value_node, doc)
            out[key] = _convert_node(value_node, child, doc, seen)
        return out
    if tag == _SEQ:
        if path not in doc.value_pos:
            doc.value_pos[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        items = []
        for index, item in enumerate(node.value):
            child = path + (index,)
            doc.value_pos[child] = _value_mark(item, doc)
            items.append(_convert_node(item, child, doc, seen))
        return items
    if tag == _QUOTED:
        return node.value
    if tag == _PLAIN:
        return _plain_scalar(node.value)
    raise _Fallback(f"tag {tag}")


def _value_mark(node: Any, doc: SourceDoc) -> tuple[int, int]:
    """1-based (line, col) of a node as ruamel reports it.

    An empty value (``key:`` and nothing) is placed by libyaml right after the ':', by ruamel at the
    next token (the next key, or where the block ends): find that token in the text.
    """
    mark = node.start_mark
    if node.tag != _PLAIN or node.value != "" or node.style not in (None, "") or node.end_mark.index != mark.index:
        return mark.line + 1, mark.column + 1
    text = doc.text
    i, line, col = mark.index, mark.line, mark.column
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line, col = line + 1, 0
        elif ch in " \t\r":
            col += 1
        elif ch == "#" and (i == 0 or text[i - 1] in " \t\n"):
            if line == mark.line:  # ruamel's mark then depends on what follows: let it place it
                raise _Fallback("empty value before a comment")
            while i < n and text[i] != "\n":
                i += 1
            continue
        else:
            break
        i += 1
    if i < n and text[i] in ",]}":
        raise _Fallback("empty value in a flow collection")
    return line + 1, col + 1
