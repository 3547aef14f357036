"""``sls-neutral remove``: delete the deployed stage."""

from __future__ import annotations

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, EndpointOpt, OutputFormat, OutputOpt, ParamOpt,
                                         ProviderOpt, StageOpt, emit, progress_printer, project, providers_for)


def register(app) -> None:
    @app.command("remove")
    def remove(config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
               provider: ProviderOpt = None, endpoint_url: EndpointOpt = None,
               output: OutputOpt = OutputFormat.text) -> None:
        """Delete the deployed stage and the artifacts it owns."""
        proj = project(config, stage, param)
        results = [proj.remove(name, {"endpoint_url": endpoint_url, "progress": progress_printer(output)})
                   for name in providers_for(proj, provider)]
        emit({"results": results}, output, "\n".join(r.get("message", "removed") for r in results))
