"""``package -p azure`` imports no template engine (benchmark issue #9).

function_app.py is written by providers/azure/render_app.py with plain string formatting; importing jinja2 and
compiling a template was most of an Azure build at 200 functions and sits on the critical path of ``-p all``.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.functional]


def test_package_imports_no_jinja2(service_copy, tmp_path, azure_env):
    root = service_copy("reference")  # workflows too: the Durable header, orchestrators, starters, the activity
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "sls_neutral", "package", "-p", "azure",
                             "-o", str(tmp_path / "out")], cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = set(re.findall(r"\|\s+([\w.]+)\s*$", result.stderr, flags=re.MULTILINE))
    assert "sls_neutral.providers.azure.render_app" in imported  # the import trace is the one of a real package
    assert not {m for m in imported if m.split(".")[0] in ("jinja2", "markupsafe")}
    assert (tmp_path / "out" / "app" / "function_app.py").exists()
