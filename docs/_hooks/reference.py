"""mkdocs hook: generate the manifest reference (from the JSON Schema) and the CLI reference (from typer).

Generated at build time, never committed, so the reference cannot drift from the code.
"""

from __future__ import annotations

import json

from mkdocs.structure.files import File


def _type(prop: dict) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"])
    if "oneOf" in prop:
        return " or ".join(_type(p) for p in prop["oneOf"])
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if kind == "object" and "additionalProperties" in prop and isinstance(prop["additionalProperties"], dict):
        return f"mapping of name → {_type(prop['additionalProperties'])}"
    if "pattern" in prop:
        return f"{kind} (`{prop['pattern']}`)"
    return str(kind)


def _model(name: str, schema: dict) -> list[str]:
    lines = [f"## {name}", ""]
    if schema.get("description"):
        lines += [schema["description"].strip(), ""]
    props = schema.get("properties", {})
    if props:
        required = set(schema.get("required", []))
        lines += ["| key | type | default | required |", "|---|---|---|---|"]
        for key, prop in props.items():
            default = prop.get("default", "")
            default = f"`{json.dumps(default)}`" if "default" in prop else ""
            lines.append(f"| `{key}` | {_type(prop)} | {default} | {'yes' if key in required else ''} |")
        lines.append("")
    return lines


def manifest_reference() -> str:
    from sls_neutral.core.manifest.schema import manifest_json_schema

    schema = manifest_json_schema()
    lines = ["# Manifest reference", "",
             "Generated from the manifest's JSON Schema (`sls-neutral schema`) at build time.",
             "Durations accept seconds or `500ms`, `30s`, `5m`, `2h`, `4d`; sizes accept MB or `512MB`, `1GB`.", ""]
    lines += _model("Manifest", schema)
    for name, sub in sorted(schema.get("$defs", {}).items()):
        lines += _model(name, sub)
    return "\n".join(lines) + "\n"


def cli_reference() -> str:
    import click
    import typer

    from sls_neutral.core.cli.main import build_app

    root = typer.main.get_command(build_app(with_plugins=False))
    lines = ["# CLI reference", "", "Generated from the typer application at build time.", ""]

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, click.Group):
            for name in sorted(command.commands):
                walk(command.commands[name], path + [name])
            return
        lines.extend([f"## `sls-neutral {' '.join(path)}`", "", (command.help or "").strip(), ""])
        rows = []
        for param in command.params:
            if isinstance(param, click.Option):
                names = ", ".join(f"`{o}`" for o in param.opts + param.secondary_opts)
                default = "" if param.default in (None, False, ()) or callable(param.default) else f"`{param.default}`"
                rows.append(f"| {names} | {(param.help or '').replace('|', '/')} | {default} |")
            else:
                rows.append(f"| `{param.name.upper()}` | argument | |")
        if rows:
            lines.extend(["| option | meaning | default |", "|---|---|---|", *rows, ""])

    walk(root, [])
    return "\n".join(lines) + "\n"


def on_files(files, config):
    files.append(File.generated(config, "reference/manifest.md", content=manifest_reference()))
    files.append(File.generated(config, "reference/cli.md", content=cli_reference()))
    return files
