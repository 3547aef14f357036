"""The plugin manager: entry points, environment switches, and a typed facade.

Built-in providers register through the entry-point group ``sls_neutral``
exactly like third-party plugins. Environment switches (pytest's model):

- ``SLSN_DISABLE_PLUGIN_AUTOLOAD=1``: load no entry points except those named
  in ``SLSN_PLUGINS`` (comma separated);
- ``SLSN_DISABLED_PLUGINS=a,b``: skip these entry points;
- ``SLSN_TRACE_PLUGINS=1``: print every hook call and result to stderr.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any, Iterable

import pluggy

from sls_neutral.core import hookspecs
from sls_neutral.core import entrypoints
from sls_neutral.core.errors import Diagnostic, PluginError, ProviderNotInstalledError, did_you_mean

GROUP = "sls_neutral"
BUILTIN_EXTRAS = {"aws": "aws", "gcp": "gcp", "azure": "azure"}


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str | None
    version: str | None
    module: str
    hooks: tuple[str, ...]


def _env_list(name: str) -> set[str]:
    return {p.strip() for p in os.environ.get(name, "").split(",") if p.strip()}


_DIST_INFO: dict[Any, tuple[str | None, str | None]] = {}


def _dist_name_version(dist: Any) -> tuple[str | None, str | None]:
    """(name, version) of an entry point's distribution, reading its METADATA once per distribution
    (most plugins come from the same one; parsing it for each cost ~2 ms per entry point at startup)."""
    if dist is None:
        return None, None
    key = getattr(dist, "_path", None) or id(dist)
    if key not in _DIST_INFO:
        _DIST_INFO[key] = (getattr(dist, "name", None), getattr(dist, "version", None))
    return _DIST_INFO[key]


class PluginManager:
    """A thin typed facade over pluggy (tox's style): call sites read like the pipeline."""

    def __init__(self, *, autoload: bool | None = None, entry_points: Iterable[Any] | None = None):
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.load_errors: dict[str, str] = {}
        if autoload is None:
            autoload = os.environ.get("SLSN_DISABLE_PLUGIN_AUTOLOAD", "") in ("", "0", "false")
        self._load_entry_points(entry_points, autoload)
        self.pm.check_pending()
        if os.environ.get("SLSN_TRACE_PLUGINS", "") not in ("", "0", "false"):
            self.pm.trace.root.setwriter(lambda msg: sys.stderr.write(msg))
            self.pm.enable_tracing()
        self._providers: dict[str, Any] | None = None

    def _load_entry_points(self, entry_points: Iterable[Any] | None, autoload: bool) -> None:
        disabled = _env_list("SLSN_DISABLED_PLUGINS")
        explicit = _env_list("SLSN_PLUGINS")
        eps = list(entry_points) if entry_points is not None else entrypoints.entry_points(GROUP)
        seen: set[str] = set()
        for ep in sorted(eps, key=lambda e: e.name):
            if ep.name in seen or ep.name in disabled:
                continue
            if not autoload and ep.name not in explicit:
                continue
            seen.add(ep.name)
            try:
                plugin = ep.load()
            except ImportError as exc:
                self.load_errors[ep.name] = f"{type(exc).__name__}: {exc}"
                continue
            except Exception as exc:  # a broken third-party plugin must not take the CLI down
                self.load_errors[ep.name] = f"{type(exc).__name__}: {exc}"
                continue
            distribution, version = _dist_name_version(getattr(ep, "dist", None))
            self.register(plugin, ep.name, distribution=distribution, version=version)

    def register(self, plugin: Any, name: str, *, distribution: str | None = None,
                 version: str | None = None) -> None:
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)
            raise PluginError(f"plugin '{name}' is invalid: {exc}",
                              hint="hook names start with slsn_ and must match sls_neutral.core.hookspecs") from None
        hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or ()))
        self.infos[name] = PluginInfo(name, distribution, version, getattr(plugin, "__name__", type(plugin).__name__),
                                      hooks)
        self._providers = None

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self.infos.pop(name, None)
        self._providers = None

    @property
    def hook(self):
        return self.pm.hook

    # ------------------------------------------------------------ facade
    def providers(self) -> dict[str, Any]:
        if self._providers is None:
            found: dict[str, Any] = {}
            for result in self.pm.hook.slsn_register_providers():
                for provider in result or ():
                    found.setdefault(provider.name, provider)
            self._providers = dict(sorted(found.items()))
        return self._providers

    def provider(self, name: str) -> Any:
        providers = self.providers()
        if name in providers:
            return providers[name]
        if name in self.load_errors:
            extra = BUILTIN_EXTRAS.get(name, name)
            raise ProviderNotInstalledError(
                f"provider '{name}' is not installed: {self.load_errors[name]}",
                hint=f"install its extra: pip install 'sls-neutral[{extra}]'")
        hint = did_you_mean(name, providers) or f"installed providers: {', '.join(providers) or 'none'}"
        if name in BUILTIN_EXTRAS:
            hint = f"install it with: pip install 'sls-neutral[{BUILTIN_EXTRAS[name]}]'"
        raise ProviderNotInstalledError(f"unknown provider '{name}'", hint=hint)

    def manifest_extensions(self) -> dict[str, Any]:
        blocks: dict[str, Any] = {}
        for result in self.pm.hook.slsn_manifest_schema():
            blocks.update(result or {})
        return blocks

    def validate_ir(self, app: Any, provider: str | None) -> list[Diagnostic]:
        return [d for result in self.pm.hook.slsn_validate_ir(app=app, provider=provider) for d in (result or ())]

    def transform_ir(self, app: Any, provider: str) -> Any:
        """Chain every slsn_transform_ir implementation (pluggy's call order: last registered first)."""
        for impl in self.pm.hook.slsn_transform_ir.get_hookimpls()[::-1]:
            kwargs = {"app": app, "provider": provider}
            result = impl.function(**{k: kwargs[k] for k in impl.argnames})
            if result is not None:
                app = result
        return app

    def lint_rules(self) -> list[Any]:
        return [rule for result in self.pm.hook.slsn_lint_rules() for rule in (result or ())]

    def plugin_infos(self) -> list[PluginInfo]:
        return [self.infos[k] for k in sorted(self.infos)]


_DEFAULT: PluginManager | None = None


def get_plugin_manager() -> PluginManager:
    """The process-wide manager (created on first use so --help never loads providers)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = PluginManager()
    return _DEFAULT


def reset_plugin_manager(manager: PluginManager | None = None) -> None:
    """Tests swap the manager (datasette's pattern: register inline plugins, unregister after)."""
    global _DEFAULT
    _DEFAULT = manager
