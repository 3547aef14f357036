"""``sls-neutral logs``: function logs."""

from __future__ import annotations

from typing import Annotated

import typer

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, EndpointOpt, OutputFormat, OutputOpt, ParamOpt,
                                         ProviderOpt, StageOpt, emit, require_declared, target)


def register(app) -> None:
    @app.command("logs")
    def logs(function: Annotated[str, typer.Argument(help="Function name.")],
             tail: Annotated[bool, typer.Option("--tail", help="Keep following new lines.")] = False,
             config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
             provider: ProviderOpt = None, endpoint_url: EndpointOpt = None,
             output: OutputOpt = OutputFormat.text) -> None:
        """Print a function's logs (the local provider reads its log file)."""
        there = target(config, stage, param, provider, endpoint_url)
        require_declared("function", function, there.app.functions)
        result = there.provider.logs(there.app, function, there.context, tail=tail)
        if result is not None:
            emit(result, output, "\n".join(result) if isinstance(result, list) else str(result))
