"""`sls-neutral dev`: handler edits restart the workers, manifest edits recompile; Ctrl-C stops cleanly."""

import os
import signal
import subprocess
import sys
import time

import pytest

from local_helpers import free_port, http, wait_for

pytestmark = [pytest.mark.functional]

MANIFEST = """service: reload
runtime: python3.12
provider: local
functions:
  hello:
    handler: src/hello.py:hello
    triggers:
      - http: {method: GET, path: /hello}
"""


def _write_handler(root, text):
    path = root / "src" / "hello.py"
    path.write_text(f"def hello(request, ctx):\n    return {text!r}\n")
    future = time.time() + 2  # make the change visible even on coarse mtime filesystems
    os.utime(path, (future, future))


def test_dev_reloads_handlers_and_manifest(tmp_path):
    pytest.importorskip("sls_neutral.providers.local.workers", reason="the worker pool is not installed")
    (tmp_path / "src").mkdir()
    _write_handler(tmp_path, "v1")
    (tmp_path / "sls-neutral.yaml").write_text(MANIFEST)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sls_neutral", "dev", "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def answers(path, expected):
            def check():
                try:
                    status, body = http(port, "GET", path, timeout=3)
                except OSError:
                    return False
                return status == 200 and body == expected
            return check

        wait_for(answers("/hello", b"v1"), 30, 0.1, "the dev server")
        info = subprocess.run([sys.executable, "-m", "sls_neutral", "info", "-p", "local", "--output", "json"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert info.returncode == 0, info.stderr
        assert f"http://127.0.0.1:{port}" in info.stdout  # the dev server is found like a deployed runtime
        _write_handler(tmp_path, "v2")
        wait_for(answers("/hello", b"v2"), 15, 0.1, "the edited handler")
        (tmp_path / "sls-neutral.yaml").write_text(MANIFEST + "      - http: {method: GET, path: /hi}\n")
        wait_for(answers("/hi", b"v2"), 20, 0.1, "the route added to the manifest")
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "handler code changed" in out and "manifest changed" in out
    assert not (tmp_path / ".sls-neutral" / "local" / "dev" / "runtime.json").exists()
