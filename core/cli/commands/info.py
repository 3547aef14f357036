"""``sls-neutral info``: endpoints, resources, last deploy."""

from __future__ import annotations

import json

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, EndpointOpt, OutputFormat, OutputOpt, ParamOpt,
                                         ProviderOpt, StageOpt, emit, project, providers_for)


def register(app) -> None:
    @app.command("info")
    def info(config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
             provider: ProviderOpt = None, endpoint_url: EndpointOpt = None,
             output: OutputOpt = OutputFormat.text) -> None:
        """Endpoints, resources and the last deploy."""
        proj = project(config, stage, param)
        infos = {name: proj.info(name, {"endpoint_url": endpoint_url}) for name in providers_for(proj, provider)}
        text = "\n".join(f"{name}:\n" + _render(data) for name, data in infos.items())
        emit(infos if len(infos) > 1 else next(iter(infos.values())), output, text)


def _render(data, indent: int = 2) -> str:
    lines = []
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(" " * indent + f"{key}:")
            lines.append(_render(value, indent + 2))
        elif isinstance(value, list):
            lines.append(" " * indent + f"{key}:")
            lines.extend(" " * (indent + 2) + f"- {json.dumps(v) if isinstance(v, (dict, list)) else v}"
                         for v in value)
        else:
            lines.append(" " * indent + f"{key}: {value}")
    return "\n".join(l for l in lines if l)
