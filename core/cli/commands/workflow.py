"""``sls-neutral workflow start|status|history``: workflow executions."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, EndpointOpt, OutputFormat, OutputOpt, ParamOpt,
                                         ProviderOpt, StageOpt, emit, require_declared, target)


def register(app) -> None:
    group = typer.Typer(help="Start workflow executions and read their state and history.", no_args_is_help=True)

    @group.command("start")
    def start(name: Annotated[str, typer.Argument(help="Workflow name.")],
              input: Annotated[Optional[str], typer.Option("--input", help="JSON input, or @file.")] = None,
              wait: Annotated[bool, typer.Option("--wait", help="Wait for the result.")] = False,
              config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
              provider: ProviderOpt = None, endpoint_url: EndpointOpt = None,
              output: OutputOpt = OutputFormat.text) -> None:
        """Start an execution and print its id (and its result with --wait)."""
        import json

        from sls_neutral.core.cli.commands.invoke import read_data
        there = target(config, stage, param, provider, endpoint_url)
        require_declared("workflow", name, there.app.workflows)
        result = there.provider.workflow_start(there.app, name, read_data(input) or {}, there.context, wait=wait)
        text = result["execution_id"] if not wait else json.dumps(result, indent=2, sort_keys=True)
        emit(result, output, text)
        if wait and result.get("status") not in (None, "SUCCEEDED"):
            raise typer.Exit(1)

    @group.command("status")
    def status(execution_id: Annotated[str, typer.Argument(help="Execution id.")],
               config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
               provider: ProviderOpt = None, endpoint_url: EndpointOpt = None,
               output: OutputOpt = OutputFormat.text) -> None:
        """State of an execution."""
        import json

        there = target(config, stage, param, provider, endpoint_url)
        result = there.provider.workflow_status(there.app, execution_id, there.context)
        emit(result, output, json.dumps(result, indent=2, sort_keys=True))

    @group.command("history")
    def history(execution_id: Annotated[str, typer.Argument(help="Execution id.")],
                config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
                provider: ProviderOpt = None, endpoint_url: EndpointOpt = None,
                output: OutputOpt = OutputFormat.text) -> None:
        """Event history of an execution: one line per event (seq, time, type, step, detail)."""
        from sls_neutral.core.remote import history_text

        there = target(config, stage, param, provider, endpoint_url)
        events = there.provider.workflow_history(there.app, execution_id, there.context)
        emit(events, output, history_text(events))

    app.add_typer(group, name="workflow")
