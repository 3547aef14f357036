"""Artifacts are written all-or-nothing, and --check reports exactly what drifted."""

from __future__ import annotations

import pytest

from sls_neutral.core.artifacts import ArtifactSet


def make_set(version: str) -> ArtifactSet:
    s = ArtifactSet("test")
    for i in range(20):
        s.add(f"dir{i % 3}/file{i}.txt", f"{version} {i}\n")
    s.add_json("model.json", {"version": version})
    return s


def test_write_then_rewrite_replaces_everything(tmp_path):
    out = tmp_path / "out"
    make_set("v1").write(out)
    (out / "stale.txt").write_text("from an older build")
    make_set("v2").write(out)
    assert (out / "dir0" / "file0.txt").read_text() == "v2 0\n"
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp folders left behind


def test_failure_mid_write_leaves_the_previous_set(tmp_path, monkeypatch):
    out = tmp_path / "out"
    make_set("v1").write(out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    calls = {"n": 0}
    import sls_neutral.core.artifacts as artifacts

    real = artifacts._write_one

    def flaky(dest, data, mode, *, replace):  # the disk fills up at the seventh file
        calls["n"] += 1
        if calls["n"] == 7:
            raise OSError(28, "No space left on device")
        return real(dest, data, mode, replace=replace)

    monkeypatch.setattr(artifacts, "_write_one", flaky)
    with pytest.raises(OSError):
        make_set("v2").write(out)
    monkeypatch.undo()
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_diff_reports_changed_missing_and_extra(tmp_path):
    out = tmp_path / "out"
    make_set("v1").write(out)
    assert make_set("v1").diff(out) == []
    (out / "dir1" / "file1.txt").write_text("edited by hand\n")
    (out / "dir2" / "file2.txt").unlink()
    (out / "notes.txt").write_text("extra")
    assert make_set("v1").diff(out) == [("changed", "dir1/file1.txt"), ("missing", "dir2/file2.txt"),
                                        ("extra", "notes.txt")]


def test_index_matches_the_files(tmp_path):
    import hashlib
    import json

    out = tmp_path / "out"
    make_set("v1").write(out)
    index = json.loads((out / "artifacts.json").read_text())
    for path, entry in index["files"].items():
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == entry["sha256"]
    assert len(index["files"]) == 21


def test_unchanged_files_are_linked_not_rewritten(tmp_path):
    out = tmp_path / "out"
    make_set("v1").write(out)
    inode = (out / "dir0" / "file0.txt").stat().st_ino
    changed = make_set("v1")
    changed.add("dir0/file3.txt", "edited\n")
    changed.write(out)
    assert (out / "dir0" / "file0.txt").stat().st_ino == inode  # reused
    assert (out / "dir0" / "file3.txt").read_text() == "edited\n"


def test_a_tampered_previous_file_is_not_reused(tmp_path):
    out = tmp_path / "out"
    make_set("v1").write(out)
    (out / "dir0" / "file0.txt").write_text("tampered\n")  # the index still claims the old sha
    make_set("v1").write(out)
    # hard links share content, so a tampered source would propagate: the write must verify, not trust
    assert (out / "dir0" / "file0.txt").read_text() == "v1 0\n"


def test_rewriting_the_same_set_touches_nothing(tmp_path, monkeypatch):
    """Not even the index: replacing it hid the folder's claim to be an output set for a moment, long enough
    for a build running beside (``package -p all -o deploy`` inside the service) to package it as sources."""
    import sls_neutral.core.artifacts as artifacts

    out = tmp_path / "out"
    make_set("v1").write(out)
    index = out / "artifacts.json"
    before = index.stat()
    monkeypatch.setattr(artifacts.os, "unlink", lambda *a, **k: pytest.fail("nothing should be removed"))
    make_set("v1").write(out)
    after = index.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    monkeypatch.undo()
    edited = make_set("v1")
    edited.add("dir0/file3.txt", "edited\n")
    edited.write(out)  # a change still rewrites the index
    assert index.stat().st_ino != before.st_ino and "edited" not in index.read_text()
    assert edited.index()["files"]["dir0/file3.txt"]["sha256"] in index.read_text()
