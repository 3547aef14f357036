"""Fast start: --help imports no provider SDK, jinja2 or uvicorn (checked with python -X importtime)."""

from __future__ import annotations

import os
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
    """Printed without building the typer app (~60 ms)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "sls_neutral", "--version"],
                            capture_output=True, text=True)
    from sls_neutral import __version__

    assert result.stdout == f"sls-neutral {__version__}\n"
    assert "typer" not in set(re.findall(r"\|\s+([\w.]+)\s*$", result.stderr, flags=re.MULTILINE))


def test_package_with_plain_arguments_runs_without_typer(tmp_path):
    """`package` reads plain arguments itself (core/cli/quick.py): typer and its pydantic adapters cost ~40 ms."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hi.py").write_text("def hi(request):\n    return {'ok': True}\n")
    (tmp_path / "sls-neutral.yaml").write_text("service: quick\nfunctions:\n  hi:\n    handler: src/hi.py:hi\n"
                                               "    triggers:\n      - http: {path: /hi}\n")

    def imported(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
        result = subprocess.run([sys.executable, "-X", "importtime", "-m", "sls_neutral", *args], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120,
                                env={**os.environ, "SLSN_NO_REPLAY": "1"})
        return result, set(re.findall(r"\|\s+([\w.]+)\s*$", result.stderr, flags=re.MULTILINE))

    result, modules = imported("package", "-p", "local", "--output", "json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert '"provider": "local"' in result.stdout
    assert "typer" not in modules and "click" not in modules
    result, modules = imported("package", "-p", "local", "--output", "xml")  # a usage error: typer reports it
    assert result.returncode == 2 and "Invalid value for '--output'" in result.stderr
    assert "typer" in modules


def test_a_replayed_package_imports_little_of_the_standard_library(tmp_path):
    """The incremental path (core/replay.py) is ~40 ms at 200 functions: json, re, ast, typing, yaml or
    pydantic would each be a visible share of it."""
    import time

    (tmp_path / "src").mkdir()
    handler = tmp_path / "src" / "hi.py"
    handler.write_text("def hi(request):\n    return {'ok': True}\n")
    (tmp_path / "sls-neutral.yaml").write_text("service: quick\nfunctions:\n  hi:\n    handler: src/hi.py:hi\n"
                                               "    triggers:\n      - http: {path: /hi}\n")
    env = {k: v for k, v in os.environ.items() if k != "SLSN_NO_REPLAY"}
    time.sleep(0.06)  # the manifest and handler older than the recorder's freshness window
    first = subprocess.run([sys.executable, "-m", "sls_neutral", "package", "-p", "all"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120, env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    handler.write_text("def hi(request):\n    return {'ok': False}\n")
    time.sleep(0.06)
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "sls_neutral", "package", "-p", "all"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == first.stdout
    modules = set(re.findall(r"\|\s+([\w.]+)\s*$", result.stderr, flags=re.MULTILINE))
    assert "sls_neutral.core.replay" in modules and "sls_neutral.core.pipeline" not in modules  # replayed
    assert not modules & {"json", "ast", "typing", "yaml", "pydantic"}
