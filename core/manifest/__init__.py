"""Load a manifest: YAML with positions -> stage overrides -> variables -> validation.

The result, :class:`LoadedManifest`, is validated plain data plus the source
document, so the compiler can still point at file:line for the problems only it
can see (cross-references). Every problem found here is collected and raised
together as one :class:`ManifestError`.

Validation: a well-formed manifest is checked without pydantic (:mod:`.plain`); anything else, and
every plugin block, goes through the pydantic models (:mod:`.schema`), which also word the errors.
pydantic is imported only then.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Union

from sls_neutral.core.errors import Diagnostic, ManifestError, Position, did_you_mean
from sls_neutral.core.manifest import plain, rules
from sls_neutral.core.manifest.variables import VariableContext, dotted_get, resolve_tree
from sls_neutral.core.manifest.yamlpos import SourceDoc, load_yaml_file, load_yaml_text

if TYPE_CHECKING:  # pragma: no cover
    from pydantic import BaseModel, ValidationError

    from sls_neutral.core.manifest import schema

DEFAULT_MANIFEST = "sls-neutral.yaml"
#: plugin block models by top-level key, or a function returning them (called only when the manifest has a
#: key outside the core schema: building the plugins' pydantic models costs every other manifest ~10 ms)
ExtensionModels = Union[Mapping[str, "type[BaseModel]"], Callable[[], Mapping[str, "type[BaseModel]"]], None]


@dataclass
class LoadedManifest:
    model: "schema.Manifest | plain.Block"  # the same attributes either way
    doc: SourceDoc
    root: Path
    path: Path
    stage: str
    options: dict[str, str]
    extensions: dict[str, Any] = field(default_factory=dict)  # plugin blocks, validated by their models
    # Variables in providers.<name> are resolved for every provider, but their problems only
    # matter when that provider is chosen (an unset AZURE_SUBSCRIPTION_ID must not break -p aws).
    provider_diagnostics: dict[str, list[Diagnostic]] = field(default_factory=dict)

    def position(self, *path: str | int, key: bool = False) -> Position:
        return self.doc.position(tuple(path), key=key)


def load_manifest(path: Path | str = DEFAULT_MANIFEST, *, stage: str | None = None,
                  options: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None,
                  extension_models: ExtensionModels = None, text: str | None = None) -> LoadedManifest:
    """Load, merge the stage, resolve variables and validate; raise ManifestError on any problem."""
    path = Path(path)
    display = _display(path)
    doc = load_yaml_text(text, display) if text is not None else load_yaml_file(path, display)
    return load_document(doc, root=path.resolve().parent, path=path, stage=stage, options=options, env=env,
                         extension_models=extension_models)


def load_document(doc: SourceDoc, *, root: Path, path: Path, stage: str | None = None,
                  options: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None,
                  extension_models: ExtensionModels = None) -> LoadedManifest:
    options = dict(options or {})
    diagnostics: list[Diagnostic] = []
    data = doc.data
    if data is None:
        raise ManifestError([Diagnostic("the manifest is empty", Position(doc.file, 1, 1),
                                        "start with 'service: my-app' and declare functions", code="empty")])
    if not isinstance(data, dict):
        raise ManifestError([Diagnostic("the manifest must be a mapping of keys (service:, functions:, ...)",
                                        doc.position(()), code="type")])
    # Below, top-level keys are set and popped, and resolve_tree copies the rest. Only merging a stage
    # block edits nested mappings in place: then everything is copied first (doc.data keeps the file's data).
    data = dict(data)

    stage_name = stage or data.get("stage") or "dev"
    if not isinstance(stage_name, str) or not _re_full(rules.STAGE_RE, stage_name):
        raise ManifestError([Diagnostic(f"invalid stage name {stage_name!r}", doc.position(("stage",)),
                                        "stages are lowercase letters, digits and '-', starting with a letter",
                                        code="stage")])
    data["stage"] = stage_name
    if _stage_block(data, stage_name) is not None:
        data = _plain_copy(data)
        _apply_stage(data, stage_name, doc, diagnostics)

    # Plugin blocks: validated by the plugin's own model, kept out of the core schema.
    extension_models = _extension_models(extension_models, data)
    extensions: dict[str, Any] = {}
    for key in [k for k in data if k not in rules.TOP_LEVEL_KEYS and k in extension_models]:
        extensions[key] = data.pop(key)
    enabled = data.get("plugins") if isinstance(data.get("plugins"), list) else []
    for key in [k for k in extensions if k not in enabled]:
        diagnostics.append(Diagnostic(f"block '{key}' configures plugin '{key}', which is not enabled",
                                      doc.position((key,), key=True), f"add it: plugins: [{key}]", code="plugin"))
    for key in [k for k in data if k not in rules.TOP_LEVEL_KEYS and k in enabled]:
        data.pop(key)
        diagnostics.append(Diagnostic(f"block '{key}' belongs to plugin '{key}', which is not installed or not loaded",
                                      doc.position((key,), key=True),
                                      f"install the plugin package, or remove '{key}' from plugins: and this block",
                                      code="plugin"))

    params = dict(data.get("params") or {}) if isinstance(data.get("params"), dict) else {}
    ctx = VariableContext(root=root, stage=stage_name, service=str(data.get("service", "")), params=params,
                          options=options, env=os.environ if env is None else dict(env))

    def self_lookup(dotted: str) -> Any:
        value = dotted_get(data, dotted)
        return value

    ctx.self_lookup = self_lookup
    providers_raw = data.pop("providers", None)
    resolved = resolve_tree(data, ctx, lambda p: doc.position(p), diagnostics)
    provider_diagnostics: dict[str, list[Diagnostic]] = {}
    if isinstance(providers_raw, dict):
        resolved_providers = {}
        for pname, block in providers_raw.items():
            problems: list[Diagnostic] = []
            resolved_providers[pname] = resolve_tree(block, ctx, lambda p, n=pname: doc.position(("providers", n) + tuple(p)),
                                                     problems)
            provider_diagnostics[str(pname)] = problems
        resolved["providers"] = resolved_providers
    elif providers_raw is not None:
        resolved["providers"] = _plain_copy(providers_raw)
    resolved_ext = {k: resolve_tree(v, ctx, lambda p, k=k: doc.position((k,) + tuple(p)), diagnostics)
                    for k, v in extensions.items()}

    model = plain.check_manifest(resolved)
    if model is None:
        from pydantic import ValidationError

        from sls_neutral.core.manifest import schema

        try:
            model = schema.Manifest.model_validate(resolved)
        except ValidationError as exc:
            diagnostics.extend(pydantic_diagnostics(exc, resolved, doc, ()))
    validated_ext: dict[str, Any] = {}
    if resolved_ext:
        from pydantic import ValidationError  # plugin blocks: their models are pydantic
    for key, value in resolved_ext.items():
        try:
            validated_ext[key] = extension_models[key].model_validate(value)
        except ValidationError as exc:
            diagnostics.extend(pydantic_diagnostics(exc, value, doc, (key,)))
    if diagnostics:
        raise ManifestError(_sorted(diagnostics))
    return LoadedManifest(model=model, doc=doc, root=root, path=path, stage=stage_name, options=options,
                          extensions=validated_ext, provider_diagnostics=provider_diagnostics)


def _extension_models(models: ExtensionModels, data: dict) -> dict[str, Any]:
    if callable(models):
        if all(key in rules.TOP_LEVEL_KEYS for key in data):
            return {}
        models = models()
    return dict(models or {})


def _re_full(pattern: str, value: str) -> bool:
    import re

    return re.fullmatch(pattern.strip("^$"), value) is not None


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path, Path.cwd()) if path.is_absolute() else str(path)
    except ValueError:
        return str(path)


def _sorted(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    unique: dict[tuple, Diagnostic] = {}
    for d in diagnostics:
        k = (d.position.line if d.position else 0, d.position.col if d.position else 0, d.message)
        unique.setdefault(k, d)
    return [unique[k] for k in sorted(unique)]


# ---------------------------------------------------------------- stages
def _stage_block(data: dict, stage: str) -> dict | None:
    """``stages.<stage>`` when the manifest has one (a mapping)."""
    stages = data.get("stages")
    if not isinstance(stages, dict) or not isinstance(stages.get(stage), dict):
        return None
    return stages[stage]


def _apply_stage(data: dict, stage: str, doc: SourceDoc, diagnostics: list[Diagnostic]) -> None:
    """Merge ``stages.<stage>`` into the tree (in place); merged values keep the stage block's positions."""
    block = _stage_block(data, stage)
    if block is None:
        return
    base_path = ("stages", stage)
    for section in ("params", "providers", "defaults"):
        override = block.get(section)
        if isinstance(override, dict):
            target = data.setdefault(section, {})
            if isinstance(target, dict):
                _deep_merge(target, override, (section,), base_path + (section,), doc)
    functions = block.get("functions")
    if isinstance(functions, dict):
        declared = data.get("functions") if isinstance(data.get("functions"), dict) else {}
        for name, override in functions.items():
            if name not in declared:
                hint = did_you_mean(name, declared) or "stage overrides can only change declared functions"
                diagnostics.append(Diagnostic(f"stage '{stage}' overrides undeclared function '{name}'",
                                              doc.position(base_path + ("functions", name), key=True), hint,
                                              code="undeclared"))
                continue
            if isinstance(override, dict) and isinstance(declared[name], dict):
                _deep_merge(declared[name], override, ("functions", name), base_path + ("functions", name), doc)


