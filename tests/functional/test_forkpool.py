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
    script = textwrap.dedent(script)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("SLSN_NO_FORK", None)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
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


_GATED = textwrap.dedent("""
    import os, sys, threading, time
    from sls_neutral.core import forkpool
    parent = os.getpid()
    def work(queue, gate):
        out = {}
        waiters = []
        for job in queue:
            where = "parent" if os.getpid() == parent else "child"
            if job == FAIL:
                gate.failed()
                out[job] = "refused"
                continue
            if DIE_IN == where:
                os._exit(9)
            gate.passed()
            verdict = {}
            waiter = threading.Thread(target=lambda v=verdict: v.update(ok=gate.wait()))
            waiter.start()
            waiters.append((job, waiter, verdict))
            time.sleep(0.05)
        for job, waiter, verdict in waiters:
            waiter.join()
            out[job] = "written" if verdict["ok"] else "held"
        return out
    try:
        done = forkpool.run(["a", "b", "c", "d"], work, gated=True)
        print(sorted(done.items()))
    except RuntimeError as exc:
        print("error:", str(exc).split(";")[0])
""")


@pytest.mark.parametrize("fail", ["a", "b", "c", "d"])
def test_a_gate_holds_every_write_in_both_processes_when_one_job_fails_its_check(fail):
    proc = _run(f"FAIL, DIE_IN = {fail!r}, None" + _GATED)
    assert proc.returncode == 0, proc.stderr
    expected = [(job, "refused" if job == fail else "held") for job in "abcd"]
    assert proc.stdout.strip() == str(expected)


def test_a_gate_opens_when_every_job_passed_in_either_process():
    proc = _run("FAIL, DIE_IN = None, None" + _GATED)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[('a', 'written'), ('b', 'written'), ('c', 'written'), ('d', 'written')]"


def test_a_gate_stays_shut_when_the_child_dies_before_its_checks():
    proc = _run("FAIL, DIE_IN = None, 'child'" + _GATED)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "error: the parallel build process ended without a result (wait status 2304)"


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


_WARNED = """\
service: warned
runtime: python3.12
functions:
  api:
    handler: app.py:handle
    timeout: 45s
    triggers:
      - http: {method: GET, path: /}
  tick:
    handler: app.py:handle
    triggers:
      - schedule: {rate: 7m}
"""


def _service(tmp_path, manifest):
    service = tmp_path / "svc"
    service.mkdir()
    (service / "sls-neutral.yaml").write_text(manifest)
    (service / "app.py").write_text("def handle(event, context):\n    return {}\n")
    return service


def test_warnings_of_providers_checked_in_either_process_come_in_provider_order(cli, tmp_path):
    """AWS (HTTP timeout), Azure (a rate NCRONTAB cannot keep) and GCP (no project) each warn; the forked
    build checks them in two processes and still reports them as one process does."""
    service = _service(tmp_path, _WARNED)
    forked = cli("package", "-p", "all", "-o", str(tmp_path / "forked"), cwd=service)
    single = cli("package", "-p", "all", "-o", str(tmp_path / "single"), cwd=service, env={"SLSN_NO_FORK": "1"})
    assert forked.returncode == single.returncode == 0, forked.stderr + single.stderr
    assert forked.stderr == single.stderr
    warned = [line.split("warning: ")[1].split()[0] for line in forked.stderr.splitlines() if "warning: " in line]
    assert warned == ["function", "rate", "providers.gcp.project"]


def test_the_first_refusing_provider_in_order_is_reported_whichever_process_checked_it(cli, tmp_path):
    """40 GB is too much for Lambda and for Cloud Functions: AWS (checked by the forked process, GCP going
    first in the parent) is the error, as in one process, and no provider writes anything."""
    service = _service(tmp_path, _WARNED.replace("timeout: 45s", "memory: 40GB"))
    forked = cli("package", "-p", "all", "-o", str(tmp_path / "forked"), cwd=service)
    single = cli("package", "-p", "all", "-o", str(tmp_path / "single"), cwd=service, env={"SLSN_NO_FORK": "1"})
    assert forked.returncode == single.returncode == 1
    assert forked.stderr == single.stderr
    assert "Lambda offers" in forked.stderr and "Cloud Functions" not in forked.stderr
    assert not (tmp_path / "forked").exists() and not (tmp_path / "single").exists()
