"""ArtifactSet.write: fresh writes are all or nothing; rewrites touch only what changed and leave the same tree."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sls_neutral.core.artifacts import INDEX, ArtifactSet


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o777)
            for p in sorted(root.rglob("*")) if p.is_file()}


def make(files: dict[str, bytes], modes: dict[str, int] | None = None) -> ArtifactSet:
    artifacts = ArtifactSet("test")
    for path, data in files.items():
        artifacts.add(path, data, mode=(modes or {}).get(path, 0o644))
    return artifacts


def fresh(tmp_path: Path, artifacts: ArtifactSet) -> dict:
    out = tmp_path / "fresh"
    artifacts.write(out)
    return tree(out)


BIG = {f"fn{i}/lib/runtime.py": b"shared runtime\n" * 50 for i in range(40)}
BIG.update({f"fn{i}/main.py": f"main {i}\n".encode() for i in range(40)})


def test_fresh_write_dedupes_into_hard_links_with_the_right_modes(tmp_path):
    artifacts = make({**BIG, "bin/run": b"#!/bin/sh\n"}, {"bin/run": 0o755})
    out = tmp_path / "out"
    artifacts.write(out)
    assert tree(out) == {**{p: (d, 0o644) for p, d in BIG.items()}, "bin/run": (b"#!/bin/sh\n", 0o755),
                         INDEX: (artifacts.rendered()[INDEX], 0o644)}
    assert (out / "fn0/lib/runtime.py").stat().st_ino == (out / "fn39/lib/runtime.py").stat().st_ino


def test_rewrite_gives_the_tree_a_fresh_write_gives(tmp_path):
    out = tmp_path / "out"
    make({**BIG, "gone/old.txt": b"old", "keep.txt": b"k"}).write(out)
    (out / "stray").mkdir()
    (out / "stray" / "by-hand.txt").write_text("x")
    os.symlink("keep.txt", out / "link")
    new = {**BIG, "fn3/main.py": b"changed\n", "keep.txt": b"k", "new/deep/file.txt": b"n"}
    new.pop("fn7/main.py")
    before = (out / "fn1/main.py").stat().st_ino
    make(new).write(out)
    assert tree(out) == fresh(tmp_path, make(new))
    assert not (out / "gone").exists() and not (out / "stray").exists() and not (out / "link").exists()
    assert (out / "fn1/main.py").stat().st_ino == before  # unchanged files are not rewritten


def test_a_hand_edit_of_the_same_size_is_noticed(tmp_path):
    out = tmp_path / "out"
    make({"a.txt": b"aaaa"}).write(out)
    time.sleep(0.02)
    (out / "a.txt").write_bytes(b"bbbb")
    make({"a.txt": b"aaaa"}).write(out)
    assert (out / "a.txt").read_bytes() == b"aaaa"


def test_a_changed_mode_is_restored(tmp_path):
    out = tmp_path / "out"
    make({"a.sh": b"x"}, {"a.sh": 0o755}).write(out)
    os.chmod(out / "a.sh", 0o644)
    make({"a.sh": b"x"}, {"a.sh": 0o755}).write(out)
    assert (out / "a.sh").stat().st_mode & 0o777 == 0o755


def test_a_file_replacing_a_folder_and_back(tmp_path):
    out = tmp_path / "out"
    make({"x/y.txt": b"1"}).write(out)
    make({"x": b"2"}).write(out)
    assert tree(out) == fresh(tmp_path / "a", make({"x": b"2"}))
    make({"x/y.txt": b"1"}).write(out)
    assert tree(out) == fresh(tmp_path / "b", make({"x/y.txt": b"1"}))


def test_a_failed_rewrite_restores_the_previous_set(tmp_path, monkeypatch):
    out = tmp_path / "out"
    old = {**BIG, "gone/old.txt": b"old", "x/y.txt": b"1"}
    make(old).write(out)
    before = tree(out)
    import sls_neutral.core.artifacts as mod

    real = mod._write_one
    calls = {"n": 0}

    def flaky(dest, data, mode, *, replace):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device")
        return real(dest, data, mode, replace=replace)

    monkeypatch.setattr(mod, "_write_one", flaky)
    new = {**{p: d + b"v2" for p, d in BIG.items()}, "new/deep/file.txt": b"n", "x": b"2"}
    with pytest.raises(OSError):
        make(new).write(out)
    monkeypatch.undo()
    assert tree(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]
    make(new).write(out)  # and the next write works
    assert tree(out) == fresh(tmp_path / "f", make(new))


def test_a_failed_fresh_write_keeps_the_previous_folder(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("p")  # no index: not ours to update in place
    import sls_neutral.core.artifacts as mod

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(mod, "_write_files", boom)
    with pytest.raises(OSError):
        make(BIG).write(out)
    assert (out / "precious.txt").read_text() == "p"
    assert not any(p.name.startswith(".out.") for p in tmp_path.iterdir())


def test_modes_are_exact_whatever_the_umask(tmp_path):
    """Files are created through os.open, which the umask narrows: the mode is set again on the descriptor."""
    artifacts = make({**BIG, "bin/run": b"#!/bin/sh\n"}, {"bin/run": 0o755})
    previous = os.umask(0o077)
    try:
        artifacts.write(tmp_path / "out")
        make({**BIG, "bin/run": b"#!/bin/sh\necho v2\n"}, {"bin/run": 0o755}).write(tmp_path / "out")  # in place
    finally:
        os.umask(previous)
    modes = {path: mode for path, (_, mode) in tree(tmp_path / "out").items()}
    assert modes.pop("bin/run") == 0o755
    assert set(modes.values()) == {0o644}
