"""Options every command shares, and output helpers.

Keep this module light: it is imported for ``--help``.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


ConfigOpt = Annotated[Path, typer.Option("-c", "--config", help="Manifest path.", show_default=True)]
StageOpt = Annotated[Optional[str], typer.Option("--stage", help="Stage (default: the manifest's stage).")]
ParamOpt = Annotated[Optional[list[str]], typer.Option("--param", help="NAME=VALUE for ${opt:NAME}; repeatable.")]
ProviderOpt = Annotated[Optional[str], typer.Option("-p", "--provider",
                                                    help="Provider name, or 'all' where allowed.")]
OutputOpt = Annotated[OutputFormat, typer.Option("--output", help="text or json.")]
EndpointOpt = Annotated[Optional[str], typer.Option("--endpoint-url",
                                                    help="Point the provider's control-plane clients elsewhere "
                                                         "(a local emulator in tests).")]

DEFAULT_CONFIG = Path("sls-neutral.yaml")


def project(config: Path, stage: str | None, params: list[str] | None):
    from sls_neutral.core.pipeline import Project, parse_params

    return Project(config=config, stage=stage, options=parse_params(params))


def emit(data: Any, output: OutputFormat, text: str | None = None) -> None:
    """Print ``data`` as JSON (sorted, for pipelines) or ``text`` for people."""
    if output == OutputFormat.json:
        sys.stdout.write(json.dumps(data, sort_keys=True, indent=2, default=str) + "\n")
    else:
        sys.stdout.write((text if text is not None else json.dumps(data, indent=2, default=str)) + "\n")
    sys.stdout.flush()


def print_warnings(proj) -> None:
    """Warnings and notes from the checks, on stderr so stdout stays clean for --output json."""
    for diagnostic in proj.warnings:
        sys.stderr.write(diagnostic.render() + "\n")


def progress_printer(output: OutputFormat):
    """Progress lines go to stderr so stdout stays clean for --output json."""
    def say(message: str) -> None:
        sys.stderr.write(f"  {message}\n")
        sys.stderr.flush()

    return say


def providers_for(project, provider: str | None) -> list[str]:
    if provider == "all":
        return [name for name in project.plugins.providers() if name != "local"] + ["local"]
    return [project.provider_name(provider)]
