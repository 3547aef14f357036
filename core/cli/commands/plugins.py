"""``sls-neutral plugins``: installed plugins and providers, their versions and hooks."""

from __future__ import annotations

from sls_neutral.core.cli.common import OutputFormat, OutputOpt, emit


def register(app) -> None:
    @app.command("plugins")
    def plugins(output: OutputOpt = OutputFormat.text) -> None:
        """List installed plugins and providers, their versions and the hooks they implement."""
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
        lines = ["Plugins:"]
        for i in infos:
            dist = f" ({i.distribution} {i.version})" if i.distribution else ""
            lines.append(f"  {i.name}{dist}: {', '.join(i.hooks) or 'no hooks'}")
        lines.append("Providers:")
        lines += [f"  {p.name} {p.version}: {p.description}" for p in providers.values()]
        for name, error in sorted(pm.load_errors.items()):
            lines.append(f"  {name}: not loaded ({error})")
        emit(data, output, "\n".join(lines))
