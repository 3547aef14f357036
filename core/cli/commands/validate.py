"""``sls-neutral validate``: load, resolve, validate and compile; print every problem."""

from __future__ import annotations

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, OutputFormat, OutputOpt, ParamOpt,
                                         ProviderOpt, StageOpt, emit, print_warnings,
                                         project)


def register(app) -> None:
    @app.command("validate")
    def validate(config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
                 provider: ProviderOpt = None, output: OutputOpt = OutputFormat.text,
                 ir: bool = False) -> None:
        """Load, resolve variables, validate and compile to the IR; print every error with file:line:col.

        With -p, also check the provider's settings, limits and supported features (-p all: every provider).
        With --ir, print the compiled IR as JSON.
        """
        from sls_neutral.core import ir as ir_module
        from sls_neutral.core.cli.common import providers_for

        proj = project(config, stage, param)
        app_ir = proj.app
        checked = []
        if provider:
            for name in providers_for(proj, provider):
                proj.app_for(name)
                checked.append(name)
        print_warnings(proj)
        data = {"valid": True, "warnings": [d.to_dict() for d in proj.warnings], "service": app_ir.service, "stage": app_ir.stage, "providers": checked,
                "functions": len(app_ir.functions), "workflows": len(app_ir.workflows)}
        if ir:
            data["ir"] = ir_module.to_jsonable(app_ir)
        text = (f"{app_ir.manifest_file}: valid ({app_ir.service}, stage {app_ir.stage}: "
                f"{len(app_ir.functions)} functions, {len(app_ir.workflows)} workflows"
                + (f"; checked for {', '.join(checked)}" if checked else "") + ")")
        if ir and output == OutputFormat.text:
            import json

            text += "\n" + json.dumps(data["ir"], indent=2, sort_keys=True)
        emit(data, output, text)
