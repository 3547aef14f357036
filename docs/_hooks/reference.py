"""mkdocs hook: generate the manifest reference (from the JSON Schema) and the CLI reference (from typer).

Generated at build time, never committed, so the reference cannot drift from the code:

* ``reference/manifest.md``: every model of ``sls-neutral schema``, then the settings model of every
  first-party provider (``providers.<name>``) and the block of every first-party plugin.
* ``reference/cli.md``: every command of the typer application, its arguments and options.

The CLI walk duck-types click objects (``commands``, ``param_type_name``): typer ships its own copy of
click, whose classes are not ``click.Group``/``click.Option``.
"""

from __future__ import annotations

import html
import json
from typing import Any

from mkdocs.structure.files import File

DURATION_EXAMPLES = ["30s", "5m", 10]
SIZE_EXAMPLES = ["512MB", "1GB", 256]


def _cell(text: str) -> str:
    """Free text for a table cell: one line, pipes escaped, ``<...>`` outside code spans shown, not parsed."""
    parts = " ".join(str(text).split()).replace("|", "\\|").split("`")
    for i in range(0, len(parts), 2):  # even parts are outside backticks
        parts[i] = html.escape(parts[i], quote=False)
    return "`".join(parts)


def _code(text: str) -> str:
    """Code in a table cell: an HTML code element, so a regular expression's pipes cannot split the cell."""
    return "<code>" + html.escape(text, quote=False).replace("|", "&#124;") + "</code>"


def _type(prop: dict) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    for key in ("anyOf", "oneOf"):
        if key in prop:
            options = [p for p in prop[key] if p.get("type") != "null"]
            text = " or ".join(_type(p) for p in options) or "null"
            return text + (" or null" if len(options) < len(prop[key]) else "")
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    if prop.get("examples") == DURATION_EXAMPLES:
        return "duration (seconds, or `500ms` `30s` `5m` `2h` `4d`)"
    if prop.get("examples") == SIZE_EXAMPLES:
        return "size (MB, or `512MB` `1GB`)"
    kind = prop.get("type", "any")
    if kind == "array":
        items = prop.get("items", {})
        if items.get("maxProperties") == 1 and "patternProperties" in items:
            inner = next(iter(items["patternProperties"].values()))
            return f"list of steps (`{{name: {_type(inner)}}}`)"
        return f"list of {_type(items)}"
    if kind == "object" and "patternProperties" in prop:
        pattern, inner = next(iter(prop["patternProperties"].items()))
        return f"mapping of name ({_code(pattern)}) → {_type(inner)}"
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"mapping of name → {_type(prop['additionalProperties'])}"
    if kind == "object":
        return "mapping"
    if "pattern" in prop:
        return f"{kind} ({_code(prop['pattern'])})"
    return str(kind)


def _model(name: str, schema: dict, level: str = "##", anchor_names: bool = True) -> list[str]:
    lines = [f"{level} {name}", ""]
    if schema.get("description"):
        lines += [schema["description"].strip(), ""]
    props = schema.get("properties", {})
    if props:
        required = set(schema.get("required", []))
        described = any(p.get("description") for p in props.values())
        lines += ["| key | type | default | required |" + (" meaning |" if described else ""),
                  "|---|---|---|---|" + ("---|" if described else "")]
        for key, prop in props.items():
            default = f"`{json.dumps(prop['default'])}`" if "default" in prop else ""
            row = f"| `{key}` | {_type(prop)} | {default} | {'yes' if key in required else ''} |"
            if described:
                row += f" {_cell(prop.get('description', ''))} |"
            lines.append(row)
        lines.append("")
    if schema.get("additionalProperties") is False:
        lines += ["Unknown keys are errors (with a \"did you mean\" hint).", ""]
    return lines


def _first_party(obj: Any) -> bool:
    return type(obj).__module__.startswith("sls_neutral.") or getattr(obj, "__module__", "").startswith(
        "sls_neutral.")


