"""The documentation builds with ``mkdocs build --strict`` and its generated references cannot drift.

The build runs once per module into a temporary site folder (a few seconds). The CLI and manifest references
are generated at build time by ``docs/_hooks/reference.py``; these tests check the built pages against the
typer application and the JSON Schema, walked here independently of the hook.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


def _require_mkdocs() -> None:
    pytest.importorskip("mkdocs", reason="mkdocs is in the [dev] extra")
    pytest.importorskip("material", reason="mkdocs-material is in the [dev] extra")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    _require_mkdocs()
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    env.pop("SLSN_DISABLE_PLUGIN_AUTOLOAD", None)
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"),
                             "-d", str(out)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return out


def _page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _typer_commands() -> list[tuple[str, object]]:
    import typer

    from sls_neutral.core.cli.main import build_app

    found: list[tuple[str, object]] = []

    def walk(command, path):
        sub = getattr(command, "commands", None)
        if sub is None:
            found.append((" ".join(path), command))
            return
        for name, child in sub.items():
            walk(child, path + [name])

    walk(typer.main.get_command(build_app(with_plugins=False)), [])
    return found


def test_mkdocs_build_strict_passes(site):
    assert (site / "index.html").is_file()
    for page in ("getting-started", "providers/local", "providers/aws", "providers/gcp", "providers/azure",
                 "gitops", "lint", "reference/cli", "reference/manifest", "plugins/hooks"):
        assert (site / page / "index.html").is_file(), page


def test_cli_reference_mentions_every_command_and_option(site):
    commands = _typer_commands()
    assert len(commands) >= 19  # 16 top-level commands + workflow start/status/history
    text = _text(_page(site, "reference/cli"))
    for path, command in commands:
        assert f"sls-neutral {path}" in text, f"'sls-neutral {path}' is missing from the CLI reference"
        section = text.split(f"sls-neutral {path}", 1)[1]
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert opt in section, f"{opt} of 'sls-neutral {path}' is missing from the CLI reference"


def test_manifest_reference_covers_the_schema_and_provider_settings(site):
    from sls_neutral.core.manifest.schema import manifest_json_schema

    schema = manifest_json_schema()
    page = _page(site, "reference/manifest")
    text = _text(page)
    for key in schema["properties"]:
        assert key in text
    for name in schema["$defs"]:
        assert f'id="{name.lower()}"' in page, f"model {name} has no section in the manifest reference"
    for provider in ("local", "aws", "gcp", "azure"):
        assert f'id="providers{provider}"' in page, f"providers.{provider} settings are not in the reference"


def test_the_hook_generates_the_same_command_list():
    spec = importlib.util.spec_from_file_location("docs_reference_hook", DOCS / "_hooks" / "reference.py")
    _require_mkdocs()
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generated = {" ".join(path) for path, _ in module.cli_commands()}
    assert generated == {path for path, _ in _typer_commands()}


def test_local_provider_page_names_exactly_the_real_settings():
    from sls_neutral.providers.local.provider import LocalProvider

    fields = set(LocalProvider().settings_model().model_fields)
    text = (DOCS / "providers" / "local.md").read_text(encoding="utf-8")
    table = text.split("## Settings (`providers.local`)", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.M))
    assert documented == fields


def test_provider_pages_say_how_deploys_are_tested():
    aws = (DOCS / "providers" / "aws.md").read_text(encoding="utf-8")
    gcp = (DOCS / "providers" / "gcp.md").read_text(encoding="utf-8")
    azure = (DOCS / "providers" / "azure.md").read_text(encoding="utf-8")
    assert "moto" in aws
    assert "tests/fakes/gcp_control_plane.py" in gcp and "not against Google" in gcp
    assert "tests/fakes/azure_control_plane.py" in azure and "not against Azure" in azure
    for fake in ("tests/fakes/gcp_control_plane.py", "tests/fakes/azure_control_plane.py"):
        assert (REPO / fake).is_file(), f"{fake} is named in the docs but does not exist"


def test_gitops_workflow_runs_the_drift_gate_and_sarif_lint():
    text = (DOCS / "gitops.md").read_text(encoding="utf-8")
    assert re.search(r"sls-neutral package .*-p all .*--check", text)
    assert re.search(r"sls-neutral lint .*--format sarif", text)
    assert "upload-sarif" in text
