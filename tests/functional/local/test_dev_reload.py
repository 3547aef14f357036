"""`sls-neutral dev`: handler edits restart the workers, manifest edits recompile; Ctrl-C stops cleanly."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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
        _write_handler(tmp_path, "v2")
        wait_for(answers("/hello", b"v2"), 15, 0.1, "the edited handler")
        (tmp_path / "sls-neutral.yaml").write_text(MANIFEST + "      - http: {method: GET, path: /hi}\n")
        wait_for(answers("/hi", b"v2"), 20, 0.1, "the route added to the manifest")
    except AssertionError as failed:  # show what the dev server said
        proc.send_signal(signal.SIGINT)
        raise AssertionError(f"{failed}\n--- dev output ---\n{proc.communicate(timeout=20)[0]}") from None
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "handler code changed" in out and "manifest changed" in out


def test_info_finds_the_dev_server_and_forgets_it_after(tmp_path):
    (tmp_path / "src").mkdir()
    _write_handler(tmp_path, "v1")
    (tmp_path / "sls-neutral.yaml").write_text(MANIFEST)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sls_neutral", "dev", "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: _answers(port), 30, 0.1, "the dev server")
        info = subprocess.run([sys.executable, "-m", "sls_neutral", "info", "-p", "local", "--output", "json"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert info.returncode == 0, info.stderr
        assert f"http://127.0.0.1:{port}" in info.stdout  # found like a deployed runtime
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert not (tmp_path / ".sls-neutral" / "local" / "dev" / "runtime.json").exists()


def _answers(port):
    try:
        return http(port, "GET", "/hello", timeout=3)[0] == 200
    except OSError:
        return False


def test_a_changed_handler_loses_its_cached_bytecode(tmp_path):
    """Same size, same second: without forgetting the .pyc, a fresh import would run the old code."""
    import importlib.util
    import py_compile

    from sls_neutral.providers.local.dev import forget_bytecode, snapshot

    handler = tmp_path / "h.py"
    handler.write_text("X = 'v1'\n")
    stamp = float(int(time.time()))
    os.utime(handler, (stamp, stamp))
    cached = Path(py_compile.compile(str(handler)))
    before = snapshot(tmp_path, tmp_path / "sls-neutral.yaml")
    handler.write_text("X = 'v2'\n")
    os.utime(handler, (stamp + 0.1, stamp + 0.1))  # same whole second: the .pyc would still look fresh
    assert cached.exists()

    changed = forget_bytecode(before, snapshot(tmp_path, tmp_path / "sls-neutral.yaml"))

    assert changed == [str(handler)] and not cached.exists()
    spec = importlib.util.spec_from_file_location("h_fresh", handler)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.X == "v2"
