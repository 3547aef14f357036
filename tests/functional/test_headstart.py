"""The helper process that parses the manifest and the handler modules at the start of a full ``package``
(core/headstart.py): its results are used, only for the bytes they were computed from, and the artifacts
are the same bytes with or without it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper is forked: Linux only")

MANIFEST = """\
service: headstart
functions:
  hello:
    handler: handlers/api.py:hello
    triggers:
      - http: {method: GET, path: /hello}
  work:
    handler: handlers/jobs.py:work
    triggers:
      - queue: {name: jobs}
queues:
  jobs: {}
"""


def _service(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    (root / "handlers").mkdir(parents=True)
    (root / "sls-neutral.yaml").write_text(MANIFEST)
    (root / "handlers" / "__init__.py").write_text("")
    (root / "handlers" / "shared.py").write_text("GREETING = 'hi'\n")
    (root / "handlers" / "api.py").write_text("from .shared import GREETING\n\ndef hello(request):\n"
                                             "    return {'body': GREETING}\n")
    (root / "handlers" / "jobs.py").write_text("import json\n\ndef work(event):\n    return json.dumps(event)\n")
    return root


def _run(root: Path, script: str, **env: str) -> subprocess.CompletedProcess:
    """``script`` in a fresh interpreter in the service folder (xdist workers run threads: no fork beside
    them), with what it prints on stdout."""
    full = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "SLSN_NO_REPLAY": "1", **env}
    for name in ("SLSN_NO_FORK", "SLSN_NO_HEADSTART"):
        if name not in env:
            full.pop(name, None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=root, capture_output=True,
                          text=True, timeout=120, env=full)


def _last(proc: subprocess.CompletedProcess) -> list[str]:
    """The words of the script's last line (the command's own output comes before it)."""
    return proc.stdout.splitlines()[-1].split()


SPY = """
    import os, sys
    from sls_neutral.core import headstart, pyscan
    used = {"manifest": None, "primed": 0}
    original = headstart.manifest_data
    def manifest_data(path, text):
        used["manifest"] = original(path, text)
        %s
        return used["manifest"]
    headstart.manifest_data = manifest_data
    prime = pyscan.prime
    def spy_prime(imports_of, names_of):
        used["primed"] = len(names_of)
        prime(imports_of, names_of)
    pyscan.prime = spy_prime
    from sls_neutral.core.cli.main import run
    code = run(["package", "-p", "all", "-o", sys.argv[-1] if len(sys.argv) > 1 else "out"])
    print(code, used["manifest"] is not None, used["primed"])
