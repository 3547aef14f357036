"""``sls-neutral logs``: function logs."""

from __future__ import annotations

from typing import Annotated

import typer

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, EndpointOpt, OutputFormat, OutputOpt, ParamOpt,
                                         ProviderOpt, StageOpt, emit, project)


def register(app) -> None:
    @app.command("logs")
    def logs(function: Annotated[str, typer.Argument(help="Function name.")],
             tail: Annotated[bool, typer.Option("--tail", help="Keep following new lines.")] = False,
             config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
             provider: ProviderOpt = None, endpoint_url: EndpointOpt = None,
             output: OutputOpt = OutputFormat.text) -> None:
        """Print a function's logs (the local provider reads its log file)."""
        proj = project(config, stage, param)
        prov = proj.provider(provider)
        app_ir = proj.app_for(prov.name)
        result = prov.logs(app_ir, function, proj.deploy_context(prov.name, endpoint_url=endpoint_url), tail=tail)
        if result is not None:
            emit(result, output, "\n".join(result) if isinstance(result, list) else str(result))