def _deep_merge(target: dict, override: dict, target_path: tuple, source_path: tuple, doc: SourceDoc) -> None:
    for key, value in override.items():
        tp, sp = target_path + (key,), source_path + (key,)
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value, tp, sp, doc)
            continue
        target[key] = _plain_copy(value)
        # re-point positions of the merged subtree at the stage block
        for table in (doc.value_pos, doc.key_pos):
            for pos_path in [p for p in list(table) if p[: len(sp)] == sp]:
                table[tp + pos_path[len(sp):]] = table[pos_path]


# ---------------------------------------------------------------- pydantic -> diagnostics
_VOCABULARY: set[str] | None = None


def _vocabulary() -> set[str]:
    from pydantic import BaseModel

    from sls_neutral.core.manifest import schema

    global _VOCABULARY
    if _VOCABULARY is None:
        words: set[str] = set()
        for obj in vars(schema).values():
            if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel:
                for name, info in obj.model_fields.items():
                    words.add(info.alias or name)
        _VOCABULARY = words
    return _VOCABULARY


def data_path(loc: tuple, data: Any) -> tuple[tuple, bool]:
    """Map a pydantic ``loc`` onto a path that exists in ``data`` (skipping union tags)."""
    path: list = []
    current = data
    is_key = False
    for element in loc:
        if element == "[key]":
            is_key = True
            continue
        if isinstance(current, dict) and element in current:
            path.append(element)
            current = current[element]
        elif isinstance(current, list) and isinstance(element, int) and 0 <= element < len(current):
            path.append(element)
            current = current[element]
        elif isinstance(current, dict) and isinstance(element, str) and element.rstrip("_") in current:
            path.append(element.rstrip("_"))
            current = current[element.rstrip("_")]
    return tuple(path), is_key


