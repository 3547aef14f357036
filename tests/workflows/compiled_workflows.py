"""Every workflow the compiler tests check: the conformance corpus plus the reference example's process-order."""

from __future__ import annotations

from pathlib import Path

from sls_neutral.core import ir

from .corpus_loader import load_corpus

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "examples" / "reference" / "sls-neutral.yaml"


def shared_path(*parts: str) -> Path:
    """tests/conftest.py's shared_path, loaded by file ('conftest' may name another folder's module)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("slsn_tests_root_conftest_workflows", REPO / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.shared_path(*parts)


def reference_workflow() -> ir.Workflow:
    from sls_neutral.core.compiler import compile_app
    from sls_neutral.core.manifest import load_manifest

    return compile_app(load_manifest(REFERENCE)).workflows["process-order"]


def all_workflows() -> dict[str, ir.Workflow]:
    out = {c.name: c.workflow() for c in load_corpus()}
    out["reference-process-order"] = reference_workflow()
    return out


def lambda_arn_ref(function: str) -> str:
    """What the AWS provider passes: a DefinitionSubstitutions placeholder per function."""
    return "${" + "".join(p.capitalize() for p in function.split("-")) + "FunctionArn}"


def function_url(function: str) -> str:
    return f"https://{function}-abc123-uc.a.run.app"
