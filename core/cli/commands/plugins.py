"""``sls-neutral plugins``: installed plugins and providers, their versions and hooks."""

from __future__ import annotations

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, ConfigOpt, OutputFormat, OutputOpt, ParamOpt, StageOpt,
                                         emit, project)


def _enabled_by_manifest(config, stage, params) -> tuple[list[str] | None, str | None]:
    """The plugins the manifest's ``plugins:`` list enables; (None, why) when it cannot be read."""
    from sls_neutral.core.errors import SlsnError

    if config == DEFAULT_CONFIG and not config.exists():
        return None, None
    try:
        return list(project(config, stage, params).loaded.model.plugins), None
    except SlsnError as exc:
        return None, exc.message.splitlines()[0]


def register(app) -> None:
    @app.command("plugins")
    def plugins(config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
                output: OutputOpt = OutputFormat.text) -> None:
        """List installed plugins and providers, their versions and the hooks they implement.

        Inside a service (or with -c), also shows which plugins its manifest enables.
        """
        from sls_neutral.core.plugins import get_plugin_manager

        pm = get_plugin_manager()
        infos = pm.plugin_infos()
        providers = pm.providers()
        data = {
            "plugins": [{"name": i.name, "distribution": i.distribution, "version": i.version, "module": i.module,
                         "hooks": list(i.hooks)} for i in infos],
            "providers": [{"name": p.name, "version": p.version, "description": p.description}
                          for p in providers.values()],
            "failed": dict(sorted(pm.load_errors.items())),
        }
        enabled, unreadable = _enabled_by_manifest(config, stage, param)
        if enabled is not None:
            data["enabled_by_manifest"] = enabled
        lines = ["Plugins:"]
        for i in infos:
            dist = f" ({i.distribution} {i.version})" if i.distribution else ""
            lines.append(f"  {i.name}{dist}: {', '.join(i.hooks) or 'no hooks'}")
        lines.append("Providers:")
        lines += [f"  {p.name} {p.version}: {p.description}" for p in providers.values()]
        for name, error in sorted(pm.load_errors.items()):
            lines.append(f"  {name}: not loaded ({error})")
        if enabled is not None:
            lines.append(f"Enabled by {config}: {', '.join(enabled) or 'none'}")
        elif unreadable:
            lines.append(f"{config} not read: {unreadable}")
        emit(data, output, "\n".join(lines))
