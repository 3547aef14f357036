"""Fixtures of the GCP functional tests: the helpers module on sys.path, the fake control plane."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def load_fake():
    """The fake control plane module, loaded by path (tests/ is not a package)."""
    name = "slsn_test_gcp_control_plane"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "fakes" / "gcp_control_plane.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture
def fake_gcp():
    with load_fake().FakeGcpServer() as server:
        yield server