def manifest_reference() -> str:
    from sls_neutral.core.manifest.schema import manifest_json_schema

    schema = manifest_json_schema()
    lines = ["# Manifest reference", "",
             "Generated at build time from the manifest's JSON Schema (`sls-neutral schema`, committed as",
             "`docs/schema/manifest.schema.json`), from the settings model of every first-party provider and",
             "from the block model of every first-party plugin. For the meaning of each part, read",
             "[the manifest](../manifest.md) and [workflows](../workflows.md).", "",
             "Durations accept seconds or `500ms`, `30s`, `5m`, `2h`, `4d`; sizes accept MB or `512MB`, `1GB`.",
             ""]
    lines += _model("Manifest", schema)
    for name, sub in sorted(schema.get("$defs", {}).items()):
        lines += _model(name, sub)

    from sls_neutral.core.plugins import get_plugin_manager

    manager = get_plugin_manager()
    lines += ["## Provider settings", "",
              "`providers.<name>` is validated strictly by the chosen provider's model (and only when that",
              "provider is chosen, so an unset variable in another provider's block does no harm).", ""]
    for pname, provider in manager.providers().items():
        if not _first_party(provider):
            continue
        model = provider.settings_model()
        if model is None:
            continue
        sub = model.model_json_schema()
        sub.setdefault("description", f"`providers.{pname}` ({provider.description})".strip())
        lines += _model(f"providers.{pname}", sub, level="###")
    lines += ["## Plugin blocks", "",
              "A plugin enabled in `plugins:` may own a top-level block named after it.", ""]
    for block, model in sorted(manager.manifest_extensions().items()):
        if not model.__module__.startswith("sls_neutral."):
            continue
        sub = model.model_json_schema()
        sub.pop("description", None)
        sub["description"] = f"The `{block}:` block (plugin `{block}`, see [first-party plugins]" \
                             f"(../plugins/first-party.md))."
        lines += _model(f"{block}", sub, level="###")
    return "\n".join(lines) + "\n"


def _walk(command: Any, path: list[str], out: list[tuple[list[str], Any]]) -> None:
    commands = getattr(command, "commands", None)
    if commands is not None:
        for name in sorted(commands):
            _walk(commands[name], path + [name], out)
        return
    out.append((path, command))


def cli_commands() -> list[tuple[list[str], Any]]:
    """(path, click command) for every leaf command of the typer app, without plugin commands."""
    import typer

    from sls_neutral.core.cli.main import build_app

    root = typer.main.get_command(build_app(with_plugins=False))
    out: list[tuple[list[str], Any]] = []
    _walk(root, [], out)
    return out


def _default(param: Any) -> str:
    default = param.default
    if default is None or callable(default) or default == () or getattr(param, "multiple", False):
        return ""
    if getattr(param, "is_flag", False) and not getattr(param, "secondary_opts", None):
        return ""
    value = getattr(default, "value", default)  # enums
    if isinstance(value, bool) and getattr(param, "secondary_opts", None):
        return f"`{(param.opts if value else param.secondary_opts)[-1]}`"
    return f"`{value}`"


def cli_reference() -> str:
    lines = ["# CLI reference", "",
             "Generated at build time from the typer application (`sls_neutral.core.cli.main.build_app`);",
             "commands that plugins add through `slsn_add_commands` are not listed. Every command also takes",
             "`-h/--help`, and the root takes `--version`.", "",
             "Exit codes: 0 ok, 1 user error (bad manifest, failed deploy, lint errors), 2 usage error,",
             "3 internal error. Tracebacks only with `SLSN_DEBUG=1`.", ""]
    for path, command in cli_commands():
        usage = ["sls-neutral", *path]
        for param in command.params:
            if getattr(param, "param_type_name", "") == "argument":
                name = param.name.upper()
                usage.append(name if param.required else f"[{name}]")
        usage.append("[OPTIONS]")
        lines += [f"## `sls-neutral {' '.join(path)}`", "", f"    {' '.join(usage)}", "",
                  (command.help or "").strip(), ""]
        rows = []
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            if getattr(param, "param_type_name", "") == "option":
                names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
                meaning = _cell(getattr(param, "help", "") or "")
                if getattr(param, "multiple", False):
                    meaning += " (repeatable)" if "repeatable" not in meaning else ""
                rows.append(f"| {names} | {meaning} | {_default(param)} |")
            else:
                meaning = _cell(getattr(param, "help", "") or "")
                rows.append(f"| `{param.name.upper()}` | {meaning or 'argument'}"
                            f"{'' if param.required else ' (optional)'} | |")
        if rows:
            lines += ["| argument / option | meaning | default |", "|---|---|---|", *rows, ""]
    return "\n".join(lines) + "\n"


def on_files(files, config):
    files.append(File.generated(config, "reference/manifest.md", content=manifest_reference()))
    files.append(File.generated(config, "reference/cli.md", content=cli_reference()))
    return files
