"""Helpers of the example tests: run the CLI, package an example for every provider, and each cloud's checks.

The checks are those of the provider test suites, applied to every example:

- AWS: cfn-lint (errors) on the SAM template, the plain CloudFormation template and any nested stacks
  (tests/functional/aws/aws_helpers.cfn_lint_errors); every zip named in deploy.json exists and carries the
  runtime, the AWS adapter and the handler file.
- GCP: every function source in deployment.json exists with main.py (which compiles), the runtime and the GCP
  adapter; every Cloud Workflows YAML parses (and validates against ../shared/schemas/gcp-workflows.schema.json
  in a test of its own, skipped when shared/ is absent).
- Azure: function_app.py is indexed in a fresh interpreter the way the Python worker does it
  (``app.get_functions()`` and each function's raw bindings); azuredeploy.json is an ARM template; app.zip holds
  exactly the app folder.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SHARED = REPO.parent / "shared"
CLOUDS = ("aws", "azure", "gcp", "local")
# examples/reference declares its Azure subscription as ${env:AZURE_SUBSCRIPTION_ID} (as MANIFEST.md does)
EXAMPLE_ENV = {"AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000001"}


def run_cli(*args: str, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The console script in a subprocess (tests/conftest.py's ``cli`` fixture, usable outside a test)."""
    full_env = {k: v for k, v in os.environ.items() if k != "SLSN_DEBUG"}
    full_env.update(EXAMPLE_ENV)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "sls_neutral", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def copy_example(name: str, target_parent: Path) -> Path:
    target = Path(target_parent) / name
    shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns(".sls-neutral", "__pycache__"))
    return target


@dataclass(frozen=True)
class Packaged:
    root: Path  # the copy of the example
    out: Path  # -o folder: one sub-folder per provider
    stdout: str
    stderr: str


def package_all(name: str, workdir: Path, provider: str = "all") -> Packaged:
    """``sls-neutral package -p all -o out`` on a fresh copy of ``examples/<name>``; asserts it succeeded.

    With another ``provider``, ``package -p PROVIDER -o out/PROVIDER``: the same layout as ``-p all``.
    """
    root = copy_example(name, workdir)
    out = "out" if provider == "all" else f"out/{provider}"
    result = run_cli("package", "-p", provider, "-o", out, cwd=root)
    assert result.returncode == 0, f"package -p {provider} failed for {name}:\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    if provider == "all":
        assert set(CLOUDS) <= {p.name for p in (root / "out").iterdir()}, "package -p all skipped a provider"
    return Packaged(root, root / "out", result.stdout, result.stderr)


# ---------------------------------------------------------------- AWS
def check_aws(out: Path, handler_files: dict[str, str]) -> dict[str, Any]:
    """cfn-lint-clean templates and complete zips; returns the CloudFormation template.

    ``handler_files`` maps each function to the file its zip must carry (``src/items.py``).
    """
    from aws_helpers import cfn_lint_errors

    aws = out / "aws"
    templates = [aws / "template.yaml", aws / "template.cfn.json"]
    templates += sorted((aws / "stacks").glob("*")) if (aws / "stacks").is_dir() else []
    for template in templates:
        assert cfn_lint_errors(template.read_text()) == [], f"cfn-lint errors in {template.name}"
    assert "Transform: AWS::Serverless-2016-10-31" in (aws / "template.yaml").read_text()
    deploy = json.loads((aws / "deploy.json").read_text())
    for function, handler_file in handler_files.items():
        zip_path = aws / "functions" / f"{function}.zip"
        assert f"functions/{function}.zip" in deploy["code"], function
        names = set(zipfile.ZipFile(zip_path).namelist())
        assert {handler_file, "sls_neutral/runtime/__init__.py", "sls_neutral/runtime/adapters/aws.py"} <= names
        assert not any(n.startswith(("sls_neutral/core", "sls_neutral/providers")) for n in names)
    for zip_name in deploy["code"]:
        assert (aws / zip_name).is_file(), zip_name
    return json.loads((aws / "template.cfn.json").read_text())


