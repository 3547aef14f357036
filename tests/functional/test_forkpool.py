"""The two-process job queue behind ``package -p all`` (core/forkpool.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from sls_neutral.core import forkpool
from sls_neutral.core.errors import SlsnError

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork-based parallelism is Linux-only")


def _run(script: str) -> subprocess.CompletedProcess:
    """In a fresh interpreter: xdist workers run threads, and forkpool never forks beside threads."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("SLSN_NO_FORK", None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          timeout=60, env=env)


def test_every_job_runs_once_across_both_processes():
    proc = _run("""
        import os, time
        from sls_neutral.core import forkpool
        assert forkpool.available()
        def work(queue):
            out = {}
            for job in queue:
                time.sleep(0.05)
                out[job] = os.getpid()
            return out
        jobs = [f"job{i}" for i in range(8)]
        done = forkpool.run(jobs, work)
        assert sorted(done) == jobs, done
        print(len(set(done.values())))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2"  # both processes took jobs


@pytest.mark.parametrize("result, pickled", [
    ('{"pid": os.getpid(), "files": [("a", b"1")], "seen": {"x"}}', False),  # plain data: marshal
    ('{"pid": os.getpid(), "third": fractions.Fraction(1, 3)}', True),  # marshal cannot carry it
])
def test_results_cross_by_marshal_and_pickle_only_when_needed(result, pickled):
    proc = _run(f"""
        import fractions, os, time, sys
        from sls_neutral.core import forkpool
        def work(queue):
            out = {{}}
            for job in queue:
                time.sleep(0.05)
                out[job] = {result}
            return out
        done = forkpool.run(["a", "b", "c", "d"], work)
        pid = os.getpid()
        expected = {result}
        assert all({{**v, "pid": pid}} == expected for v in done.values()), done
        print(len({{v["pid"] for v in done.values()}}), "pickle" in sys.modules)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["2", str(pickled)]


def test_an_error_in_the_child_is_raised_by_the_parent_after_both_finish():
    proc = _run("""
        import os, time
        from sls_neutral.core import forkpool
        from sls_neutral.core.errors import SlsnError
        parent = os.getpid()
        finished = []
        def work(queue):
            out = {}
            for job in queue:
                if os.getpid() != parent:
                    raise SlsnError(f"{job} failed", hint="a hint")
                time.sleep(0.2)
                finished.append(job)
                out[job] = True
            return out
        try:
            forkpool.run(["a", "b", "c"], work)
        except SlsnError as exc:
            print(type(exc).__name__, exc.hint, "|", exc.message, "|", len(finished))
    """)
    assert proc.returncode == 0, proc.stderr
    name, rest = proc.stdout.split(" ", 1)
    assert name == "SlsnError"
    hint, message, finished = (part.strip() for part in rest.split("|"))
    assert hint == "a hint" and message.endswith("failed")
    assert int(finished) >= 1  # the parent finished its own jobs before raising


def test_an_unpicklable_error_still_reaches_the_parent_with_its_message():
    class Odd(Exception):
        def __init__(self, a, b):
            super().__init__(a)
            self.b = b

    portable = forkpool._portable(Odd("boom", lambda: None))
    assert isinstance(portable, RuntimeError) and "Odd" in str(portable) and "boom" in str(portable)
    slsn = forkpool._portable(SlsnError("bad input", hint="do this"))
    assert isinstance(slsn, SlsnError) and slsn.hint == "do this"


def test_a_child_that_dies_without_answering_is_an_error():
    assert isinstance(forkpool._received(b"", 9), RuntimeError)


def test_not_available_with_threads_running(monkeypatch):
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert not forkpool.available()
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setenv("SLSN_NO_FORK", "1")
    assert not forkpool.available()


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_package_all_in_two_processes_writes_what_one_process_writes(cli, service_copy, tmp_path):
    service = service_copy("reference")
    env = {"AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000001"}  # the manifest reads it
    forked = cli("package", "-p", "all", "-o", str(tmp_path / "forked"), cwd=service, env=env)
    assert forked.returncode == 0, forked.stderr
    single = cli("package", "-p", "all", "-o", str(tmp_path / "single"), cwd=service,
                 env={**env, "SLSN_NO_FORK": "1"})
    assert single.returncode == 0, single.stderr
    assert forked.stdout.replace("/forked/", "/single/") == single.stdout
    assert _tree(tmp_path / "forked") == _tree(tmp_path / "single")
    assert {p.name for p in (tmp_path / "forked").iterdir()} == {"aws", "gcp", "azure", "local"}


def test_a_provider_that_refuses_the_manifest_stops_every_provider_before_anything_is_written(cli, tmp_path):
    """The Azure host reserves /admin: -p all fails with that one error and writes no provider's files."""
    import shutil
    from pathlib import Path

    service = tmp_path / "svc"
    shutil.copytree(Path(__file__).resolve().parents[1] / "lint_corpus" / "admin-star", service)
    result = cli("package", "-p", "all", "-o", str(tmp_path / "out"), cwd=service)
    assert result.returncode == 1
    assert "reserves" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
