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
