"""``sls-neutral init``: scaffold a service from a template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sls_neutral.core.cli.common import OutputFormat, OutputOpt, emit

TEMPLATES = ("http-api", "queue-worker", "workflow", "photo-pipeline")


def register(app) -> None:
    @app.command("init")
    def init(directory: Annotated[Optional[Path], typer.Argument(help="Folder to create (default: .).")] = None,
             template: Annotated[str, typer.Option("--template", "-t", help=f"One of: {', '.join(TEMPLATES)}.")]
             = "http-api",
             name: Annotated[Optional[str], typer.Option("--name", help="Service name (default: the folder's).")]
             = None,
             force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
             output: OutputOpt = OutputFormat.text) -> None:
        """Scaffold a service from templates/ (http-api, queue-worker, workflow, photo-pipeline)."""
        from sls_neutral.core.scaffold import scaffold

        target = (directory or Path(".")).resolve()
        written = scaffold(template, target, name=name, force=force)
        emit({"template": template, "directory": str(target), "files": written}, output,
             f"created {len(written)} files in {target} from '{template}'\nnext: cd {target} && sls-neutral deploy")
