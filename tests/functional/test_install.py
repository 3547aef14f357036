"""``pip install .`` and ``pip install -e .`` both give a working ``sls-neutral`` under one namespace.

Each mode installs the project (without its dependencies) into a fresh venv whose dependencies come
from the test environment's site-packages through a plain path entry. A plain path line in a ``.pth``
file does not process that directory's own ``.pth`` files, so the test environment's editable finder
for this repository is not inherited: the fresh venv sees only the copy it installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "examples" / "reference"


def _fresh_venv(where: Path) -> Path:
    venv.EnvBuilder(with_pip=False).create(where)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _pip_install(python: Path, *args: str) -> None:
    # pip from the test environment, targeting the fresh interpreter's environment.
    result = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                             "--no-build-isolation", *args], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("editable", [False, True], ids=["install", "editable"])
def test_install_modes_run_validate_on_the_reference_example(tmp_path, editable):
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info",
                                                                "__pycache__", ".sls-neutral", "site", ".peers"))
    python = _fresh_venv(tmp_path / "venv")
    _pip_install(python, *(["-e"] if editable else []), str(source))

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run([str(python), "-c", "import sls_neutral, sls_neutral.core; print(sls_neutral.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    installed_from = Path(where.stdout.strip())
    if editable:
        assert source in installed_from.parents  # the editable install points at its own checkout
    else:
        assert tmp_path / "venv" in installed_from.parents

    bare = subprocess.run([str(python), "-c", "import core"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert bare.returncode != 0 and "No module named 'core'" in bare.stderr

    validate = subprocess.run([str(tmp_path / "venv" / "bin" / "sls-neutral"), "validate"], capture_output=True,
                              text=True, env=env, cwd=REFERENCE)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    module = subprocess.run([str(python), "-m", "sls_neutral", "validate"], capture_output=True, text=True, env=env,
                            cwd=REFERENCE)
    assert module.returncode == 0, module.stdout + module.stderr

    # Every data file the providers read (runtime, templates, schemas) ships: the installed copy writes
    # the same artifacts for every provider as this checkout does.
    package_env = {**env, "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000001"}
    service = tmp_path / "reference"
    shutil.copytree(REFERENCE, service, ignore=shutil.ignore_patterns(".sls-neutral", "__pycache__"))
    installed = subprocess.run([str(python), "-m", "sls_neutral", "package", "-p", "all", "-o", str(tmp_path / "a")],
                               capture_output=True, text=True, env=package_env, cwd=service)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    checkout = subprocess.run([sys.executable, "-m", "sls_neutral", "package", "-p", "all", "-o", str(tmp_path / "b")],
                              capture_output=True, text=True, env={**os.environ, **package_env}, cwd=service)
    assert checkout.returncode == 0, checkout.stdout + checkout.stderr

    def tree(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    assert tree(tmp_path / "a") == tree(tmp_path / "b")