def pydantic_diagnostics(exc: "ValidationError", data: Any, doc: SourceDoc, prefix: tuple,
                         vocabulary: set[str] | None = None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    vocab = vocabulary or _vocabulary()
    for error in exc.errors(include_url=False):
        loc = tuple(error.get("loc", ()))
        kind = error.get("type", "")
        message = str(error.get("msg", "invalid value"))
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if message.startswith("Assertion failed, "):
            message = message[len("Assertion failed, "):]
        path, is_key = data_path(loc, data)
        hint = None
        where = ".".join(str(p) for p in path) or "(top level)"
        if kind == "extra_forbidden":
            key = str(loc[-1])
            position = doc.position(prefix + path, key=True)
            message = f"unknown key '{key}' in {'.'.join(str(p) for p in path[:-1]) or 'the top level'}"
            hint = did_you_mean(key, rules.TOP_LEVEL_KEYS if len(path) <= 1 and not prefix else vocab)
            if hint is None and len(path) <= 1 and not prefix:
                hint = "top-level keys: " + ", ".join(rules.TOP_LEVEL_KEYS) + " (or a plugin's block)"
        elif kind == "missing":
            field_name = str(loc[-1])
            position = doc.position(prefix + path, key=True)
            message = (f"missing required key '{field_name}' in {where}" if path
                       else f"missing required key '{field_name}' at the top level")
        else:
            position = doc.position(prefix + path, key=is_key)
            message = f"{where}: {message}"
            if kind in ("literal_error", "enum"):
                expected = error.get("ctx", {}).get("expected")
                if expected:
                    value = error.get("input")
                    options = [o.strip(" '") for o in str(expected).replace(" or ", ",").split(",")]
                    hint = did_you_mean(str(value), options) or f"expected {expected}"
            elif kind == "trigger_kind":
                value = error.get("input")
                if isinstance(value, dict) and len(value) == 1:
                    hint = did_you_mean(str(next(iter(value))), rules.TRIGGER_KINDS)
            elif kind == "string_pattern_mismatch":
                hint = "names are lowercase letters, digits and '-', starting with a letter"
        out.append(Diagnostic(message, position, hint, code=kind or "invalid", snippet=doc.snippet(position)))
    return out


def _plain_copy(value: Any) -> Any:
    """A deep copy of loaded YAML (dicts, lists, scalars), ~4x faster than ``copy.deepcopy``, which
    tracks shared objects that parsed YAML without anchors does not have."""
    kind = type(value)
    if kind is dict:
        return {k: _plain_copy(v) for k, v in value.items()}
    if kind is list:
        return [_plain_copy(v) for v in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    import copy

    return copy.deepcopy(value)
