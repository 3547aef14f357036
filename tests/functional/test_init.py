"""`init` scaffolds every template into a service that validates as-is."""

from __future__ import annotations

import pytest

from sls_neutral.core.scaffold import available

TEMPLATES = ["http-api", "queue-worker", "workflow", "photo-pipeline"]


def test_templates_are_the_documented_ones():
    assert available() == sorted(TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES)
def test_init_then_validate(cli, tmp_path, template):
    target = tmp_path / f"my-{template}"
    result = cli("init", str(target), "--template", template)
    assert result.returncode == 0, result.stderr
    text = (target / "sls-neutral.yaml").read_text()
    assert f"service: my-{template}" in text and "__SERVICE__" not in text
    check = cli("validate", cwd=target)
    assert check.returncode == 0, check.stderr


def test_init_refuses_to_overwrite(cli, tmp_path):
    assert cli("init", str(tmp_path / "svc")).returncode == 0
    again = cli("init", str(tmp_path / "svc"))
    assert again.returncode == 1 and "already exist" in again.stderr and "--force" in again.stderr


def test_unknown_template_suggests(cli, tmp_path):
    result = cli("init", str(tmp_path / "x"), "--template", "http-apy")
    assert result.returncode == 1 and "did you mean 'http-api'" in result.stderr
