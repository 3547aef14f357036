"""How one build process of ``package -p all`` uses the write gate (core/pipeline.py, core/forkpool.py).

The other process is played by the gate: it never checks its provider, as when it has crashed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from sls_neutral.core.errors import SlsnError
from sls_neutral.core.pipeline import Project


class FakeGate:
    def __init__(self, total: int):
        self.total, self.passes, self.failures = total, 0, 0
        self.verdict = None
        self._known = threading.Event()

    def passed(self):
        self.passes += 1
        if self.passes == self.total:
            self.verdict = True
            self._known.set()

    def failed(self):
        self.failures += 1
        self.verdict = False
        self._known.set()

    def wait(self):
        self._known.wait(10)  # without a verdict the real gate would wait for ever: fail the test instead
        return bool(self.verdict)


class FakeArtifacts:
    written: list[str] = []

    def __init__(self, name):
        self.name = name

    def __len__(self):
        return 1

    def write(self, out_dir):
        FakeArtifacts.written.append(self.name)


def _project(fail_check=(), fail_build=()):
    after = []
    project = Project(Path("svc/sls-neutral.yaml"),
                      plugins=SimpleNamespace(hook=SimpleNamespace(slsn_after_package=lambda **kw: after.append(kw))))

    def app_for(name):
        if name in fail_check:
            raise SlsnError(f"{name} refuses the manifest")

    def build(name):
        if name in fail_build:
            raise RuntimeError(f"{name} crashed")
        return None, SimpleNamespace(name=name), FakeArtifacts(name)

    project.app_for, project.build = app_for, build
    project.default_build_dir = lambda name: Path("out") / name
    FakeArtifacts.written = []
    return project, after


def test_a_crash_after_a_passed_check_shuts_the_gate_so_no_process_waits_for_ever():
    project, after = _project(fail_build={"azure"})
    gate = FakeGate(total=4)  # "local" is the other process's, never checked
    with pytest.raises(RuntimeError, match="azure crashed"):
        project._package_queue(iter(["gcp", "azure"]), {}, gate)
    assert gate.failures == 1 and gate.verdict is False
    assert FakeArtifacts.written == [] and after == []  # gcp, built and held at the gate, was not written


def test_a_refusal_holds_every_write_and_builds_nothing_more():
    project, after = _project(fail_check={"azure"})
    gate = FakeGate(total=3)
    done = project._package_queue(iter(["gcp", "azure", "local"]), {}, gate)
    assert isinstance(done["azure"]["refused"], SlsnError)
    assert "provider" in done["gcp"] and "provider" not in done["local"]  # local checked, not built
    assert (gate.passes, gate.failures) == (2, 1)
    assert FakeArtifacts.written == [] and after == []


def test_every_write_happens_once_all_passed():
    project, after = _project()
    gate = FakeGate(total=3)
    done = project._package_queue(iter(["gcp", "azure", "local"]), {}, gate)
    assert FakeArtifacts.written == ["gcp", "azure", "local"]
    assert [kw["provider"] for kw in after] == ["gcp", "azure", "local"]
    assert done["local"]["output"] == str(Path("out") / "local")


def test_the_sources_are_read_before_any_provider_is_built_or_written(monkeypatch):
    """A provider rewriting ``-o deploy`` inside the service removes its index for a moment; a build reading
    the service's files then took that folder for sources. package_many reads them first, once."""
    from sls_neutral.core import forkpool, sources

    events = []
    project, _ = _project()
    project.__dict__["app"] = object()  # compiled already
    monkeypatch.setattr(sources, "collect_sources", lambda root: events.append(("sources", root)))
    monkeypatch.setattr(forkpool, "available", lambda: False)
    real_build = project.build
    project.build = lambda name: events.append(("build", name)) or real_build(name)
    project.package_many(["gcp", "local"], parallel=True)
    assert events[0] == ("sources", project.root) and [e[0] for e in events[1:]] == ["build", "build"]
