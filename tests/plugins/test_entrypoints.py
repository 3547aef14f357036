"""The fast entry-point reader agrees with importlib.metadata (core/entrypoints.py)."""

from __future__ import annotations

import sys
from importlib import metadata

import pytest

from sls_neutral.core import entrypoints


@pytest.mark.parametrize("group", ["sls_neutral", "console_scripts", "pytest11"])
def test_same_entry_points_as_importlib_metadata(group):
    expected = sorted((e.name, e.value, e.dist.name, e.dist.version) for e in metadata.entry_points(group=group))
    actual = sorted((e.name, e.value, e.dist.name, e.dist.version) for e in entrypoints.entry_points(group))
    assert actual == expected
    assert expected  # the group is really there: the comparison is not between two empty lists


def test_the_builtin_providers_load_through_it():
    loaded = {e.name: e.load() for e in entrypoints.entry_points("sls_neutral")}
    assert {"aws", "gcp", "azure", "local"} <= set(loaded)
    assert loaded["local"].__name__ == "sls_neutral.providers.local.plugin"


def test_an_entry_point_naming_an_attribute_loads_the_attribute():
    ep = entrypoints.EntryPoint("x", "os.path:join", "g")
    import os.path

    assert ep.load() is os.path.join


def test_a_zip_on_sys_path_falls_back_to_importlib_metadata(tmp_path, monkeypatch):
    archive = tmp_path / "plugins.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    monkeypatch.setattr(sys, "path", [str(archive), *sys.path])
    called = []
    real = metadata.entry_points
    monkeypatch.setattr(metadata, "entry_points", lambda **kw: called.append(kw) or real(**kw))
    names = {e.name for e in entrypoints.entry_points("sls_neutral")}
    assert called == [{"group": "sls_neutral"}] and "local" in names


def test_first_distribution_on_sys_path_wins(tmp_path, monkeypatch):
    for folder, target in (("first", "mod_a"), ("second", "mod_b")):
        dist = tmp_path / folder / "Demo_Plugin-1.0.dist-info"
        dist.mkdir(parents=True)
        (dist / "entry_points.txt").write_text(f"[other]\nx = y\n\n[sls_neutral]\ndemo = {target}\n")
        (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-plugin\nVersion: 1.0\n\nbody: no\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "first"), str(tmp_path / "second")])
    found = entrypoints.entry_points("sls_neutral")
    assert [(e.name, e.value, e.dist.name, e.dist.version) for e in found] == [("demo", "mod_a", "demo-plugin", "1.0")]
