"""Fast start: --help imports no provider SDK, jinja2 or uvicorn (checked with python -X importtime)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

HEAVY = ("boto3", "botocore", "google.cloud", "google.api_core", "azure", "jinja2", "uvicorn", "samtranslator",
         "cfnlint", "functions_framework", "flask", "moto")


@pytest.mark.parametrize("args", [["--help"], ["validate", "--help"], ["package", "--help"], ["--version"]])
def test_help_imports_no_heavy_module(args):
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "sls_neutral", *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = set(re.findall(r"\|\s+([\w.]+)\s*$", result.stderr, flags=re.MULTILINE))
    offenders = sorted(m for m in imported if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert not offenders, f"--help imported {offenders}; import them inside the commands that need them"


def test_version():
    result = subprocess.run([sys.executable, "-m", "sls_neutral", "--version"], capture_output=True, text=True)
    from sls_neutral import __version__

    assert result.stdout.strip() == f"sls-neutral {__version__}"
