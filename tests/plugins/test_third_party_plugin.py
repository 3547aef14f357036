"""A real third-party plugin package, installed with pip, is discovered through its entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SERVICE = """\
service: plug-demo
plugins: [sample]
sample:
  greeting: bonjour
functions:
  hi:
    handler: src/hi.py:hi
    triggers:
      - http: {method: GET, path: /hi}
"""


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                             "--target", str(target), str(HERE / "sample_plugin")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert any(p.name.startswith("slsn_sample_plugin") and p.suffix == ".dist-info" for p in target.iterdir())
    return target


@pytest.fixture
def service(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hi.py").write_text("def hi(request, ctx):\n    return 'hi'\n")
    (tmp_path / "sls-neutral.yaml").write_text(SERVICE)
    return tmp_path


def _env(plugin_site, tmp_path):
    return {"PYTHONPATH": os.pathsep.join([str(plugin_site), os.environ.get("PYTHONPATH", "")]),
            "SLSN_SAMPLE_LOG": str(tmp_path / "events.log")}


def test_plugins_lists_it_with_version_and_hooks(cli, plugin_site, service):
    result = cli("plugins", "--output", "json", cwd=service, env=_env(plugin_site, service))
    assert result.returncode == 0, result.stderr
    import json

    data = json.loads(result.stdout)
    sample = next(p for p in data["plugins"] if p["name"] == "sample")
    assert sample["distribution"] == "slsn-sample-plugin" and sample["version"] == "1.2.3"
    assert {"slsn_register_providers", "slsn_emit_artifacts", "slsn_manifest_schema"} <= set(sample["hooks"])
    assert "echo" in [p["name"] for p in data["providers"]]


def test_its_hooks_are_called_in_the_pipeline(cli, plugin_site, service):
    env = _env(plugin_site, service)
    result = cli("package", "-p", "echo", "-o", "out", cwd=service, env=env)
    assert result.returncode == 0, result.stderr
    assert (service / "out" / "functions.json").read_text() == '[\n  "hi"\n]\n'
    assert (service / "out" / "greeting.txt").read_text() == "bonjour\n"
    events = (service / "events.log").read_text().split()
    assert events == ["before_package:echo", "emit:echo", "after_package:echo:2"]
    hello = cli("sample-hello", cwd=service, env=env)
    assert hello.returncode == 0 and '"sample": "hello"' in hello.stdout


def test_its_manifest_block_is_validated_with_positions(cli, plugin_site, service):
    (service / "sls-neutral.yaml").write_text(SERVICE.replace("greeting: bonjour", "greting: bonjour"))
    result = cli("validate", cwd=service, env=_env(plugin_site, service))
    assert result.returncode == 1
    assert "sls-neutral.yaml:4:3: error: unknown key 'greting'" in result.stderr


def test_disabling_it_by_environment(cli, plugin_site, service):
    env = {**_env(plugin_site, service), "SLSN_DISABLED_PLUGINS": "sample"}
    result = cli("validate", cwd=service, env=env)
    assert result.returncode == 1
    assert "block 'sample' belongs to plugin 'sample', which is not installed" in result.stderr


def test_autoload_off_keeps_only_named_plugins(cli, plugin_site, service):
    env = {**_env(plugin_site, service), "SLSN_DISABLE_PLUGIN_AUTOLOAD": "1", "SLSN_PLUGINS": "sample"}
    result = cli("plugins", "--output", "json", cwd=service, env=env)
    import json

    names = [p["name"] for p in json.loads(result.stdout)["plugins"]]
    assert names == ["sample"]


def test_trace_prints_hook_calls(cli, plugin_site, service):
    env = {**_env(plugin_site, service), "SLSN_TRACE_PLUGINS": "1"}
    result = cli("package", "-p", "echo", "-o", "out", cwd=service, env=env)
    assert result.returncode == 0
    assert "slsn_emit_artifacts" in result.stderr
