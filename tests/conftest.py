"""Shared test fixtures: golden files, CLI runner, plugin registration, shared/ lookup."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
EXAMPLES = REPO / "examples"


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="Rewrite golden files under tests/golden instead of comparing with them.")


@pytest.fixture
def update_goldens(request) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture
def golden(update_goldens):
    """``golden(path, actual_bytes_or_text)``: compare with a golden file, or rewrite it with --update-goldens."""

    def check(path: Path, actual) -> None:
        data = actual.encode("utf-8") if isinstance(actual, str) else actual
        path = Path(path)
        if update_goldens:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return
        assert path.exists(), f"golden file {path} is missing; run pytest --update-goldens"
        expected = path.read_bytes()
        if expected != data:
            raise AssertionError(f"golden file {path.relative_to(REPO)} is stale: run pytest --update-goldens "
                                 "and review the diff")

    return check


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test cleanly when shared/ is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/{'/'.join(parts)} is not present beside the project")
    return path


@pytest.fixture
def cli(tmp_path):
    """Run the real console script in a subprocess: ``cli(*args, cwd=...)`` -> CompletedProcess."""

    def run(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300,
            input: str | None = None) -> subprocess.CompletedProcess:
        full_env = {**os.environ, **(env or {})}
        full_env.pop("SLSN_DEBUG", None) if env is None or "SLSN_DEBUG" not in env else None
        return subprocess.run([sys.executable, "-m", "sls_neutral", *args], cwd=cwd or tmp_path, env=full_env,
                              capture_output=True, text=True, timeout=timeout, input=input)

    return run


@pytest.fixture
def service_copy(tmp_path):
    """Copy an example service into tmp_path and return its folder."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns(".sls-neutral", "__pycache__"))
        return target

    return copy


@pytest.fixture
def plugin_manager():
    """A fresh plugin manager installed as the process default; inline plugins are unregistered after."""
    from sls_neutral.core.plugins import PluginManager, reset_plugin_manager

    manager = PluginManager()
    reset_plugin_manager(manager)
    yield manager
    reset_plugin_manager(None)


def load_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))
