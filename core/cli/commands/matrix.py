"""``sls-neutral matrix``: which features each installed provider supports."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer


class MatrixFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


def build_matrix(providers) -> dict:
    from sls_neutral.core.provider import FEATURES

    rows = []
    for feature, description in FEATURES.items():
        cells = {}
        for p in providers.values():
            s = p.support(feature)
            cells[p.name] = {"level": s.level, "note": s.note, "alternative": s.alternative}
        rows.append({"feature": feature, "description": description, "providers": cells})
    return {"providers": list(providers), "features": rows}


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
    width = max(len(r["feature"]) for r in matrix["features"]) + 2
    col = max([len(n) for n in names] + [6]) + 2
    lines = ["feature".ljust(width) + "".join(n.ljust(col) for n in names)]
    for row in matrix["features"]:
        lines.append(row["feature"].ljust(width)
                     + "".join(mark[row["providers"][n]["level"]].ljust(col) for n in names))
    lines.append("")
    lines.append("~ approximate; '-' unsupported. 'sls-neutral matrix --format markdown' shows the notes.")
    return "\n".join(lines)


def register(app) -> None:
    @app.command("matrix")
    def matrix(format: Annotated[MatrixFormat, typer.Option("--format", "--output",
                                                            help="text, json or markdown.")] = MatrixFormat.text
               ) -> None:
        """Which features each installed provider supports (with notes where a mapping is approximate)."""
        import json
        import sys

        from sls_neutral.core.plugins import get_plugin_manager

        data = build_matrix(get_plugin_manager().providers())
        if format == MatrixFormat.json:
            sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        elif format == MatrixFormat.markdown:
            sys.stdout.write(render_markdown(data) + "\n")
        else:
            sys.stdout.write(render_text(data) + "\n")
