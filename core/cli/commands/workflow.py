"""``sls-neutral workflow start|status|history``: workflow executions."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, EndpointOpt, OutputFormat, OutputOpt, ParamOpt,
                                         ProviderOpt, StageOpt, emit, project)


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
        from sls_neutral.core.errors import SlsnError, did_you_mean

        proj = project(config, stage, param)
        prov = proj.provider(provider)
        app_ir = proj.app_for(prov.name)
        if name not in app_ir.workflows:
            raise SlsnError(f"workflow '{name}' is not declared", hint=did_you_mean(name, app_ir.workflows))
        result = prov.workflow_start(app_ir, name, read_data(input) or {},
                                     proj.deploy_context(prov.name, endpoint_url=endpoint_url), wait=wait)
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

        proj = project(config, stage, param)
        prov = proj.provider(provider)
        result = prov.workflow_status(proj.app_for(prov.name), execution_id,
                                      proj.deploy_context(prov.name, endpoint_url=endpoint_url))
        emit(result, output, json.dumps(result, indent=2, sort_keys=True))

    @group.command("history")
    def history(execution_id: Annotated[str, typer.Argument(help="Execution id.")],
                config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
                provider: ProviderOpt = None, endpoint_url: EndpointOpt = None,
                output: OutputOpt = OutputFormat.text) -> None:
        """Event history of an execution."""
        proj = project(config, stage, param)
        prov = proj.provider(provider)
        events = prov.workflow_history(proj.app_for(prov.name), execution_id,
                                       proj.deploy_context(prov.name, endpoint_url=endpoint_url))
        text = "\n".join(f"{e.get('seq', i):>4} {e.get('time', '')} {e.get('type', '')} {e.get('step', '')} "
                         f"{e.get('detail', '')}".rstrip() for i, e in enumerate(events))
        emit(events, output, text)

    app.add_typer(group, name="workflow")
