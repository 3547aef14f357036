"""What every example must have: a test module here, a README that says how to run and package it, and
handlers that import nothing but ``sls_neutral.runtime`` and the standard library."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from examples_helpers import EXAMPLES, example_names, non_runtime_imports

HERE = Path(__file__).resolve().parent


def test_there_are_examples():
    assert {"reference", "photo-pipeline", "orders-workflow", "scheduled-cleanup", "fan-out",
            "http-api"} <= set(example_names())


@pytest.mark.parametrize("name", example_names())
def test_every_example_has_its_test_module(name):
    module = HERE / f"test_example_{name.replace('-', '_')}.py"
    assert module.is_file(), f"examples/{name} has no tests: add {module.relative_to(HERE.parent.parent)}"
    assert "packaged(" in module.read_text(), f"{module.name} does not check package -p all"


@pytest.mark.parametrize("name", example_names())
def test_readme_says_what_it_shows_how_to_run_it_and_how_to_package_it(name):
    readme = EXAMPLES / name / "README.md"
    assert readme.is_file(), f"examples/{name}/README.md is missing"
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(f"# {name}\n")
    assert re.search(r"sls-neutral (deploy|dev|invoke|workflow start)", text), "no command that runs it locally"
    assert "sls-neutral package -p all" in text
    for cloud in ("AWS", "GCP", "Azure"):
        assert f"**{cloud}**" in text, f"the README does not say what {cloud} gets"


@pytest.mark.parametrize("name", example_names())
def test_handlers_import_only_the_runtime_and_the_standard_library(name):
    root = EXAMPLES / name
    local = {p.stem if p.suffix == ".py" else p.name for p in root.iterdir() if not p.name.startswith(".")}
    handlers = sorted(p for p in root.rglob("*.py") if ".sls-neutral" not in p.parts)
    assert handlers
    problems = [problem for path in handlers for problem in non_runtime_imports(path, local)]
    assert problems == []
