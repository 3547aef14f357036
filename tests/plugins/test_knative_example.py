"""examples/provider-knative installs as its own package and adds a provider without touching core."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "examples" / "provider-knative"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    target = tmp_path_factory.mktemp("kn-site")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                             "--target", str(target), str(PACKAGE)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return target


def test_package_writes_kubernetes_yaml(cli, site, tmp_path):
    import shutil

    svc = tmp_path / "svc"
    shutil.copytree(PACKAGE / "tests" / "svc", svc)
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    result = cli("package", "-p", "knative", "-o", "out", cwd=svc, env=env)
    assert result.returncode == 0, result.stderr
    docs = list(YAML(typ="safe").load_all((svc / "out" / "knative.yaml").read_text()))
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == ["Broker", "Namespace", "PingSource", "PingSource", "Service", "Service", "Service", "Trigger"]
    api = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "api")
    assert api["metadata"]["labels"]["team"] == "media"
    assert api["spec"]["template"]["metadata"]["annotations"]["autoscaling.knative.dev/min-scale"] == "1"
    pings = sorted(d["spec"]["schedule"] for d in docs if d["kind"] == "PingSource")
    assert pings == ["0 */2 * * *", "0 3 * * *"]
    again = cli("package", "-p", "knative", "-o", "out", "--check", cwd=svc, env=env)
    assert again.returncode == 0, again.stdout + again.stderr


def test_unsupported_feature_is_refused_with_an_alternative(cli, site, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "h.py").write_text("def h(e, c):\n    return None\n")
    (tmp_path / "sls-neutral.yaml").write_text(
        "service: kn\nqueues:\n  jobs: {}\nfunctions:\n  w:\n    handler: src/h.py:h\n"
        "    triggers:\n      - queue: {name: jobs}\n")
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    result = cli("validate", "-p", "knative", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "provider 'knative' does not support queue (used by function 'w'" in result.stderr
    assert "instead: use the local, aws, gcp or azure provider" in result.stderr
    matrix = cli("matrix", "--format", "json", cwd=tmp_path, env=env)
    assert '"knative"' in matrix.stdout
