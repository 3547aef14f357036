"""Golden files of the Azure artifacts: azuredeploy.json, function_app.py and host.json.

A golden says that something changed; the fine-grained tests say what must hold.
`pytest --update-goldens` rewrites them (review the diff).
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]  # not 'from conftest': another folder's may hold that name

pytestmark = [pytest.mark.functional]

GOLDEN = REPO / "tests" / "golden" / "azure"
FILES = ("azuredeploy.json", "app/function_app.py", "app/host.json", "app/requirements.txt",
         "app/slsn_functions.json")


def _check(cli, root, tmp_path, case, golden):
    out = tmp_path / "out"
    result = cli("package", "-p", "azure", "-o", str(out), cwd=root)
    assert result.returncode == 0, result.stderr
    for name in FILES:
        golden(GOLDEN / case / name.replace("app/", ""), (out / name).read_bytes())
    # byte-stable: a second package gives the same bytes, zip included
    again = tmp_path / "again"
    cli("package", "-p", "azure", "-o", str(again), cwd=root)
    assert (again / "app.zip").read_bytes() == (out / "app.zip").read_bytes()
    assert (again / "azuredeploy.json").read_bytes() == (out / "azuredeploy.json").read_bytes()


def test_small_service_golden(cli, small_service, tmp_path, golden):
    _check(cli, small_service, tmp_path, "photo-app-small", golden)


def test_reference_golden(cli, service_copy, tmp_path, golden, azure_env):
    try:
        from sls_neutral.core.workflows.durable import compile_durable  # noqa: F401
    except ImportError:
        pytest.skip("the Durable compiler (sls_neutral.core.workflows.durable) is not installed yet")
    _check(cli, service_copy("reference"), tmp_path, "reference", golden)
