"""The runtime as shipped inside an artifact: stdlib only, no framework, handlers run."""

from __future__ import annotations

import json
import subprocess
import sys

from sls_neutral.core.sources import namespace_init, runtime_files

SCRIPT = """
import json, sys
from sls_neutral.runtime import Request, Response, Event, Context, StepError, PermissionDenied, NotFound
from sls_neutral.runtime import dispatch
ctx = dispatch.context_from_env("r-1", env={"SLSN_FUNCTION": "f", "SLSN_GRANTS": ""})
response = dispatch.run_http(lambda req, c: {"got": req.json()}, Request("POST", body=b'{"a": 1}'), ctx)
try:
    ctx.queue("jobs").send("x")
    denied = False
except PermissionDenied:
    denied = True
third_party = sorted(m.split(".")[0] for m in sys.modules if m.split(".")[0] in
                     ("pydantic", "pluggy", "ruamel", "typer", "rich", "boto3", "jinja2", "yaml"))
print(json.dumps({"body": response.body_bytes().decode(), "denied": denied, "third_party": third_party,
                  "framework": [m for m in sys.modules if m.startswith("sls_neutral.") and
                                not m.startswith("sls_neutral.runtime")]}))
"""


def test_runtime_runs_from_an_artifact_without_the_framework(tmp_path):
    files = {**runtime_files("aws"), **namespace_init()}
    for rel, data in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    assert not (tmp_path / "sls_neutral" / "runtime" / "adapters" / "local.py").exists()
    # -I -S: no site-packages, no PYTHONPATH, cwd not on sys.path: the standard library and the artifact only
    done = subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
                           + SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result == {"body": '{"got":{"a":1}}', "denied": True, "third_party": [], "framework": []}
