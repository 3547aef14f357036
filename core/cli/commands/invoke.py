"""``sls-neutral invoke``: run one function once with a synthesized event of the right type."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, EndpointOpt, OutputFormat, OutputOpt, ParamOpt,
                                         ProviderOpt, StageOpt, emit, project)


def read_data(data: str | None):
    """``--data JSON`` or ``--data @file``; plain text that is not JSON is passed as a string."""
    import json
    from pathlib import Path

    from sls_neutral.core.errors import SlsnError

    if data is None:
        return None
    if data.startswith("@"):
        path = Path(data[1:])
        if not path.is_file():
            raise SlsnError(f"--data file '{path}' not found")
        data = path.read_text(encoding="utf-8")
    try:
        return json.loads(data)
    except json.JSONDecodeError:
        return data


def register(app) -> None:
    @app.command("invoke")
    def invoke(function: Annotated[str, typer.Argument(help="Function name.")],
               data: Annotated[Optional[str], typer.Option("--data", "-d", help="JSON, or @file.")] = None,
               config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
               provider: ProviderOpt = None, endpoint_url: EndpointOpt = None,
               output: OutputOpt = OutputFormat.text) -> None:
        """Invoke one function; -p local runs it in-process with a synthesized event."""
        import json

        from sls_neutral.core.errors import SlsnError, did_you_mean

        proj = project(config, stage, param)
        prov = proj.provider(provider)
        app_ir = proj.app_for(prov.name)
        if function not in app_ir.functions:
            raise SlsnError(f"function '{function}' is not declared",
                            hint=did_you_mean(function, app_ir.functions) or "see 'sls-neutral info'")
        result = prov.invoke(app_ir, function, read_data(data), proj.deploy_context(prov.name,
                                                                                    endpoint_url=endpoint_url))
        emit(result, output, json.dumps(result, indent=2, sort_keys=True, default=str))