"""


def test_the_helpers_results_are_used_and_the_artifacts_do_not_change(tmp_path):
    root = _service(tmp_path)
    helped = _run(root, SPY % "pass")
    assert helped.returncode == 0, helped.stderr
    assert _last(helped) == ["0", "True", "2"]  # the manifest and both handler modules
    alone = _run(root, "from sls_neutral.core.cli.main import run; print(run(['package', '-p', 'all', '-o', "
                       "'alone']))", SLSN_NO_HEADSTART="1")
    assert alone.returncode == 0 and _last(alone) == ["0"], alone.stderr
    helped_files = sorted(p.relative_to(root / "out") for p in (root / "out").rglob("*") if p.is_file())
    alone_files = sorted(p.relative_to(root / "alone") for p in (root / "alone").rglob("*") if p.is_file())
    assert helped_files == alone_files and len(helped_files) > 10
    for rel in helped_files:
        assert (root / "out" / rel).read_bytes() == (root / "alone" / rel).read_bytes(), rel


def test_a_manifest_edited_after_the_helper_read_it_is_parsed_again(tmp_path):
    root = _service(tmp_path)
    script = """
        import pathlib
        from sls_neutral.core import headstart
        import sls_neutral.core.manifest as loader
        used = []
        original, read = headstart.manifest_data, loader.load_yaml_file
        def manifest_data(path, text):
            used.append(original(path, text))
            return used[-1]
        def load(path, display=None):
            assert headstart._helper.take("manifest")  # the helper has read and parsed the file
            p = pathlib.Path("sls-neutral.yaml")
            p.write_text(p.read_text().replace("/hello", "/edited"))  # then it changes
            return read(path, display)
        headstart.manifest_data, loader.load_yaml_file = manifest_data, load
        from sls_neutral.core.cli.main import run
        print(run(["package", "-p", "aws", "-o", "out"]), used)
    """
    proc = _run(root, script)
    assert proc.returncode == 0, proc.stderr
    assert _last(proc) == ["0", "[None]"]  # the helper's parse was of the old text: not used
    template = (root / "out" / "template.yaml").read_text()
    assert "Path: /edited" in template and "Path: /hello" not in template


def test_a_manifest_outside_the_block_subset_is_parsed_by_the_loader(tmp_path):
    root = _service(tmp_path)
    manifest = root / "sls-neutral.yaml"
    manifest.write_text(manifest.read_text().replace("queues:\n  jobs: {}\n",
                                                     "queues:\n  jobs: &q {}\n  more: *q\n"))
    proc = _run(root, SPY % "pass")
    assert proc.returncode == 0, proc.stderr
    assert _last(proc)[:2] == ["0", "False"]  # anchors: the block reader declines, ruamel reads it
    assert "jobs" in (root / "out" / "aws" / "template.yaml").read_text()


def test_a_handler_with_a_syntax_error_is_reported_by_the_build(tmp_path):
    root = _service(tmp_path)
    (root / "handlers" / "jobs.py").write_text("def work(event:\n")
    proc = _run(root, "from sls_neutral.core.cli.main import run; print(run(['package', '-p', 'aws']))")
    assert _last(proc) == ["1"]
    assert "handlers/jobs.py' has a syntax error at line 1" in proc.stderr


def test_no_helper_is_left_running(tmp_path):
    root = _service(tmp_path)
    script = """
        import os
        from sls_neutral.core import headstart
        forked = []
        fork = os.fork
        def spy():
            pid = fork()
            if pid:
                forked.append(pid)
            return pid
        os.fork = spy
        from sls_neutral.core.cli.main import run
        code = run(["package", "-p", "aws", "-o", "out"])
        os.fork = fork
        alive = []
        for pid in forked:
            try:
                os.waitpid(pid, os.WNOHANG)
                alive.append(pid)
            except ChildProcessError:
                pass  # reaped: gone
        print(code, len(forked), len(alive), headstart._helper)
    """
    proc = _run(root, script)
    assert proc.returncode == 0, proc.stderr
    assert _last(proc) == ["0", "1", "0", "None"]  # one helper (-p aws does not fork), reaped


def test_the_helper_reads_only_regular_files(tmp_path):
    """A FIFO (or a device) named like a module would hold the helper, and the command waiting for it."""
    from sls_neutral.core import headstart

    fifo = tmp_path / "handler.py"
    os.mkfifo(fifo)
    plain = tmp_path / "plain.py"
    plain.write_bytes(b"x = 1\n")
    assert headstart._read_regular(str(fifo)) is None  # returns at once: opened without blocking
    assert headstart._read_regular(str(tmp_path / "missing.py")) is None
    assert headstart._read_regular(str(plain)) == b"x = 1\n"


def test_a_failing_fork_means_no_helper_not_a_failed_command(tmp_path):
    root = _service(tmp_path)
    script = """
        import errno, os
        def no_fork():
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        os.fork = no_fork  # -p aws forks nothing else: only the head start meets it
        from sls_neutral.core import headstart
        from sls_neutral.core.cli.main import run
        print(run(["package", "-p", "aws", "-o", "out"]), headstart._helper)
    """
    proc = _run(root, script)
    assert proc.returncode == 0, proc.stderr
    assert _last(proc) == ["0", "None"]
    assert (root / "out" / "template.yaml").is_file()


def test_the_helper_obeys_the_fork_rule_and_its_own_switch(monkeypatch):
    import threading

    from sls_neutral.core import headstart

    monkeypatch.delenv("SLSN_NO_FORK", raising=False)
    monkeypatch.delenv("SLSN_NO_HEADSTART", raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert headstart.available()
    monkeypatch.setenv("SLSN_NO_HEADSTART", "1")
    assert not headstart.available()
    monkeypatch.delenv("SLSN_NO_HEADSTART")
    monkeypatch.setenv("SLSN_NO_FORK", "1")  # turns off every fork, this one too
    assert not headstart.available()
    monkeypatch.delenv("SLSN_NO_FORK")
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # a forked copy would hold their locks
    assert not headstart.available()
