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
    """Parse one YAML document; syntax errors become diagnostics with positions."""
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
    return load_yaml_text(text.replace("\r\n", "\n"), display)


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
