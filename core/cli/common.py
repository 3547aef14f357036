"""Options every command shares, and output helpers.

Keep this module light: it is imported for ``--help``, and by the quick ``package`` path
(:mod:`sls_neutral.core.cli.quick`), which runs without typer. The typer option types (``ConfigOpt``,
``StageOpt`` ...) are therefore built on first access (module ``__getattr__``): a command module that
imports them pays for typer, the helpers below do not.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


def _option_types() -> dict[str, Any]:
    from typing import Annotated, Optional

    import typer

    return {
        "ConfigOpt": Annotated[Path, typer.Option("-c", "--config", help="Manifest path.", show_default=True)],
        "StageOpt": Annotated[Optional[str], typer.Option("--stage", help="Stage (default: the manifest's stage).")],
        "ParamOpt": Annotated[Optional[list[str]], typer.Option("--param",
                                                                help="NAME=VALUE for ${opt:NAME}; repeatable.")],
        "ProviderOpt": Annotated[Optional[str], typer.Option("-p", "--provider",
                                                             help="Provider name, or 'all' where allowed.")],
        "OutputOpt": Annotated[OutputFormat, typer.Option("--output", help="text or json.")],
        "EndpointOpt": Annotated[Optional[str], typer.Option("--endpoint-url",
                                                             help="Point the provider's control-plane clients "
                                                                  "elsewhere (a local emulator in tests).")],
    }


OPTION_TYPES = ("ConfigOpt", "StageOpt", "ParamOpt", "ProviderOpt", "OutputOpt", "EndpointOpt")


def __getattr__(name: str) -> Any:
    if name in OPTION_TYPES:
        globals().update(_option_types())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


DEFAULT_CONFIG = Path("sls-neutral.yaml")


def project(config: Path, stage: str | None, params: list[str] | None):
    from sls_neutral.core.pipeline import Project, parse_params

    return Project(config=config, stage=stage, options=parse_params(params))


class Target(NamedTuple):
    """One provider's view of the project, for the commands that talk to a deployment."""

    project: Any
    provider: Any
    app: Any
    context: Any


def target(config: Path, stage: str | None, params: list[str] | None, provider: str | None,
           endpoint_url: str | None = None, options: Mapping[str, Any] | None = None) -> Target:
    """Load the project and resolve the provider a command runs against (invoke, logs, workflow ...).

    ``options`` become ``DeployContext.options`` (``logs --since`` passes ``logs_since`` this way).
    """
    proj = project(config, stage, params)
    prov = proj.provider(provider)
    return Target(proj, prov, proj.app_for(prov.name),
                  proj.deploy_context(prov.name, endpoint_url=endpoint_url, options=options))


def require_declared(kind: str, name: str, declared) -> None:
    """Refuse a name the manifest does not declare, suggesting the nearest one."""
    if name not in declared:
        from sls_neutral.core.errors import SlsnError, did_you_mean

        raise SlsnError(f"{kind} '{name}' is not declared",
                        hint=did_you_mean(name, declared) or "see 'sls-neutral info'")


def emit(data: Any, output: OutputFormat, text: str | None = None) -> None:
    """Print ``data`` as JSON (sorted, for pipelines) or ``text`` for people."""
    if output == OutputFormat.json:
        _write("out", json.dumps(data, sort_keys=True, indent=2, default=str) + "\n")
    else:
        _write("out", (text if text is not None else json.dumps(data, indent=2, default=str)) + "\n")
    sys.stdout.flush()


def _write(stream: str, text: str) -> None:
    """Print, and let a recorded build keep the text (an incremental replay prints it again)."""
    from sls_neutral.core import buildrecord

    (sys.stdout if stream == "out" else sys.stderr).write(text)
    buildrecord.say(stream, text)


def print_warnings(proj) -> None:
    """Warnings and notes from the checks, on stderr so stdout stays clean for --output json."""
    for diagnostic in proj.warnings:
        _write("err", diagnostic.render() + "\n")


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
