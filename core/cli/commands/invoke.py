"""``sls-neutral invoke``: run one function once with a synthesized event of the right type."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, EndpointOpt, OutputFormat, OutputOpt, ParamOpt,
                                         ProviderOpt, StageOpt, emit, require_declared, target)


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
        """Invoke one function; -p local runs it in-process with a synthesized event. Exits 1 when it failed."""
        import json

        from sls_neutral.core.remote import failure

        there = target(config, stage, param, provider, endpoint_url)
        require_declared("function", function, there.app.functions)
        result = there.provider.invoke(there.app, function, read_data(data), there.context)
        emit(result, output, json.dumps(result, indent=2, sort_keys=True, default=str))
        failed = failure(result)
        if failed is not None:  # the function ran and failed: say why on stderr, exit 1 (stdout keeps the result)
            import sys

            name, cause = failed
            sys.stderr.write(f"error: function '{function}' failed: {name}" + (f": {cause}" if cause else "") + "\n")
            raise typer.Exit(1)
