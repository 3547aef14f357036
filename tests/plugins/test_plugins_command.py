"""``sls-neutral plugins`` inside a service also says which plugins its manifest enables."""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "lint_corpus"


def test_plugins_lists_what_the_manifest_enables(cli):
    result = cli("plugins", "--output", "json", cwd=CORPUS / "clean")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["enabled_by_manifest"] == ["observability"]
    assert "observability" in {p["name"] for p in data["plugins"]}


def test_plugins_outside_a_service_lists_installed_only(cli, tmp_path):
    result = cli("plugins", "--output", "json", cwd=tmp_path)
    assert result.returncode == 0
    assert "enabled_by_manifest" not in json.loads(result.stdout)


def test_plugins_still_lists_when_the_manifest_is_broken(cli, tmp_path):
    (tmp_path / "sls-neutral.yaml").write_text("service: [unclosed\n")
    result = cli("plugins", cwd=tmp_path)
    assert result.returncode == 0
    assert "Providers:" in result.stdout and "sls-neutral.yaml not read:" in result.stdout
