"""``sls-neutral logs``: function logs."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, EndpointOpt, OutputFormat, OutputOpt, ParamOpt,
                                         ProviderOpt, StageOpt, emit, require_declared, target)


def _since(value: str) -> float:
    """``--since`` -> epoch seconds; a bad value is a usage error (exit 2) before anything is loaded."""
    import time

    from sls_neutral.core import remote

    try:
        return remote.parse_since(value, time.time())
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def register(app) -> None:
    @app.command("logs")
    def logs(function: Annotated[str, typer.Argument(help="Function name.")],
             tail: Annotated[bool, typer.Option("--tail", help="Keep following new lines.")] = False,
             since: Annotated[Optional[float], typer.Option(
                 "--since", metavar="WHEN", parser=_since,
                 help="Start here: a duration back from now (90s, 10m, 2h, 3d) or an ISO-8601 time "
                      "(2026-12-05T10:00:00Z; no offset means UTC). Default: the last hour (Azure: 7 days, "
                      "local: the whole file). With --tail, where following starts.")] = None,
             config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
             provider: ProviderOpt = None, endpoint_url: EndpointOpt = None,
             output: OutputOpt = OutputFormat.text) -> None:
        """Print a function's logs (the local provider reads its log file)."""
        from sls_neutral.core.remote import LOGS_SINCE

        # the start travels in the context's options, not as an argument: Provider.logs keeps its signature
        there = target(config, stage, param, provider, endpoint_url,
                       options={LOGS_SINCE: since} if since is not None else None)
        require_declared("function", function, there.app.functions)
        result = there.provider.logs(there.app, function, there.context, tail=tail)
        if result == [] and output == OutputFormat.text:
            # nothing on stdout (a blank line read like a log line); say why on stderr
            from sls_neutral.core.remote import iso

            window = f"since {iso(since)}" if since is not None else "in the default window (see 'logs --help')"
            sys.stderr.write(f"no log lines for function '{function}' {window}\n")
        elif result is not None:
            emit(result, output, "\n".join(result) if isinstance(result, list) else str(result))
