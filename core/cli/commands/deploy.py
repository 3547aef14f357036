"""``sls-neutral deploy``: package, plan, execute. ``-p local`` serves the app on this machine."""

from __future__ import annotations

from typing import Annotated

import typer

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, EndpointOpt, OutputFormat, OutputOpt, ParamOpt,
                                         ProviderOpt, StageOpt, emit, print_warnings, progress_printer,
                                         project, providers_for)


def register(app) -> None:
    @app.command("deploy")
    def deploy(config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
               provider: ProviderOpt = None, endpoint_url: EndpointOpt = None,
               no_lint: Annotated[bool, typer.Option("--no-lint", help="Deploy even if lint finds errors.")] = False,
               host: Annotated[str, typer.Option("--host", help="Local provider: address to bind.")] = "127.0.0.1",
               port: Annotated[int, typer.Option("--port", help="Local provider: port.")] = 8787,
               detach: Annotated[bool, typer.Option("--detach", help="Local provider: start in the background "
                                                    "and return.")] = False,
               output: OutputOpt = OutputFormat.text) -> None:
        """Package, plan and execute. Shows progress; skips unchanged artifacts."""
        proj = project(config, stage, param)
        results = []
        for name in providers_for(proj, provider):
            proj.app_for(name)
            print_warnings(proj)  # before a local deploy starts serving in the foreground
            proj.warnings.clear()
            if not no_lint:
                _lint_gate(proj, name)
            results.append(proj.deploy(name, {
                "endpoint_url": endpoint_url, "output": output.value, "progress": progress_printer(output),
                "options": {"host": host, "port": port, "detach": detach}}))
        text = "\n".join(r.get("message", f"deployed {r.get('provider', '')}") for r in results)
        emit({"results": results}, output, text)


def _lint_gate(proj, provider: str) -> None:
    """Refuse to deploy on error-level lint findings (when the lint module is available)."""
    try:
        from sls_neutral.core.lint import lint_errors_for_deploy
    except ImportError:
        return
    lint_errors_for_deploy(proj, provider)
