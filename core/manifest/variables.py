"""``${...}`` variable resolution over the plain manifest tree.

Sources: ``${env:NAME}``, ``${env:NAME, default}``, ``${opt:NAME}`` (``--param``),
``${param:NAME}`` (stage params over top-level params, ``--param`` over both),
``${stage}``, ``${service}``, ``${self:dotted.path}``,
``${file(relative.yaml):dotted.path}``. Innermost variables resolve first, so
nesting works; a string that is exactly one variable keeps the value's type.
``${secret:NAME}`` is never resolved here: it stays a reference that the
compiler turns into a runtime secret lookup.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from sls_neutral.core.errors import Diagnostic, Position

_INNERMOST = re.compile(r"\$\{([^${}]*)\}")
_SECRET = re.compile(r"^\s*secret:\s*[A-Za-z0-9_.-]+\s*$")
_MAX_PASSES = 64


class VariableError(Exception):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class VariableContext:
    root: Path
    stage: str
    service: str
    params: Mapping[str, Any]
    options: Mapping[str, str]
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    self_lookup: Callable[[str], Any] | None = None
    file_cache: dict[str, Any] = field(default_factory=dict)


def resolve_tree(data: Any, ctx: VariableContext, position_of: Callable[[tuple], Position],
                 diagnostics: list[Diagnostic], path: tuple = ()) -> Any:
    """Return a copy of ``data`` with every variable resolved; problems go to ``diagnostics``."""
    if isinstance(data, dict):
        return {k: resolve_tree(v, ctx, position_of, diagnostics, path + (k,)) for k, v in data.items()}
    if isinstance(data, list):
        return [resolve_tree(v, ctx, position_of, diagnostics, path + (i,)) for i, v in enumerate(data)]
    if isinstance(data, str) and "${" in data:
        try:
            value = resolve_string(data, ctx)
            if isinstance(value, (dict, list)):
                # a whole mapping or list named by ${self:...} or ${param:...}: copied, so that the tree
                # shares nothing with the file's data (load_document copies the rest only here)
                import copy

                value = copy.deepcopy(value)
            return value
        except VariableError as exc:
            diagnostics.append(Diagnostic(exc.message, position_of(path), exc.hint, code="variable"))
            return data
    return data


def resolve_string(text: str, ctx: VariableContext, depth: int = 0) -> Any:
    if depth > 8:
        raise VariableError(f"variables nest too deeply or refer to each other in a cycle: {text!r}")
    current: Any = text
    for _ in range(_MAX_PASSES):
        if not isinstance(current, str):
            return current
        match = next((m for m in _INNERMOST.finditer(current) if not _SECRET.match(m.group(1))), None)
        if match is None:
            _check_unbalanced(current)
            return current
        value = _lookup(match.group(1).strip(), ctx, depth)
        if match.group(0) == current:
            current = value
            continue
        if isinstance(value, (dict, list)):
            raise VariableError(f"'{match.group(0)}' is a mapping or list and cannot be embedded in a string",
                                "use the variable as the whole value")
        current = current[: match.start()] + _to_text(value) + current[match.end():]
    raise VariableError(f"too many variable substitutions in {text!r}")


def _check_unbalanced(text: str) -> None:
    stripped = re.sub(r"\$\{\s*secret:[^}]*\}", "", text)
    if "${" in stripped:
        raise VariableError(f"unterminated or empty variable in {text!r}", "write variables as ${source:name}")


def _to_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def _split_default(body: str) -> tuple[str, str | None]:
    if "," in body:
        name, default = body.split(",", 1)
        default = default.strip()
        if len(default) >= 2 and default[0] == default[-1] and default[0] in "'\"":
            default = default[1:-1]
        return name.strip(), default
    return body.strip(), None


def _lookup(expr: str, ctx: VariableContext, depth: int) -> Any:
    if expr == "stage":
        return ctx.stage
    if expr == "service":
        return ctx.service
    if expr.startswith("file("):
        return _file_lookup(expr, ctx, depth)
    source, sep, rest = expr.partition(":")
    if not sep:
        raise VariableError(f"unknown variable '${{{expr}}}'",
                            "sources are env:, opt:, param:, self:, file(...):, secret:, stage, service")
    source = source.strip()
    name, default = _split_default(rest)
    if source == "env":
        if name in ctx.env:
            return ctx.env[name]
        if default is not None:
            return default
        raise VariableError(f"environment variable '{name}' is not set",
                            f"export {name}=... or give a default: ${{env:{name}, value}}")
    if source == "opt":
        if name in ctx.options:
            return ctx.options[name]
        if default is not None:
            return default
        raise VariableError(f"option '{name}' was not given", f"pass --param {name}=VALUE")
    if source == "param":
        if name in ctx.options:
            return ctx.options[name]
        if name in ctx.params:
            value = ctx.params[name]
            return resolve_string(value, ctx, depth + 1) if isinstance(value, str) and "${" in value else value
        if default is not None:
            return default
        raise VariableError(f"param '{name}' is not defined for stage '{ctx.stage}'",
                            f"add it under params: or stages.{ctx.stage}.params:, or pass --param {name}=VALUE")
    if source == "self":
        if ctx.self_lookup is None:
            raise VariableError("${self:...} is not available here")
        value = ctx.self_lookup(name)
        if value is _MISSING:
            if default is not None:
                return default
            raise VariableError(f"'${{self:{name}}}' does not name a value in the manifest")
        return resolve_string(value, ctx, depth + 1) if isinstance(value, str) and "${" in value else value
    from sls_neutral.core.errors import did_you_mean

    hint = did_you_mean(source, ["env", "opt", "param", "self", "secret", "stage", "service"])
    raise VariableError(f"unknown variable source '{source}' in '${{{expr}}}'", hint)


_MISSING = object()


def dotted_get(data: Any, dotted: str) -> Any:
    current = data
    for part in [p for p in dotted.split(".") if p]:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def _file_lookup(expr: str, ctx: VariableContext, depth: int) -> Any:
    match = re.match(r"^file\(\s*([^)]+?)\s*\)\s*(?::\s*(.*))?$", expr)
    if not match:
        raise VariableError(f"malformed file variable '${{{expr}}}'", "write ${file(relative.yaml):dotted.path}")
    rel, dotted = match.group(1), (match.group(2) or "").strip()
    dotted, default = _split_default(dotted) if dotted else ("", None)
    target = (ctx.root / rel).resolve()
    try:
        target.relative_to(ctx.root.resolve())
    except ValueError:
        raise VariableError(f"file '{rel}' is outside the service folder", "reference files inside the service") from None
    if rel not in ctx.file_cache:
        if not target.is_file():
            if default is not None:
                return default
            raise VariableError(f"file '{rel}' not found (relative to the service folder)")
        from sls_neutral.core.manifest.yamlpos import load_yaml_file

        try:
            ctx.file_cache[rel] = load_yaml_file(target, rel).data
        except Exception as exc:  # a ManifestError from the nested file
            raise VariableError(f"cannot read '{rel}': {getattr(exc, 'message', exc)}") from None
    value = dotted_get(ctx.file_cache[rel], dotted) if dotted else ctx.file_cache[rel]
    if value is _MISSING:
        if default is not None:
            return default
        raise VariableError(f"'{dotted}' not found in '{rel}'")
    return resolve_string(value, ctx, depth + 1) if isinstance(value, str) and "${" in value else value
