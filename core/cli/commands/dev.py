"""``sls-neutral dev``: the local runtime in the foreground with hot reload."""

from __future__ import annotations

from typing import Annotated

import typer

from sls_neutral.core.cli.common import DEFAULT_CONFIG, ConfigOpt, ParamOpt, StageOpt, project


def register(app) -> None:
    @app.command("dev")
    def dev(config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
            host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
            port: Annotated[int, typer.Option("--port", help="Port.")] = 8787,
            reload: Annotated[bool, typer.Option("--reload/--no-reload", help="Reload on handler or manifest "
                                                 "changes.")] = True) -> None:
        """Run http, queues, topics, schedules, buckets and workflows locally, reloading on changes.

        State lives under .sls-neutral/local/<stage>/.
        """
        from sls_neutral.providers.local.dev import run_dev

        run_dev(project(config, stage, param), host=host, port=port, reload=reload)
