"""The plugin manager: entry points, broken plugins, missing extras, environment switches."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sls_neutral.core.errors import ProviderNotInstalledError
from sls_neutral.core.hookspecs import hookimpl
from sls_neutral.core.plugins import PluginManager
from sls_neutral.core.provider import Provider


@dataclass
class FakeEntryPoint:
    """Stands in for importlib.metadata.EntryPoint (same attributes the manager reads)."""

    name: str
    target: object = None
    error: Exception | None = None
    dist: object = None

    def load(self):
        if self.error:
            raise self.error
        return self.target


class _Local(Provider):
    name = "local"


class LocalPlugin:
    @hookimpl
    def slsn_register_providers(self):
        return [_Local()]


def test_missing_extra_names_the_install_command():
    pm = PluginManager(entry_points=[FakeEntryPoint("aws", error=ModuleNotFoundError("No module named 'boto3'")),
                                     FakeEntryPoint("local", LocalPlugin())])
    with pytest.raises(ProviderNotInstalledError) as info:
        pm.provider("aws")
    assert "boto3" in info.value.message
    assert info.value.hint == "install its extra: pip install 'sls-neutral[aws]'"
    assert pm.provider("local").name == "local"


def test_a_broken_plugin_does_not_break_the_others():
    pm = PluginManager(entry_points=[FakeEntryPoint("bad", error=RuntimeError("boom")),
                                     FakeEntryPoint("local", LocalPlugin())])
    assert "local" in pm.providers()
    assert pm.load_errors == {"bad": "RuntimeError: boom"}


def test_unknown_provider_suggests():
    pm = PluginManager(entry_points=[FakeEntryPoint("local", LocalPlugin())])
    with pytest.raises(ProviderNotInstalledError) as info:
        pm.provider("locl")
    assert "did you mean 'local'" in info.value.hint


def test_builtin_cloud_not_registered_gives_install_hint():
    pm = PluginManager(entry_points=[])
    with pytest.raises(ProviderNotInstalledError) as info:
        pm.provider("gcp")
    assert "pip install 'sls-neutral[gcp]'" in info.value.hint


def test_disabled_plugins(monkeypatch):
    monkeypatch.setenv("SLSN_DISABLED_PLUGINS", "local")
    pm = PluginManager(entry_points=[FakeEntryPoint("local", LocalPlugin())])
    assert pm.providers() == {}


def test_autoload_disabled_loads_only_named(monkeypatch):
    monkeypatch.setenv("SLSN_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("SLSN_PLUGINS", "local")
    other = FakeEntryPoint("other", error=AssertionError("must not be loaded"))
    pm = PluginManager(entry_points=[other, FakeEntryPoint("local", LocalPlugin())])
    assert list(pm.infos) == ["local"] and pm.load_errors == {}
