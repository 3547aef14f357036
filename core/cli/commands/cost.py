"""``sls-neutral cost``: monthly cost per provider and the container crossover."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, OutputFormat, OutputOpt, ParamOpt, StageOpt,
                                         project)


def register(app) -> None:
    @app.command("cost")
    def cost(profile: Annotated[Optional[Path], typer.Option("--profile", help="Traffic profile (YAML).")] = None,
             plot: Annotated[Optional[Path], typer.Option("--plot", help="Write a cost chart (SVG).")] = None,
             free_tier: Annotated[bool, typer.Option("--free-tier/--no-free-tier", help="Apply free tiers.")] = True,
             config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
             output: OutputOpt = OutputFormat.text) -> None:
        """Estimate the monthly cost on AWS, GCP and Azure and find the container crossover."""
        from sls_neutral.core.cost.command import run_cost

        run_cost(project(config, stage, param), profile, plot, free_tier, output.value)