def resource_types(template: dict[str, Any]) -> Counter:
    return Counter(r["Type"] for r in template["Resources"].values())


# ---------------------------------------------------------------- GCP
def check_gcp(out: Path) -> dict[str, Any]:
    """Complete function sources (main.py compiles) and parseable workflows; returns deployment.json."""
    from ruamel.yaml import YAML

    gcp = out / "gcp"
    deployment = json.loads((gcp / "deployment.json").read_text())
    for name, spec in deployment["functions"].items():
        with zipfile.ZipFile(gcp / spec["build"]["source"]) as zf:
            names = set(zf.namelist())
            assert {"main.py", "requirements.txt", "sls_neutral/runtime/__init__.py",
                    "sls_neutral/runtime/adapters/gcp.py"} <= names, name
            compile(zf.read("main.py"), f"{name}/main.py", "exec")
    for spec in deployment["workflows"].values():
        document = YAML(typ="safe").load((gcp / spec["source"]).read_text())
        assert isinstance(document, dict) and "main" in document, spec["source"]
    return deployment


def shared_path(*parts: str) -> Path:
    """A path under ../shared (tests/conftest.py's rule): the test is skipped when it is absent."""
    import pytest

    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/{'/'.join(parts)} is not present beside the project")
    return path


def gcp_workflow_schema_errors(out: Path, schema_path: Path) -> list[str]:
    import jsonschema
    from ruamel.yaml import YAML

    validator = jsonschema.Draft7Validator(json.loads(schema_path.read_text()))
    deployment = json.loads((out / "gcp" / "deployment.json").read_text())
    errors = []
    for spec in deployment["workflows"].values():
        document = YAML(typ="safe").load((out / "gcp" / spec["source"]).read_text())
        errors += [f"{spec['source']}: {e.message}" for e in validator.iter_errors(document)]
    return errors


# ---------------------------------------------------------------- Azure
INDEX_SCRIPT = """
import json, sys
sys.path.insert(0, ".")
import function_app
out = {}
for f in function_app.app.get_functions():
    out[f.get_function_name()] = [json.loads(b) for b in f.get_raw_bindings()]
print(json.dumps(out, sort_keys=True))
"""


def check_azure(out: Path) -> dict[str, list[dict]]:
    """Index function_app.py as the Python worker does; returns {function name: raw bindings}."""
    azure = out / "azure"
    arm = json.loads((azure / "azuredeploy.json").read_text())
    assert "deploymentTemplate.json" in arm["$schema"] and arm["resources"]
    app_files = {p.relative_to(azure / "app").as_posix() for p in (azure / "app").rglob("*") if p.is_file()}
    assert set(zipfile.ZipFile(azure / "app.zip").namelist()) == app_files
    result = subprocess.run([sys.executable, "-c", INDEX_SCRIPT], cwd=azure / "app", capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def trigger_types(indexed: dict[str, list[dict]]) -> Counter:
    """How many functions of each trigger binding type function_app.py registers."""
    return Counter(next(b["type"] for b in bindings if b["type"].endswith("Trigger")) for bindings in indexed.values())


# ---------------------------------------------------------------- the examples' own rules
def example_names() -> list[str]:
    return sorted(p.parent.name for p in EXAMPLES.glob("*/sls-neutral.yaml"))


def non_runtime_imports(path: Path, local_modules: set[str]) -> list[str]:
    """Imports of a handler file other than the standard library, sls_neutral.runtime and the service's own."""
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: the service's own package
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if name == "sls_neutral.runtime" or name.startswith("sls_neutral.runtime."):
                continue
            if top in sys.stdlib_module_names or top in local_modules:
                continue
            bad.append(f"{path.name}:{node.lineno}: import {name}")
    return bad
