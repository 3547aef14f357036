"""``sls-neutral matrix``: which features each installed provider supports."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from sls_neutral.core.cli.common import DEFAULT_CONFIG, ConfigOpt, ParamOpt, ProviderOpt, StageOpt


class MatrixFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


def build_matrix(providers, used: dict[str, list[str]] | None = None) -> dict:
    """The feature x provider table; with ``used`` (feature -> who uses it), only the app's features."""
    from sls_neutral.core.provider import FEATURES

    rows = []
    for feature, description in FEATURES.items():
        if used is not None and feature not in used:
            continue
        cells = {}
        for p in providers.values():
            s = p.support(feature)
            cells[p.name] = {"level": s.level, "note": s.note, "alternative": s.alternative}
        row = {"feature": feature, "description": description, "providers": cells}
        if used is not None:
            row["used_by"] = list(used[feature])
        rows.append(row)
    return {"providers": list(providers), "features": rows}


def _app_features(config, stage, params) -> dict[str, list[str]] | None:
    """Features the manifest uses, or None when there is no manifest to read (the full table)."""
    from sls_neutral.core.cli.common import project
    from sls_neutral.core.provider import required_features

    if config == DEFAULT_CONFIG and not config.exists():
        return None
    return required_features(project(config, stage, params).app)


def render_markdown(matrix: dict) -> str:
    """A table with a notes column: what is approximate where, and what to use where a feature is missing."""
    names = matrix["providers"]
    mark = {"full": "yes", "approx": "approx.", "none": "no"}
    lines = ["| feature | " + " | ".join(names) + " | notes |", "|---|" + "---|" * len(names) + "---|"]
    for row in matrix["features"]:
        cells, notes = [], []
        for name in names:
            cell = row["providers"][name]
            cells.append(mark[cell["level"]])
            if cell["level"] == "approx" and cell["note"]:
                notes.append(f"{name}: {cell['note']}")
            elif cell["level"] == "none":
                said = "; ".join(x for x in (cell["note"], cell["alternative"] and f"instead: {cell['alternative']}")
                                 if x)
                if said:
                    notes.append(f"{name}: {said}")
        text = "<br>".join(n.replace("|", "\\|") for n in notes)
        lines.append(f"| `{row['feature']}` | " + " | ".join(cells) + f" | {text} |")
    return "\n".join(lines)


def render_text(matrix: dict) -> str:
    names = matrix["providers"]
    mark = {"full": "yes", "approx": "~", "none": "-"}
    if not matrix["features"]:
        return "the manifest uses no feature a provider could lack"
    width = max(len(r["feature"]) for r in matrix["features"]) + 2
    col = max([len(n) for n in names] + [6]) + 2
    scoped = any("used_by" in r for r in matrix["features"])
    lines = ["feature".ljust(width) + "".join(n.ljust(col) for n in names) + ("used by" if scoped else "")]
    for row in matrix["features"]:
        who = row.get("used_by", [])
        used = ", ".join(who[:3]) + (f" (+{len(who) - 3})" if len(who) > 3 else "")
        lines.append((row["feature"].ljust(width)
                      + "".join(mark[row["providers"][n]["level"]].ljust(col) for n in names) + used).rstrip())
    lines.append("")
    lines.append("~ approximate; '-' unsupported. 'sls-neutral matrix --format markdown' shows the notes.")
    return "\n".join(lines)


def register(app) -> None:
    @app.command("matrix")
    def matrix(format: Annotated[MatrixFormat, typer.Option("--format", "--output",
                                                            help="text, json or markdown.")] = MatrixFormat.text,
               config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
               provider: ProviderOpt = None) -> None:
        """Which features each installed provider supports (with notes where a mapping is approximate).

        Run inside a service (or with -c) to see only the features its manifest uses; -p picks providers.
        """
        import json
        import sys

        from sls_neutral.core.plugins import get_plugin_manager

        providers = get_plugin_manager().providers()
        if provider and provider != "all":
            from sls_neutral.core.errors import ProviderNotInstalledError, did_you_mean

            wanted = [name.strip() for name in provider.split(",") if name.strip()]
            for name in wanted:
                if name not in providers:
                    raise ProviderNotInstalledError(f"provider '{name}' is not installed",
                                                    hint=did_you_mean(name, providers) or "see 'sls-neutral plugins'")
            providers = {name: providers[name] for name in wanted}
        data = build_matrix(providers, _app_features(config, stage, param))
        if format == MatrixFormat.json:
            sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        elif format == MatrixFormat.markdown:
            sys.stdout.write(render_markdown(data) + "\n")
        else:
            sys.stdout.write(render_text(data) + "\n")
