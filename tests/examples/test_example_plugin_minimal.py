"""examples/plugin-minimal: a third-party plugin package installs with pip, loads through its entry point,
and its hooks run — only for services that list it under ``plugins:``.

The install follows tests/plugins/test_third_party_plugin.py: ``pip install --target`` into a temporary folder
that goes on PYTHONPATH, where importlib.metadata finds the entry point like any installed distribution.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from examples_helpers import EXAMPLES

pytestmark = [pytest.mark.functional]

SERVICE = """\
service: plug-demo
plugins: [minimal]
functions:
  hi:
    handler: src/hi.py:hi
    triggers:
      - http: {method: GET, path: /hi}
  quiet:
    handler: src/hi.py:hi
    lint: {ignore: {MIN001: "an internal helper"}}
  described:
    handler: src/hi.py:hi
    description: says hi
"""


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory):
    # pip builds in the source folder (build/, *.egg-info): install from a copy, so parallel runs never race
    source = tmp_path_factory.mktemp("src") / "plugin-minimal"
    shutil.copytree(EXAMPLES / "plugin-minimal", source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                             "--no-index", "--target", str(target), str(source)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (target / "slsn_plugin_minimal-0.1.0.dist-info").is_dir()
    return {"PYTHONPATH": os.pathsep.join(p for p in [str(target), os.environ.get("PYTHONPATH", "")] if p)}


@pytest.fixture
def service(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hi.py").write_text("def hi(request, ctx):\n    return 'hi'\n")
    (tmp_path / "sls-neutral.yaml").write_text(SERVICE)
    return tmp_path


def test_plugins_lists_it_with_its_version_and_hooks(cli, plugin_env, service):
    result = cli("plugins", "--output", "json", cwd=service, env=plugin_env)
    assert result.returncode == 0, result.stderr
    minimal = next(p for p in json.loads(result.stdout)["plugins"] if p["name"] == "minimal")
    assert {k: minimal[k] for k in ("distribution", "version", "module", "hooks")} == {
        "distribution": "slsn-plugin-minimal", "version": "0.1.0", "module": "slsn_minimal.plugin",
        "hooks": ["slsn_after_package", "slsn_lint_rules"]}


def test_its_hooks_run_for_a_service_that_enables_it(cli, plugin_env, service):
    lint = cli("lint", "--format", "json", cwd=service, env=plugin_env)
    assert lint.returncode == 0, lint.stderr  # warnings only
    report = json.loads(lint.stdout)
    assert "MIN001" in [r["id"] for r in report["rules"]]
    mine = [f for f in report["findings"] if f["code"] == "MIN001"]
    assert [(f["message"], f["line"], f["severity"]) for f in mine] == [
        ("function 'hi' has no description", 4, "warning")]
    assert [s["function"] for s in report["suppressed"] if s["code"] == "MIN001"] == ["quiet"]

    package = cli("package", "-p", "local", "-o", "out", cwd=service, env=plugin_env)
    assert package.returncode == 0, package.stderr
    summary = [line for line in package.stderr.splitlines() if line.startswith("minimal: ")]
    assert len(summary) == 1 and summary[0].startswith("minimal: plug-demo (dev) for local: ")
    files = len(json.loads((service / "out" / "artifacts.json").read_text())["files"])
    assert f"for local: {files} files, " in summary[0]


def test_a_service_that_does_not_enable_it_is_left_alone(cli, plugin_env, service):
    manifest = service / "sls-neutral.yaml"
    manifest.write_text(SERVICE.replace("plugins: [minimal]\n", "").replace(
        '    lint: {ignore: {MIN001: "an internal helper"}}\n', ""))
    lint = cli("lint", "--format", "json", cwd=service, env=plugin_env)
    assert not [f for f in json.loads(lint.stdout)["findings"] if f["code"] == "MIN001"]
    package = cli("package", "-p", "local", "-o", "out", cwd=service, env=plugin_env)
    assert package.returncode == 0 and "minimal: " not in package.stderr
