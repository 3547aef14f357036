"""``sls-neutral lint``: anti-pattern and limit checks."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from sls_neutral.core.cli.common import DEFAULT_CONFIG, ConfigOpt, ParamOpt, ProviderOpt, StageOpt, project


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


def register(app) -> None:
    @app.command("lint")
    def lint(config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
             provider: ProviderOpt = None,
             format: Annotated[LintFormat, typer.Option("--format", "--output", help="text, json or sarif.")]
             = LintFormat.text) -> None:
        """Check the app for anti-patterns and provider limits; exit 1 when an error remains."""
        from sls_neutral.core.lint.command import run_lint

        code = run_lint(project(config, stage, param), provider, format.value)
        if code:
            raise typer.Exit(code)
