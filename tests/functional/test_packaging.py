"""The wheel installs one namespace, sls_neutral, with every folder mapped and its data files shipped."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_layout(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                             "-w", str(tmp_path), str(REPO)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    wheel = next(tmp_path.glob("sls_neutral-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"sls_neutral"}, top
    for expected in ["sls_neutral/__init__.py", "sls_neutral/__main__.py", "sls_neutral/runtime/__init__.py",
                     "sls_neutral/core/ir.py", "sls_neutral/core/cli/main.py", "sls_neutral/providers/aws/plugin.py",
                     "sls_neutral/providers/local/plugin.py", "sls_neutral/templates/__init__.py"]:
        assert expected in names, expected
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    for provider in ("local", "aws", "gcp", "azure"):
        assert f"{provider} = sls_neutral.providers.{provider}.plugin" in entry_points
    assert "sls-neutral = sls_neutral.core.cli.main:main" in entry_points
