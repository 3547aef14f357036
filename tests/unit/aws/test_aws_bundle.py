"""Function zips: functions that agree on bundle.zip_identity ship the same files, so emit builds one zip each."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from sls_neutral.core.artifacts import ArtifactSet
from sls_neutral.providers.aws import bundle
from sls_neutral.providers.aws.emit import emit_stack
from sls_neutral.providers.aws.provider import settings_of

REPO = Path(__file__).resolve().parents[3]


def _app(tmp_path: Path, n: int):
    sys.path.insert(0, str(REPO))
    from bench.gen import generate
    from sls_neutral.core.pipeline import Project

    return Project(generate(n, tmp_path / "svc")).app_for("aws")


def test_same_identity_same_files_and_zip(tmp_path):
    app = _app(tmp_path, 30)  # handlers in modules of 10: three identities
    groups: dict[tuple, list] = {}
    for fn in app.functions.values():
        groups.setdefault(bundle.zip_identity(fn, "x86_64"), []).append(fn)
    assert len(groups) == 3
    files = {identity: bundle.function_files(app, fns[0], "x86_64") for identity, fns in groups.items()}
    for identity, fns in groups.items():
        for fn in fns[1:]:
            assert bundle.function_files(app, fn, "x86_64") == files[identity]
    assert len({tuple(sorted(f)) for f in files.values()}) == 3  # each module's closure differs

    artifacts = ArtifactSet("aws")
    emit_stack(app, settings_of(app), artifacts)
    zips = {fn.name: artifacts.get(f"functions/{fn.name}.zip").data for fn in app.functions.values()}
    for fns in groups.values():
        assert len({zips[fn.name] for fn in fns}) == 1


def test_requirements_are_part_of_the_identity(tmp_path):
    app = _app(tmp_path, 10)
    fn = next(iter(app.functions.values()))
    with_deps = dataclasses.replace(fn, requirements="requirements.txt")
    assert bundle.zip_identity(fn, "x86_64") != bundle.zip_identity(with_deps, "x86_64")
    assert bundle.zip_identity(with_deps, "x86_64") != bundle.zip_identity(with_deps, "arm64")
    assert bundle.zip_identity(with_deps, "x86_64") != bundle.zip_identity(
        dataclasses.replace(with_deps, runtime="python3.11"), "x86_64")
    assert bundle.zip_identity(fn, "x86_64") == bundle.zip_identity(fn, "arm64")  # no deps: same files
