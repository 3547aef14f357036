"""Azure limits through the CLI: one line per problem with file:line, exit 1, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = [pytest.mark.functional]


def test_consumption_timeout_and_http_limit_are_reported_with_positions(cli, small_service):
    manifest = small_service / "sls-neutral.yaml"
    text = manifest.read_text().replace("location: eastus}", "location: eastus, plan: consumption}")
    text = text.replace("    handler: src/resize.py:resize\n", "    handler: src/resize.py:resize\n    timeout: 15m\n")
    text = text.replace("    handler: src/api.py:handle\n", "    handler: src/api.py:handle\n    timeout: 5m\n")
    manifest.write_text(text)
    result = cli("package", "-p", "azure", cwd=small_service)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = text.splitlines()
    resize_line = next(i for i, l in enumerate(lines, 1) if l.strip() == "resize:")
    api_line = next(i for i, l in enumerate(lines, 1) if l.strip() == "api:")
    assert f"sls-neutral.yaml:{resize_line}:" in result.stderr and "10 minutes" in result.stderr
    assert f"sls-neutral.yaml:{api_line}:" in result.stderr and "230 s" in result.stderr


def test_unknown_setting_has_a_hint(cli, small_service):
    manifest = small_service / "sls-neutral.yaml"
    manifest.write_text(manifest.read_text().replace("resource_group:", "resource_grop:"))
    result = cli("package", "-p", "azure", cwd=small_service)
    assert result.returncode == 1
    assert "resource_grop" in result.stderr and "resource_group" in result.stderr


def test_plugin_module_is_cheap_to_import():
    code = ("import sys, sls_neutral.providers.azure.plugin as p; p.slsn_register_providers(); "
            "print([m for m in sys.modules if m.split('.')[0] in ('azure', 'jinja2')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr
