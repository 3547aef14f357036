"""What goes into a function's package (core/sources.py; documented in docs/runtime.md)."""

from __future__ import annotations

import os

import pytest

from sls_neutral.core import sources


@pytest.fixture
def service(tmp_path):
    files = {
        "handlers/__init__.py": "",
        "handlers/orders.py": "from . import shared\nimport lib.money\n\ndef create(req, ctx):\n    pass\n",
        "handlers/shared.py": "def helper():\n    try:\n        import lib.lazy\n    except ImportError:\n        pass\n",
        "handlers/unrelated.py": "x = 1\n",
        "lib/__init__.py": "",
        "lib/money.py": "",
        "lib/lazy.py": "",
        "data/rates.json": "{}",
        "sls-neutral.yaml": "service: s\n",
        "serverless.yml": "service: s\n",
        "samconfig.toml": "version = 0.1\n",
        ".env": "SECRET=1\n",
        "tests/test_orders.py": "",
        "node_modules/x/index.js": "",
        "handlers/__pycache__/orders.cpython-311.pyc": "",
        "dist/app.zip": "",
    }
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    os.symlink(tmp_path / "data" / "rates.json", tmp_path / "data" / "link.json")
    sources.clear_cache()
    yield tmp_path
    sources.clear_cache()


def test_a_function_ships_its_import_closure_and_the_data_files(service):
    shipped = set(sources.function_sources(service, "handlers/orders.py"))
    assert shipped == {"handlers/__init__.py", "handlers/orders.py", "handlers/shared.py", "lib/__init__.py",
                       "lib/money.py", "lib/lazy.py", "data/rates.json"}


def test_deployment_configuration_caches_and_tests_are_left_out(service):
    everything = set(sources.collect_sources(service))
    for left_out in ("sls-neutral.yaml", "serverless.yml", "samconfig.toml", ".env", "tests/test_orders.py",
                     "node_modules/x/index.js", "handlers/__pycache__/orders.cpython-311.pyc", "dist/app.zip",
                     "data/link.json"):
        assert left_out not in everything
    assert "handlers/unrelated.py" in everything  # in the service, just not in the orders closure


def test_an_artifact_set_inside_the_service_is_left_out(service):
    """`package -o deploy/` inside the service: the next build must not package the previous output."""
    (service / "deploy" / "aws").mkdir(parents=True)
    (service / "deploy" / "aws" / "artifacts.json").write_text('{"files": {}, "format": 1, "provider": "aws"}\n')
    (service / "deploy" / "aws" / "template.yaml").write_text("Resources: {}\n")
    (service / "config").mkdir()
    (service / "config" / "artifacts.json").write_text('{"name": "a data file that happens to share the name"}\n')
    everything = set(sources.collect_sources(service))
    assert not any(path.startswith("deploy/") for path in everything)
    assert "config/artifacts.json" in everything


def test_packaging_into_the_service_folder_is_idempotent(tmp_path, cli):
    import shutil

    service = tmp_path / "http-api"
    shutil.copytree(sources.Path(__file__).resolve().parents[2] / "examples" / "http-api", service,
                    ignore=shutil.ignore_patterns(".sls-neutral", "__pycache__"))
    env = {"SLSN_NO_REPLAY": "1"}
    first = cli("package", "-p", "all", "-o", "deploy", cwd=service, env=env)
    assert first.returncode == 0, first.stderr
    zips = {p: p.read_bytes() for p in sorted((service / "deploy").rglob("*.zip"))}
    again = cli("package", "-p", "all", "-o", "deploy", cwd=service, env=env)
    assert again.returncode == 0, again.stderr
    assert {p: p.read_bytes() for p in sorted((service / "deploy").rglob("*.zip"))} == zips
    check = cli("package", "-p", "all", "-o", "deploy", "--check", cwd=service, env=env)
    assert check.returncode == 0, check.stdout + check.stderr
