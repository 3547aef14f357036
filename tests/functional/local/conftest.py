"""The deployed fixture: a real local deployment (CLI + runtime process + worker processes)."""

import json
from pathlib import Path

import pytest

from local_helpers import free_port, kill_tree, state_dir


@pytest.fixture
def deployed(cli):
    """deploy --detach a service folder on a free port; stop it (and its workers) after the test."""
    pytest.importorskip("sls_neutral.providers.local.workers", reason="the worker pool is not installed")
    started: list[Path] = []

    def deploy(root: Path, *extra: str):
        port = free_port()
        result = cli("deploy", "--detach", "--port", str(port), *extra, cwd=root, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        started.append(root)
        return port, result

    yield deploy
    for root in started:
        run = state_dir(root) / "runtime.json"
        if run.exists():
            cli("remove", cwd=root, timeout=60)
        for pidfile in [run]:
            if pidfile.exists():
                kill_tree(json.loads(pidfile.read_text())["pid"])
