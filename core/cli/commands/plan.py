"""``sls-neutral plan``: show what deploy would change, as data, changing nothing."""

from __future__ import annotations

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, EndpointOpt, OutputFormat, OutputOpt, ParamOpt,
                                         ProviderOpt, StageOpt, emit, print_warnings, project,
                                         providers_for)


def register(app) -> None:
    @app.command("plan")
    def plan(config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
             provider: ProviderOpt = None, endpoint_url: EndpointOpt = None,
             output: OutputOpt = OutputFormat.text) -> None:
        """Show what deploy would change (a data-only plan) without changing anything."""
        proj = project(config, stage, param)
        plans = []
        for name in providers_for(proj, provider):
            _, _, _, the_plan, _ = proj.plan(name, {"endpoint_url": endpoint_url, "output": output.value})
            plans.append(the_plan)
        print_warnings(proj)
        emit({"plans": [p.to_dict() for p in plans]}, output, "\n\n".join(p.render() for p in plans))
